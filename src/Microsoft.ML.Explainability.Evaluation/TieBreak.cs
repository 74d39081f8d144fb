namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>How features with equal saliency are ordered in a ranking (deletion, pixel flipping, region perturbation, …).</summary>
public enum TieBreak
{
    /// <summary>
    /// Ascending feature index (row-major over the spatial grid) within a tie, in both orders: a stable sort, as
    /// <c>np.argsort(-a, kind="stable")</c> for most-relevant-first. Deterministic and the default.
    /// </summary>
    IndexOrder,

    /// <summary>A seeded random order within each tie (<see cref="RankingOptions.Seed"/>, derived per sample).</summary>
    SeededRandom,
}
