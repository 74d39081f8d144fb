using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of region perturbation.</summary>
public sealed class RegionPerturbationOptions
{
    /// <summary>Quantus 0.6's defaults: 8×8 patches, most relevant first, at most 100 regions, AOPC without the unperturbed point.</summary>
    public static RegionPerturbationOptions Quantus => new() { PatchSize = 8 };

    /// <summary>Side of the square patches. Default 4 (Quantus: 8).</summary>
    public int PatchSize { get; init; } = 4;

    /// <summary>At most this many regions are perturbed. Default 100 (Quantus's regions_evaluation).</summary>
    public int MaxRegions { get; init; } = 100;

    /// <summary>Most relevant first (default) or least relevant first.</summary>
    public bool MostRelevantFirst { get; init; } = true;

    /// <summary>What perturbed regions become. Default seeded uniform noise in the sample's range, as Samek et al.</summary>
    public BaselineOptions Baseline { get; init; } = new() { Kind = BaselineKind.UniformNoise };

    /// <summary>Probability (default, Quantus's softmax=True) or logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;

    /// <summary>Tie order of the patch ranking.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}
