namespace Microsoft.ML.Explainability.Explainers;

/// <summary>What an explanation's values are, which fixes their shape.</summary>
public enum ExplanationLayout
{
    /// <summary>One heatmap per row, [N, H, W] at the input's height and width (CAM, attention, RISE, FullGrad).</summary>
    Map,

    /// <summary>One value per input element, shaped as the input batch (gradients, LRP, occlusion).</summary>
    InputAttribution,
}
