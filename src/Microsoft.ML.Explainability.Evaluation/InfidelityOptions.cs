using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of infidelity.</summary>
public sealed class InfidelityOptions
{
    /// <summary>
    /// Quantus 0.6's infidelity: patch replacement with 4×4 patches, the "black" baseline, logits, 10 repetitions
    /// (identical with a deterministic baseline, kept for fidelity), no normalisation of the explanation.
    /// </summary>
    public static InfidelityOptions Quantus => new() { Estimator = InfidelityEstimator.PatchReplacement, Samples = 10, PatchSizes = [4], Baseline = new() { Kind = BaselineKind.Black } };

    /// <summary>The estimator. Default <see cref="InfidelityEstimator.GaussianOptimalScale"/>.</summary>
    public InfidelityEstimator Estimator { get; init; } = InfidelityEstimator.GaussianOptimalScale;

    /// <summary>Patch sides of <see cref="InfidelityEstimator.PatchReplacement"/>. Default [4] (Quantus's).</summary>
    public IReadOnlyList<int> PatchSizes { get; init; } = [4];

    /// <summary>What patches become under <see cref="InfidelityEstimator.PatchReplacement"/>. Default black (Quantus's).</summary>
    public BaselineOptions Baseline { get; init; } = new() { Kind = BaselineKind.Black };

    /// <summary>Perturbations I drawn per sample (Gaussian), or repetitions of the patch sweep (patch replacement). Default 50.</summary>
    public int Samples { get; init; } = 50;

    /// <summary>σ of the Gaussian perturbation, in input units. Default 0.1.</summary>
    public double NoiseStd { get; init; } = 0.1;

    /// <summary>
    /// Whether the attributions are of the "multiplied by the input" kind (input × gradient, integrated gradients,
    /// LRP). Then the perturbation is relative, I = x ⊙ ε with ε ~ N(0, σ²), and the explanation is paired with ε
    /// (εᵀΦ, Captum's multiply_by_inputs convention); otherwise I ~ N(0, σ²) is paired with the explanation directly (IᵀΦ).
    /// Default false.
    /// </summary>
    public bool MultipliedByInputs { get; init; }

    /// <summary>
    /// Whether the explanation is first scaled by the optimal β = E[IᵀΦ·Δ] / E[(IᵀΦ)²] (as in the authors' code), so
    /// that infidelity does not depend on the explanation's overall scale. Default true.
    /// </summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Probability or logit. Default logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Logit;

    /// <summary>Seed of the perturbations. Default 0.</summary>
    public int Seed { get; init; }
}
