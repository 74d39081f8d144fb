using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of selectivity.</summary>
public sealed class SelectivityOptions
{
    /// <summary>Quantus 0.6's defaults: 8×8 patches, the "black" baseline, probabilities, AUC by trapz with dx = 1 over the perturbed points.</summary>
    public static SelectivityOptions Quantus => new() { PatchSize = 8, Baseline = new() { Kind = BaselineKind.Black } };

    /// <summary>Side of the square patches. Default 4 (Quantus: 8, which leaves 16 patches on a 28×28 image).</summary>
    public int PatchSize { get; init; } = 4;

    /// <summary>What removed patches become. Default zero.</summary>
    public BaselineOptions Baseline { get; init; } = new();

    /// <summary>Probability (default, as Montavon et al. and Quantus) or logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;

    /// <summary>Tie order of the patch ranking.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}
