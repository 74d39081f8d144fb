using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of the relative stability metrics.</summary>
public sealed class RelativeStabilityOptions
{
    /// <summary>Quantus 0.6's defaults: 200 draws of uniform noise in [0.02, 0.2] added to every element, ε_min = 1e-6, draws that change the prediction dropped.</summary>
    public static RelativeStabilityOptions Quantus => new() { Samples = 200, NoiseLow = 0.02, NoiseHigh = 0.2 };

    /// <summary>Perturbed inputs per sample (one explainer run and one forward pass each). Default 10 (Quantus: 200).</summary>
    public int Samples { get; init; } = 10;

    /// <summary>Lower bound of the uniform noise added to every element. Default −0.05 (Quantus: 0.02).</summary>
    public double NoiseLow { get; init; } = -0.05;

    /// <summary>Upper bound of the uniform noise. Default 0.05 (Quantus: 0.2; the default's symmetric ball matches max-sensitivity's).</summary>
    public double NoiseHigh { get; init; } = 0.05;

    /// <summary>ε_min guarding the divisions. Default 1e-6 (Quantus).</summary>
    public double EpsilonMin { get; init; } = 1e-6;

    /// <summary>Seed of the perturbations. Default 0.</summary>
    public int Seed { get; init; }
}
