using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>The maps of one <see cref="TransformerExplainer"/> call, rows in input order.</summary>
public sealed class TransformerResult
{
    internal TransformerResult(TransformerMethod method, FloatTensor maps, FloatTensor rawMaps, long[] targets, float[] targetScores, FloatTensor? relevance)
    {
        Method = method;
        Maps = maps;
        RawMaps = rawMaps;
        Targets = targets;
        TargetScores = targetScores;
        Relevance = relevance;
    }

    /// <summary>The method used.</summary>
    public TransformerMethod Method { get; }

    /// <summary>
    /// Maps [N, H, W] at the input image's size (at the grid's size for non-image inputs), in [0, 1): the CAM
    /// post-processing of <see cref="Cam.CamMaps.PostProcess"/> — ReLU, m ← m − min, m ← m/(max + 1e-7),
    /// bilinear resize with half-pixel centres, ReLU and min-max again.
    /// </summary>
    public FloatTensor Maps { get; }

    /// <summary>Raw maps [N, h, w] on the patch grid, before ReLU and normalisation (LRP relevance keeps its sign).</summary>
    public FloatTensor RawMaps { get; }

    /// <summary>
    /// The class explained in each row (predicted classes resolved). Attention rollout is class-independent: its map is
    /// the same for every class, and this holds the predicted classes.
    /// </summary>
#pragma warning disable CA1819 // Plain per-row arrays are the natural result type here.
    public long[] Targets { get; }

    /// <summary>The explained output's value for each row's target class (the relevance LRP starts from).</summary>
    public float[] TargetScores { get; }
#pragma warning restore CA1819

    /// <summary>LRP only: the LRP relevance of the LRP layer (shaped as it), prefix tokens included; else null.</summary>
    public FloatTensor? Relevance { get; }
}
