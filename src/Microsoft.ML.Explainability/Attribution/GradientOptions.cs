using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Options of a <see cref="GradientExplainer"/>.</summary>
public sealed class GradientOptions
{
    /// <summary>The method. Default <see cref="GradientMethod.Saliency"/>.</summary>
    public GradientMethod Method { get; init; } = GradientMethod.Saliency;

    /// <summary>Saliency only: |∂y/∂x| when true (the default, as Captum's <c>abs=True</c>), the signed gradient when false.</summary>
    public bool Absolute { get; init; } = true;

    /// <summary>
    /// Saliency only: when true, the maximum over the channel axis (axis 1) of the (absolute) gradient, [N, 1, H, W], as
    /// in Simonyan et al.; when false (the default, as Captum) one value per input element.
    /// </summary>
    public bool ReduceChannels { get; init; }

    /// <summary>SmoothGrad family: noisy samples per row, n. Default 50 (Smilkov et al. use 50).</summary>
    public int Samples { get; init; } = 50;

    /// <summary>SmoothGrad family: noise standard deviation as a fraction of each row's value range (max − min). Default 0.15 (the paper's 10–20%).</summary>
    public double NoiseLevel { get; init; } = 0.15;

    /// <summary>SmoothGrad family: seed of the Gaussian noise (System.Random, Box–Muller), so results repeat. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>The output explained; null (the default) takes the model's first [N, classes] float output.</summary>
    public string? Output { get; init; }

    /// <summary>
    /// The input explained, for a model with several inputs; null takes the model's only input, or its only float image
    /// input [N, C, H, W]. The other inputs are fed with each request (<see cref="Explainers.ExplanationRequest.Inputs"/>)
    /// and held fixed.
    /// </summary>
    public string? ExplainedInput { get; init; }

    /// <summary>Device, threads and rows per ONNX Runtime call (noisy samples are batched across rows).</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;

    /// <summary>
    /// Backward rules the method starts from (default: true gradients); Guided Backprop and Deconvnet replace the ReLU
    /// rule in it.
    /// </summary>
    public GradientRuleRegistry Rules { get; init; } = GradientRuleRegistry.Default;
}
