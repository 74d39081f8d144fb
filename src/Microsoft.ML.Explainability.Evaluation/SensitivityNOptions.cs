using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of sensitivity-n.</summary>
public sealed class SensitivityNOptions
{
    /// <summary>Subset sizes n as fractions of the features. Default 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8 (up to Quantus's n_max_percentage 0.8).</summary>
    public IReadOnlyList<double> Fractions { get; init; } = [0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8];

    /// <summary>Random subsets drawn per n. Default 16.</summary>
    public int Subsets { get; init; } = 16;

    /// <summary>What the subset's features are set to. Default zero (the paper's baseline).</summary>
    public BaselineOptions Baseline { get; init; } = new();

    /// <summary>Probability or logit (default: the paper correlates attributions with the output they explain).</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Logit;

    /// <summary>Seed of the subsets. Default 0.</summary>
    public int Seed { get; init; }
}
