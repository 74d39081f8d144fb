using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of efficient MPRT.</summary>
public sealed class EfficientMprtOptions
{
    /// <summary>Quantus 0.6's defaults: 100 histogram bins, seed 42.</summary>
    public static EfficientMprtOptions Quantus => new() { Seed = 42 };

    /// <summary>Bins of the histogram whose entropy measures complexity. Default 100 (Quantus's n_bins_default).</summary>
    public int Bins { get; init; } = 100;

    /// <summary>Seed of the randomised parameters. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>The layers randomised (all of them). Default: <see cref="RandomisationOptions.LayerOperators"/>'s defaults.</summary>
    public RandomisationOptions Randomisation { get; init; } = new();
}
