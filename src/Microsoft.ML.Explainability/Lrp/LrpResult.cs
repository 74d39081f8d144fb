using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>The result of one <see cref="LrpExplainer.Explain(FloatTensor, long[])"/> call, rows in input order.</summary>
public sealed class LrpResult
{
    internal LrpResult(FloatTensor relevance, FloatTensor outputs, long[]? targets, float[]? targetScores, IReadOnlyDictionary<string, FloatTensor> layerRelevances)
    {
        Relevance = relevance;
        Outputs = outputs;
        Targets = targets;
        TargetScores = targetScores;
        LayerRelevances = layerRelevances;
    }

    /// <summary>Relevance of every input element, shaped like the input ([N, C, H, W] for images). Signed; Σ over a row ≈ the seeded relevance when biases are zero.</summary>
    public FloatTensor Relevance { get; }

    /// <summary>The explained output (logits) for the batch.</summary>
    public FloatTensor Outputs { get; }

#pragma warning disable CA1819 // Plain per-row arrays are the natural result type here.
    /// <summary>The class explained in each row (predicted classes resolved); null when a seed tensor was given.</summary>
    public long[]? Targets { get; }

    /// <summary>The output's value (logit) at each row's target class; null when a seed tensor was given.</summary>
    public float[]? TargetScores { get; }
#pragma warning restore CA1819

    /// <summary>Relevance of the tensors named in <see cref="LrpOptions.RelevanceOf"/>, by name.</summary>
    public IReadOnlyDictionary<string, FloatTensor> LayerRelevances { get; }
}
