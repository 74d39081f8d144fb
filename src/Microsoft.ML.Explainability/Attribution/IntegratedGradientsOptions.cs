using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Options of <see cref="IntegratedGradients"/>.</summary>
public sealed class IntegratedGradientsOptions
{
    /// <summary>
    /// The default of <see cref="MaxSteps"/>: 4,096 points, far above the tens to hundreds used in practice. Gauss–Legendre
    /// set-up is O(n²): about a second at 4,096 points, four at 10,000, centuries at 4·10⁸ (measured on a shared 2-core machine).
    /// </summary>
    public const int DefaultMaxSteps = 4096;

    /// <summary>Points of the quadrature, n. Default 50 (Captum's <c>n_steps</c>); at most <see cref="MaxSteps"/>.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>
    /// The largest <see cref="Steps"/> accepted, so that a careless or hostile step count fails at once instead of
    /// spending hours in the O(n²) Gauss–Legendre set-up. Default <see cref="DefaultMaxSteps"/>; raise it explicitly for
    /// finer quadratures.
    /// </summary>
    public int MaxSteps { get; init; } = DefaultMaxSteps;

    /// <summary>The quadrature. Default <see cref="IntegrationRule.GaussLegendre"/> (Captum's default).</summary>
    public IntegrationRule Rule { get; init; } = IntegrationRule.GaussLegendre;

    /// <summary>
    /// The baseline b: one row [1, …] used for every input row, or one per row [N, …]; null (the default) is all zeros
    /// (Captum's default). In normalised pixel space, a black image is not zero: pass it explicitly if wanted.
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

    /// <summary>Device, threads and rows per ONNX Runtime call (path points of all rows are batched together).</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;

    /// <summary>The backward rules; <see cref="GradientRuleRegistry.Default"/> gives true gradients.</summary>
    public GradientRuleRegistry Rules { get; init; } = GradientRuleRegistry.Default;

    /// <summary>Checks <see cref="Steps"/> against <see cref="MaxSteps"/> before any set-up work.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Steps is below 1 or above MaxSteps.</exception>
    internal void Validate()
    {
        if (Steps < 1 || Steps > MaxSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"Integrated gradients: Steps must be between 1 and MaxSteps ({MaxSteps}); raise MaxSteps explicitly for a finer quadrature.");
        }
    }
}
