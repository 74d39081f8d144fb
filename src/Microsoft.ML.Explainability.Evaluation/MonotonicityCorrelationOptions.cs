using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of monotonicity correlation (Nguyen and Rodríguez Martínez).</summary>
public sealed class MonotonicityCorrelationOptions
{
    /// <summary>Quantus 0.6's defaults: one feature per step, 100 draws per step, ε = 1e-5, probabilities.</summary>
    public static MonotonicityCorrelationOptions Quantus => new() { FeaturesPerStep = 1, Samples = 100 };

    /// <summary>Features perturbed at each step; null (the default) takes ⌈P/50⌉.</summary>
    public int? FeaturesPerStep { get; init; }

    /// <summary>Random replacements drawn per step. Default 5 (Quantus: 100, i.e. 100·P forward passes per sample).</summary>
    public int Samples { get; init; } = 5;

    /// <summary>Scores smaller than ε in magnitude are not used to normalise the variance. Default 1e-5.</summary>
    public double Epsilon { get; init; } = 1e-5;

    /// <summary>Probability (default, Quantus's softmax=True) or logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;

    /// <summary>Seed of the replacements. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Tie order and feature unit of the ranking.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}
