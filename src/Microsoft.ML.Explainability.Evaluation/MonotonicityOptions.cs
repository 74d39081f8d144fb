using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of monotonicity (Arya et al.).</summary>
public sealed class MonotonicityOptions
{
    /// <summary>Quantus 0.6's defaults: one feature per step, the "black" baseline, probabilities.</summary>
    public static MonotonicityOptions Quantus => new() { FeaturesPerStep = 1, Baseline = new() { Kind = BaselineKind.Black } };

    /// <summary>Features inserted at each step; null (the default) takes ⌈P/50⌉ (about 50 forward passes per sample).</summary>
    public int? FeaturesPerStep { get; init; }

    /// <summary>What the input starts from. Default zero.</summary>
    public BaselineOptions Baseline { get; init; } = new();

    /// <summary>Probability (default, Quantus's softmax=True) or logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;

    /// <summary>Tie order and feature unit of the ranking.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}
