using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Options of <see cref="Occlusion"/>.</summary>
public sealed class OcclusionOptions
{
    /// <summary>Window height in pixels. Default 15 (Captum's ImageNet tutorial uses a 15×15 window, stride 8).</summary>
    public int WindowHeight { get; init; } = 15;

    /// <summary>Window width in pixels. Default 15.</summary>
    public int WindowWidth { get; init; } = 15;

    /// <summary>Vertical stride in pixels. Default 8.</summary>
    public int StrideY { get; init; } = 8;

    /// <summary>Horizontal stride in pixels. Default 8.</summary>
    public int StrideX { get; init; } = 8;

    /// <summary>The value written into the window (all input channels), in the model's input space. Default 0 (Captum's default baseline).</summary>
    public float BaselineValue { get; init; }

    /// <summary>
    /// A baseline image instead of <see cref="BaselineValue"/>: one row [1, C, H, W] for every input row or one per row
    /// [N, C, H, W]; the window takes its values. Null (the default) uses <see cref="BaselineValue"/>.
    /// </summary>
    public FloatTensor? Baseline { get; init; }

    /// <summary>The output explained; null (the default) takes the model's first [N, classes] float output.</summary>
    public string? Output { get; init; }

    /// <summary>
    /// The input explained, for a model with several inputs; null takes the model's only input, or its only float image
    /// input [N, C, H, W]. The other inputs are fed with each request (<see cref="Explainers.ExplanationRequest.Inputs"/>)
    /// and held fixed.
    /// </summary>
    public string? ExplainedInput { get; init; }

    /// <summary>Device, threads and rows per ONNX Runtime call (occluded copies of all rows are batched together).</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;
}
