using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of the deletion and insertion curves.</summary>
public sealed class DeletionInsertionOptions
{
    /// <summary>Number of steps K; step k perturbs round(k·P/K) of the P features, so the step size is P/K features. Default 50.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>What deleted features become, and what insertion starts from. Default zero.</summary>
    public BaselineOptions Baseline { get; init; } = new();

    /// <summary>Probability (softmax, as in RISE) or logit. Default probability.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;

    /// <summary>Tie order and feature unit of the ranking. Default: ties in index order, pixels.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}
