using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Similarity of the explanations of one randomised model to the original ones.</summary>
public sealed class RandomisationStage
{
    internal RandomisationStage(string layer, IReadOnlyList<string> randomised, double[] spearman, double[] spearmanAbs, double[] ssim)
    {
        Layer = layer;
        RandomisedLayers = randomised;
        Spearman = spearman;
        SpearmanAbsolute = spearmanAbs;
        Ssim = ssim;
    }

    /// <summary>The layer (node name) re-initialised at this stage.</summary>
    public string Layer { get; }

    /// <summary>All layers re-initialised in this stage's model.</summary>
    public IReadOnlyList<string> RandomisedLayers { get; }

    /// <summary>Per sample, Spearman's ρ between the original and randomised explanation (signed values).</summary>
    public IReadOnlyList<double> Spearman { get; }

    /// <summary>Per sample, Spearman's ρ of the absolute values.</summary>
    public IReadOnlyList<double> SpearmanAbsolute { get; }

    /// <summary>Per sample, SSIM of the min–max scaled absolute saliency maps.</summary>
    public IReadOnlyList<double> Ssim { get; }
}
