using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of faithfulness correlation.</summary>
public sealed class FaithfulnessCorrelationOptions
{
    /// <summary>Random subsets drawn per sample. Default 50.</summary>
    public int Runs { get; init; } = 50;

    /// <summary>Fraction of the features in each subset (at least one feature). Default 0.1.</summary>
    public double SubsetFraction { get; init; } = 0.1;

    /// <summary>
    /// Features in each subset as a count, overriding <see cref="SubsetFraction"/> (capped at the feature count).
    /// Quantus uses 224 ("subset_size"); the default, null, scales the subset with the input (10 %), so the metric
    /// means the same on 28×28 and 224×224 images.
    /// </summary>
    public int? SubsetSize { get; init; }

    /// <summary>Pixels or channel elements as features. Default pixels.</summary>
    public FeatureUnit Unit { get; init; } = FeatureUnit.Pixel;

    /// <summary>What the subset's features are set to. Default zero.</summary>
    public BaselineOptions Baseline { get; init; } = new();

    /// <summary>Probability or logit. Default logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Logit;

    /// <summary>Seed of the subsets. Default 0.</summary>
    public int Seed { get; init; }
}
