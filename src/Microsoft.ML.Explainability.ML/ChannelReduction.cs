using Microsoft.ML.Explainability.Cam;

namespace Microsoft.ML.Explainability.ML;

/// <summary>How an input attribution [C, H, W] becomes the [H, W] saliency map.</summary>
public enum ChannelReduction
{
    /// <summary>Σ over channels (keeps LRP's and integrated gradients' conservation: the map sums to the row's total).</summary>
    Sum,

    /// <summary>max over channels of |value| (Simonyan et al.'s saliency map).</summary>
    MaxAbsolute,

    /// <summary>No reduction: the saliency column holds [C, H, W].</summary>
    None,
}
