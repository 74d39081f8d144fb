using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of non-sensitivity.</summary>
public sealed class NonSensitivityOptions
{
    /// <summary>Quantus 0.6's defaults: ε = 1e-5, the "black" baseline, probabilities.</summary>
    public static NonSensitivityOptions Quantus => new() { Baseline = new() { Kind = BaselineKind.Black } };

    /// <summary>Threshold ε both for "no attribution" (|a|/max|a| &lt; ε) and for "no effect" (|Δf| &lt; ε). Default 1e-5.</summary>
    public double Epsilon { get; init; } = 1e-5;

    /// <summary>What each perturbed pixel becomes. Default zero.</summary>
    public BaselineOptions Baseline { get; init; } = new();

    /// <summary>Probability (default, Quantus's softmax=True) or logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;
}
