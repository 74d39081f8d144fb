using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli.Compile;

/// <summary>Options of <see cref="ExplanationCompiler.Compile"/>.</summary>
internal sealed class CompileOptions
{
    /// <summary>CAM target layer; null: the automatic choice.</summary>
    public string? Layer { get; init; }

    /// <summary>The target layer's layout; null: inferred from the graph.</summary>
    public LayerLayout? Layout { get; init; }

    /// <summary>Saliency: |∂y/∂x| per channel (N×C×H×W) instead of its maximum over channels (N×H×W).</summary>
    public bool PerChannel { get; init; }

    /// <summary>
    /// Make <c>targets</c> a plain required input instead of an optional one (an input backed by a default initializer).
    /// onnxruntime-node and onnxruntime-web cannot override such initializers (they only feed the required inputs), so
    /// JavaScript callers who choose the class compile with this.
    /// </summary>
    public bool RequiredTargets { get; init; }

    /// <summary>LRP composite name and, for epsilon-gamma-box, its bounds.</summary>
    public MethodOptions Lrp { get; init; } = new();

    /// <summary>LRP: the relevance put on the explained class, one (<see cref="LrpSeed.OneHot"/>) or its logit (<see cref="LrpSeed.Logit"/>).</summary>
    public LrpSeed LrpSeed { get; init; } = LrpSeed.OneHot;
}
