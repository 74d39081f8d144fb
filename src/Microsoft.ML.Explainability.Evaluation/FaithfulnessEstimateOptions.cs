using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of faithfulness estimate.</summary>
public sealed class FaithfulnessEstimateOptions
{
    /// <summary>Quantus 0.6's defaults: one feature per step, the "black" baseline, logits.</summary>
    public static FaithfulnessEstimateOptions Quantus => new() { FeaturesPerStep = 1, Baseline = new() { Kind = BaselineKind.Black } };

    /// <summary>
    /// Features removed at each step; null (the default) takes ⌈P/50⌉, about 50 steps whatever the input size (one
    /// forward pass per step; Quantus's 1 costs P passes per sample).
    /// </summary>
    public int? FeaturesPerStep { get; init; }

    /// <summary>What removed features become. Default zero.</summary>
    public BaselineOptions Baseline { get; init; } = new();

    /// <summary>Probability or logit. Default logit (Quantus's softmax=False).</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Logit;

    /// <summary>Tie order and feature unit of the ranking.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}
