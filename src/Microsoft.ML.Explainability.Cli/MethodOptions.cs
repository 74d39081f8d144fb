using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>Options shared by the methods (each reads the ones it needs).</summary>
internal sealed class MethodOptions
{
    public string? Layer { get; init; }

    /// <summary>The target layer's layout (<c>--layout</c>); null: inferred from the graph.</summary>
    public LayerLayout? Layout { get; init; }

    public bool Raw { get; init; }

    public int Steps { get; init; } = 50;

    public string? Baseline { get; init; }

    public int Samples { get; init; } = 50;

    public double Noise { get; init; } = 0.15;

    public int Seed { get; init; }

    public string Composite { get; init; } = "epsilon-plus";

    public IReadOnlyList<float>? Low { get; init; }

    public IReadOnlyList<float>? High { get; init; }

    public string? Window { get; init; }

    public string? Stride { get; init; }

    public int Masks { get; init; } = 4000;

    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Cancels the run (Ctrl+C): checked before and after each method, and given to every library call that takes a
    /// token, so a method stops within one batch where the library supports it.
    /// </summary>
    public CancellationToken Cancellation { get; init; }

    public ExecutionOptions Execution => new() { BatchSize = BatchSize };
}
