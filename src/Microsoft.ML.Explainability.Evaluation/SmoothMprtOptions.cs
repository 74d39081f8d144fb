using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of smooth MPRT.</summary>
public sealed class SmoothMprtOptions
{
    /// <summary>Quantus 0.6's defaults: 50 noisy copies, noise 0.1 of the sample's range, seed 42.</summary>
    public static SmoothMprtOptions Quantus => new() { Samples = 50, Seed = 42 };

    /// <summary>Noisy copies averaged per explanation (one explainer run each, twice: original and randomised model). Default 10 (Quantus: 50).</summary>
    public int Samples { get; init; } = 10;

    /// <summary>σ of the Gaussian noise as a fraction of the sample's range max(x) − min(x). Default 0.1 (Quantus).</summary>
    public double NoiseMagnitude { get; init; } = 0.1;

    /// <summary>Seed of the noise and of the randomised parameters. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>The layers randomised (all at once, the cascade's last stage). Default: <see cref="RandomisationOptions.LayerOperators"/>'s defaults.</summary>
    public RandomisationOptions Randomisation { get; init; } = new();
}
