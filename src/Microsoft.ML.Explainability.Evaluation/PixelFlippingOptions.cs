using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of pixel flipping (region perturbation).</summary>
public sealed class PixelFlippingOptions
{
    /// <summary>Perturbation steps L. Default 20.</summary>
    public int Steps { get; init; } = 20;

    /// <summary>Fraction of the features perturbed after the last step. Default 1 (every feature).</summary>
    public double MaxFraction { get; init; } = 1;

    /// <summary>What flipped features become. Default: seeded uniform noise, as in Samek et al.</summary>
    public BaselineOptions Baseline { get; init; } = new() { Kind = BaselineKind.UniformNoise };

    /// <summary>Probability or logit. Default logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Logit;

    /// <summary>Tie order and feature unit of the ranking. Default: ties in index order, pixels.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}
