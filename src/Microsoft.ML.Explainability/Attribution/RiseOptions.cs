using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Options of <see cref="Rise"/>.</summary>
public sealed class RiseOptions
{
    /// <summary>Number of random masks, N. Default 4000 (Petsiuk et al. use 4000 for ResNet-50 on ImageNet).</summary>
    public int Masks { get; init; } = 4000;

    /// <summary>Side s of the coarse binary grid (s×s cells). Default 7 (the paper's ImageNet setting).</summary>
    public int GridSize { get; init; } = 7;

    /// <summary>Probability p that a grid cell is kept (1). Default 0.5 (the paper's setting).</summary>
    public double KeepProbability { get; init; } = 0.5;

    /// <summary>Seed of the masks' random generator (System.Random), so results repeat. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>The output explained; null (the default) takes the model's first [N, classes] float output.</summary>
    public string? Output { get; init; }

    /// <summary>
    /// The input explained, for a model with several inputs; null takes the model's only input, or its only float image
    /// input [N, C, H, W]. The other inputs are fed with each request (<see cref="Explainers.ExplanationRequest.Inputs"/>)
    /// and held fixed.
    /// </summary>
    public string? ExplainedInput { get; init; }

    /// <summary>Device, threads and rows per ONNX Runtime call (masked copies of all rows are batched together).</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;
}
