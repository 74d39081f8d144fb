using System.Numerics.Tensors;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of max-sensitivity.</summary>
public sealed class MaxSensitivityOptions
{
    /// <summary>Quantus 0.6's defaults: radius 0.2 (uniform noise), 200 samples, relative to ‖Φ(x)‖₂.</summary>
    public static MaxSensitivityOptions Quantus => new() { Radius = 0.2, Samples = 200, Normalize = true };

    /// <summary>
    /// Radius r of the L∞ ball the perturbed inputs are drawn from, in input units. Default 0.05: on [0, 1] pixels
    /// Quantus's 0.2 is a fifth of the range, a perturbation that often changes the prediction, after which a changed
    /// explanation is expected rather than a lack of robustness.
    /// </summary>
    public double Radius { get; init; } = 0.05;

    /// <summary>Perturbed inputs y drawn per sample (the maximum is taken over them). Default 10 (each is one explainer run; Quantus: 200).</summary>
    public int Samples { get; init; } = 10;

    /// <summary>Whether the change is divided by ‖Φ(x)‖₂ (relative sensitivity, as Quantus does). Default false.</summary>
    public bool Normalize { get; init; }

    /// <summary>Seed of the perturbations. Default 0.</summary>
    public int Seed { get; init; }
}
