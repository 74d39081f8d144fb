using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>Options of a <see cref="CamExplainer"/>.</summary>
public sealed class CamOptions
{
    /// <summary>The CAM method: a CAM entry of <see cref="ExplanationMethods"/>. Default <see cref="ExplanationMethods.GradCam"/>.</summary>
    public ExplanationMethod Method { get; init; } = ExplanationMethods.GradCam;

    /// <summary>Name of the target layer's tensor; null (the default) chooses it automatically (see <see cref="Explainers.TargetLayers"/>). Shorthand for a one-element <see cref="TargetLayers"/>; give one or the other.</summary>
    public string? TargetLayer { get; init; }

    /// <summary>
    /// Several target layers (pytorch-grad-cam's <c>target_layers</c> list): the map of each is computed from one forward
    /// and backward pass, post-processed, and the maps are combined — as the mean of the per-layer ReLU'd, min-max
    /// normalised, resized maps, then min-max (pytorch-grad-cam's <c>aggregate_multi_layers</c>), or as their product for
    /// RefineCAM. Each layer's raw map is reported (<see cref="CamResult.LayerRawMaps"/>). Null or empty (the default):
    /// <see cref="TargetLayer"/>, else the automatic choice. <see cref="TokenGrid"/> and <see cref="Layout"/> apply to
    /// every layer.
    /// </summary>
    public IReadOnlyList<string>? TargetLayers { get; init; }

    /// <summary>For a token layer [N, T, C]: the prefix tokens and patch grid, overriding the automatic reading.</summary>
    public TokenGrid? TokenGrid { get; init; }

    /// <summary>
    /// The target layer's layout, overriding the one inferred from the graph (see <see cref="Explainers.TargetLayers"/>):
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

    /// <summary>
    /// pytorch-grad-cam's <c>eigen_smooth</c>: each layer's raw map is the first-principal-component projection of the
    /// weighted activations (wₖ·Aᵏ, or the element-wise products of HiResCAM, LayerCAM and Grad-CAM element-wise) instead
    /// of their sum over channels, with the component sign rule of Eigen-CAM (largest-magnitude value positive; the
    /// reference keeps LAPACK's arbitrary sign). Refused (<see cref="ArgumentException"/>) for methods whose map already is
    /// a projection (Eigen-CAM, Eigen-Grad-CAM, KPCA-CAM, Seg-Eigen-CAM) and for FEM, which pytorch-grad-cam leaves
    /// unsmoothed. Default false.
    /// </summary>
    public bool EigenSmooth { get; init; }

    /// <summary>
    /// pytorch-grad-cam's <c>aug_smooth</c> (test-time augmentation with <c>ttach</c>): the CAM of each of 6 augmented
    /// copies — no flip or a horizontal flip, times the input multiplied by 0.9, 1 or 1.1 — with the flip undone on its
    /// map, averaged (not normalised again). The copies run as one batch; a class of −1 is each copy's predicted class, as
    /// in the reference. Needs an image input [N, C, H, W]. Default false.
    /// </summary>
    public bool AugSmooth { get; init; }

    /// <summary>SS-CAM and Smooth Grad-CAM++: the seed of the noise, so that maps are reproducible.</summary>
    public int Seed { get; init; }
}
