using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Which relevance relevance mass accuracy counts.</summary>
public enum RelevanceMass
{
    /// <summary>
    /// Positive relevance only, Σ_{p∈mask} max(s_p, 0) / Σ_p max(s_p, 0), in [0, 1] — Arras et al.'s definition (they
    /// evaluate positive relevance, the evidence for the class). The default.
    /// </summary>
    PositiveOnly,

    /// <summary>
    /// Signed relevance, Σ_{p∈mask} s_p / Σ_p s_p, as Quantus computes it (NaN when the total is 0). For signed maps
    /// (gradients, integrated gradients) it leaves [0, 1] and can change sign with the total.
    /// </summary>
    Signed,
}
