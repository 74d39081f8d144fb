using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of ROAD.</summary>
public sealed class RoadOptions
{
    /// <summary>Fractions of the features removed, each in (0, 1). Default 0.1, 0.2, …, 0.9.</summary>
    public IReadOnlyList<double> Percentages { get; init; } = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

    /// <summary>σ of the noise added to imputed values, in input units. Default 0.01 (the authors' default for [0, 1]-scaled pixels).</summary>
    public double NoiseStd { get; init; } = 0.01;

    /// <summary>Seed of the noise. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Probability or logit. Default probability.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;

    /// <summary>
    /// Whether the count of removed features p·P is floored, as Quantus does (<c>int(p·P)</c>), instead of rounded to
    /// the nearest integer (the default: the removed fraction is then closest to p). Default false.
    /// </summary>
    public bool FloorCounts { get; init; }

    /// <summary>Tie order and feature unit of the ranking. Default: ties in index order, pixels.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}
