using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>Options of a <see cref="CamExplainer"/>.</summary>
public sealed class CamOptions
{
    /// <summary>The CAM method: a CAM entry of <see cref="ExplanationMethods"/>. Default <see cref="ExplanationMethods.GradCam"/>.</summary>
    public ExplanationMethod Method { get; init; } = ExplanationMethods.GradCam;

    /// <summary>Name of the target layer's tensor; null (the default) chooses it automatically (see <see cref="TargetLayers"/>).</summary>
    public string? TargetLayer { get; init; }

    /// <summary>For a token layer [N, T, C]: the prefix tokens and patch grid, overriding the automatic reading.</summary>
    public TokenGrid? TokenGrid { get; init; }

    /// <summary>
    /// The target layer's layout, overriding the one inferred from the graph (see <see cref="TargetLayers"/>):
    /// <see cref="LayerLayout.ChannelsFirst"/> or <see cref="LayerLayout.ChannelsLast"/> for a rank-4 tensor,
    /// <see cref="LayerLayout.Tokens"/> for a rank-3 one. Null (the default): inferred.
    /// </summary>
    public LayerLayout? Layout { get; init; }

    /// <summary>The output explained; null (the default) takes the model's first [N, classes] float output.</summary>
    public string? Output { get; init; }

    /// <summary>
    /// The input explained, for a model with several inputs; null takes the model's only input, or its only float image
    /// input [N, C, H, W]. The other inputs are fed with each request (<see cref="Explainers.ExplanationRequest.Inputs"/>)
    /// and held fixed.
    /// </summary>
    public string? ExplainedInput { get; init; }

    /// <summary>
    /// <see cref="GuidedGradCam"/> only: pytorch-grad-cam's convention (the post-processed map, the default) or Captum's
    /// (the raw ReLU'd layer map, nearest-neighbour upsampling).
    /// </summary>
    public GuidedGradCamConvention GuidedGradCamConvention { get; init; } = GuidedGradCamConvention.PyTorchGradCam;

    /// <summary>Device, threads and rows per ONNX Runtime call (also for Score-CAM's and Ablation-CAM's forward passes).</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;

    /// <summary>Backward rules for the layer gradients; <see cref="GradientRuleRegistry.Default"/> gives true gradients.</summary>
    public GradientRuleRegistry Rules { get; init; } = GradientRuleRegistry.Default;

    /// <summary>Ablation-CAM: the value of an ablated channel. Default <see cref="Cam.AblationFill.PyTorchGradCam"/>.</summary>
    public AblationFill AblationFill { get; init; } = AblationFill.PyTorchGradCam;

    /// <summary>
    /// SS-CAM, IS-CAM and Smooth Grad-CAM++: the number of noisy (or integration) samples per image; null keeps the
    /// method's torch-cam default (35, 10 and 4).
    /// </summary>
    public int? Samples { get; init; }

    /// <summary>SS-CAM and Smooth Grad-CAM++: σ of the Gaussian noise (absolute, as torch-cam); null keeps the default (2.0 and 0.3).</summary>
    public double? NoiseLevel { get; init; }

    /// <summary>SS-CAM and Smooth Grad-CAM++: the seed of the noise, so that maps are reproducible.</summary>
    public int Seed { get; init; }
}
