using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>
/// The method options of the command line (each method reads the ones it needs), turned into the core's one settings
/// bag (<see cref="MethodSettings"/>) by <see cref="ToSettings"/>; every method maps that onto its own options type.
/// </summary>
internal sealed record MethodOptions
{
    /// <summary>The target layers (<c>--layer</c>, repeatable); empty: the automatic choice.</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <summary>CAM: <c>--eigen-smooth</c>.</summary>
    public bool EigenSmooth { get; init; }

    /// <summary>CAM: <c>--aug-smooth</c>.</summary>
    public bool AugSmooth { get; init; }

    /// <summary>The target layer's layout (<c>--layout</c>); null: inferred from the graph.</summary>
    public LayerLayout? Layout { get; init; }

    public bool Raw { get; init; }

    public int Steps { get; init; } = 50;

    public string? Baseline { get; init; }

    public int Samples { get; init; } = 50;

    public double Noise { get; init; } = 0.15;

    public int Seed { get; init; }

    /// <summary>The LRP composite's name in <see cref="Lrp.Composites.LrpComposites"/>.</summary>
    public string Composite { get; init; } = Lrp.Composites.LrpComposites.EpsilonPlus.Name;

    public IReadOnlyList<float>? Low { get; init; }

    public IReadOnlyList<float>? High { get; init; }

    public string? Window { get; init; }

    public string? Stride { get; init; }

    public int Masks { get; init; } = 4000;

    public int BatchSize { get; init; } = 32;

    /// <summary>Ablation-CAM's fill (<c>--ablation-fill</c>); null: the method's default.</summary>
    public Cam.AblationFill? AblationFill { get; init; }

    /// <summary>Guided Grad-CAM's convention (<c>--convention</c>); null: the method's default.</summary>
    public Cam.GuidedGradCamConvention? GuidedGradCamConvention { get; init; }

    /// <summary>The explained input of a multi-input model (<c>--explained-input</c>); null: the core's default choice.</summary>
    public string? ExplainedInput { get; init; }

    /// <summary>A multi-input model's other inputs (<c>--input NAME=FILE.npy</c>), one row per row of the batch; null for a single-input model.</summary>
    public IReadOnlyDictionary<string, InputTensor>? OtherInputs { get; init; }

    /// <summary>What is explained (<c>--target-kind</c>); null: the class logit.</summary>
    public Targets.ExplanationTarget? Target { get; init; }

    /// <summary>
    /// Cancels the run (Ctrl+C): checked before and after each method, and given to the explainer's request, so a
    /// method stops within one batch.
    /// </summary>
    public CancellationToken Cancellation { get; init; }

    public ExecutionOptions Execution => new() { BatchSize = BatchSize };

    /// <summary>The core settings for <paramref name="method"/> on <paramref name="batch"/> (LRP bounds default to the batch's range).</summary>
    public MethodSettings ToSettings(ExplanationMethod method, FloatTensor batch) => Methods.Settings(this, method, batch);
}
