using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of IROF.</summary>
public sealed class IrofOptions
{
    /// <summary>Quantus 0.6's defaults: the per-sample mean baseline, probabilities, AOC = S − trapz(dx = 1) over the perturbed points.</summary>
    public static IrofOptions Quantus => new();

    /// <summary>
    /// Side of the square segments used when <see cref="Segments"/> is null. Default 4. Quantus segments with SLIC
    /// (scikit-image); a regular grid is used here so the metric needs no image-processing dependency and is
    /// deterministic — give <see cref="Segments"/> to use superpixels.
    /// </summary>
    public int SegmentSize { get; init; } = 4;

    /// <summary>Per sample, a segment label for every pixel (H·W values, labels 0…S−1); null: the square grid.</summary>
    public IReadOnlyList<int[]>? Segments { get; init; }

    /// <summary>What removed segments become. Default the per-sample, per-channel mean (Quantus: "mean").</summary>
    public BaselineOptions Baseline { get; init; } = new() { Kind = BaselineKind.Mean };

    /// <summary>Probability (default, Quantus's softmax=True) or logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;

    /// <summary>Tie order of the segment ranking.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}
