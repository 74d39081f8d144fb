using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Options of <see cref="FullGrad"/>.</summary>
public sealed class FullGradOptions
{
    /// <summary>The output explained; null (the default) takes the model's first [N, classes] float output.</summary>
    public string? Output { get; init; }

    /// <summary>
    /// The input explained, for a model with several inputs; null takes the model's only input, or its only float image
    /// input [N, C, H, W]. The other inputs are fed with each request (<see cref="Explainers.ExplanationRequest.Inputs"/>)
    /// and held fixed.
    /// </summary>
    public string? ExplainedInput { get; init; }

    /// <summary>Device, threads and rows per ONNX Runtime call.</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;

    /// <summary>The backward rules; <see cref="GradientRuleRegistry.Default"/> gives true gradients (FullGrad's definition).</summary>
    public GradientRuleRegistry Rules { get; init; } = GradientRuleRegistry.Default;
}
