using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>The two published estimators of infidelity.</summary>
public enum InfidelityEstimator
{
    /// <summary>
    /// Yeh et al.'s: Gaussian perturbations I ~ N(0, σ²) and the explanation scaled by the optimal β (the authors'
    /// code). Values are squared logit errors of single random directions, typically 10⁻³–10⁻¹. The default: it is the
    /// estimator the paper's guarantees (gradient optimal for a linear model) are about.
    /// </summary>
    GaussianOptimalScale,

    /// <summary>
    /// Quantus's: for each patch size s, the input's s×s patches (row-major over the grid, partial at the edges) are
    /// replaced cumulatively by the baseline; after each step j, with x̃ⱼ the perturbed input,
    /// Δⱼ = f(x) − f(x̃ⱼ) and Sⱼ = Σᵢ aᵢ(x − x̃ⱼ)ᵢ; the value is the mean over steps of (Δⱼ − Sⱼ)², averaged over patch
    /// sizes and <see cref="InfidelityOptions.Samples"/> repetitions. No β: it grows with the explanation's scale,
    /// and its values are orders of magnitude larger than the Gaussian estimator's.
    /// </summary>
    PatchReplacement,
}
