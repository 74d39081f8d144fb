using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Options of <see cref="IntegratedGradients"/>.</summary>
public sealed class IntegratedGradientsOptions
{
    /// <summary>Points of the quadrature, n. Default 50 (Captum's <c>n_steps</c>).</summary>
    public int Steps { get; init; } = 50;

    /// <summary>The quadrature. Default <see cref="IntegrationRule.GaussLegendre"/> (Captum's default).</summary>
    public IntegrationRule Rule { get; init; } = IntegrationRule.GaussLegendre;

    /// <summary>
    /// The baseline b: one row [1, …] used for every input row, or one per row [N, …]; null (the default) is all zeros
    /// (Captum's default). In normalised pixel space, a black image is not zero: pass it explicitly if wanted.
    /// </summary>
    public FloatTensor? Baseline { get; init; }

    /// <summary>The output explained; null (the default) takes the model's first [N, classes] float output.</summary>
    public string? Output { get; init; }

    /// <summary>Device, threads and rows per ONNX Runtime call (path points of all rows are batched together).</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;

    /// <summary>The backward rules; <see cref="GradientRuleRegistry.Default"/> gives true gradients.</summary>
    public GradientRuleRegistry Rules { get; init; } = GradientRuleRegistry.Default;
}
