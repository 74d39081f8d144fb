using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of the local Lipschitz estimate.</summary>
public sealed class LocalLipschitzOptions
{
    /// <summary>Quantus 0.6's defaults: 200 Gaussian draws of σ = 0.1, explanations divided by their maximum magnitude.</summary>
    public static LocalLipschitzOptions Quantus => new() { Samples = 200 };

    /// <summary>Perturbed inputs per sample (one explainer run each). Default 10 (Quantus: 200).</summary>
    public int Samples { get; init; } = 10;

    /// <summary>σ of the Gaussian perturbation, in input units. Default 0.1 (Quantus).</summary>
    public double NoiseStd { get; init; } = 0.1;

    /// <summary>Whether both explanations are divided by their largest magnitude first (Quantus's normalise=True). Default true, so the value does not depend on the explanation's scale.</summary>
    public bool NormaliseByMax { get; init; } = true;

    /// <summary>Seed of the perturbations. Default 0.</summary>
    public int Seed { get; init; }
}
