using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// The settings of any method in one flat, serialisable bag: what the command line, the ML.NET estimators and the
/// evaluation harness pass to <see cref="ExplanationMethod.CreateExplainer"/>. Each method reads the settings it
/// understands and maps them onto its own options type (<see cref="ExplanationMethod.OptionsType"/>); a null setting
/// keeps that options type's default, so every default is declared once, on the options type.
/// </summary>
public sealed record MethodSettings
{
    /// <summary>The default settings (every method's defaults).</summary>
    public static MethodSettings Default { get; } = new();

    /// <summary>CAM and Guided Grad-CAM: the target layer's tensor; null chooses it automatically.</summary>
    public string? TargetLayer { get; init; }

    /// <summary>CAM: several target layers whose maps are combined (<see cref="Cam.CamOptions.TargetLayers"/>); null or empty uses <see cref="TargetLayer"/>.</summary>
    public IReadOnlyList<string>? TargetLayers { get; init; }

    /// <summary>CAM: pytorch-grad-cam's <c>eigen_smooth</c> (<see cref="Cam.CamOptions.EigenSmooth"/>); null keeps the default (off).</summary>
    public bool? EigenSmooth { get; init; }

    /// <summary>CAM: pytorch-grad-cam's <c>aug_smooth</c> (<see cref="Cam.CamOptions.AugSmooth"/>); null keeps the default (off).</summary>
    public bool? AugSmooth { get; init; }

    /// <summary>CAM and Guided Grad-CAM: the target layer's layout, overriding the one read from the graph; null infers it.</summary>
    public LayerLayout? Layout { get; init; }

    /// <summary>The output explained; null takes the model's first [N, classes] float output.</summary>
    public string? Output { get; init; }

    /// <summary>
    /// The input explained, for a model with several inputs; null takes the model's only input, or its only float image
    /// input [N, C, H, W]. The other inputs are fed with each request (<see cref="Explainers.ExplanationRequest.Inputs"/>)
    /// and held fixed.
    /// </summary>
    public string? ExplainedInput { get; init; }

    /// <summary>Ablation-CAM: what an ablated channel is filled with (<see cref="Cam.CamOptions.AblationFill"/>); null: pytorch-grad-cam's fill.</summary>
    public Cam.AblationFill? AblationFill { get; init; }

    /// <summary>Guided Grad-CAM: pytorch-grad-cam's convention or Captum's (<see cref="Cam.CamOptions.GuidedGradCamConvention"/>); null: pytorch-grad-cam's.</summary>
    public Cam.GuidedGradCamConvention? GuidedGradCamConvention { get; init; }

    /// <summary>
    /// What is explained (<see cref="Targets.ExplanationTargets"/>): its score is appended to the model as ONNX nodes
    /// reading <see cref="Output"/>, and every method explains that score (the row's class picks its column). Null: the
    /// class logit, or the method's own target (Finer-CAM's). Relevance propagation (LRP, transformer LRP) refuses
    /// targets that are not sums of contributions (softmax, binary, detector boxes, similarity, Finer).
    /// </summary>
    public Targets.ExplanationTarget? Target { get; init; }

    /// <summary>Device, threads and rows per ONNX Runtime call.</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;

    /// <summary>Gradient methods: whether attributions are |·| (Simonyan et al.'s saliency); null: the method's default.</summary>
    public bool? Absolute { get; init; }

    /// <summary>SmoothGrad, SmoothGrad², VarGrad: noisy samples per row.</summary>
    public int? Samples { get; init; }

    /// <summary>SmoothGrad family: σ of the noise as a fraction of each row's value range.</summary>
    public double? NoiseLevel { get; init; }

    /// <summary>Random methods (SmoothGrad family, RISE): the seed.</summary>
    public int? Seed { get; init; }

    /// <summary>Integrated gradients: the number of path points.</summary>
    public int? Steps { get; init; }

    /// <summary>Integrated gradients and occlusion: the baseline, one row of the input's shape (null: zeros).</summary>
    public FloatTensor? Baseline { get; init; }

    /// <summary>Occlusion: the value an occluded window is filled with when no <see cref="Baseline"/> tensor is given.</summary>
    public float? BaselineValue { get; init; }

    /// <summary>Occlusion: window height and width.</summary>
    public (int Height, int Width)? Window { get; init; }

    /// <summary>Occlusion: strides along y and x.</summary>
    public (int Y, int X)? Stride { get; init; }

    /// <summary>RISE: the number of random masks.</summary>
    public int? Masks { get; init; }

    /// <summary>LRP: the composite's name in <see cref="Lrp.Composites.LrpComposites"/>; null: epsilon-plus.</summary>
    public string? Composite { get; init; }

    /// <summary>LRP: ε of the ε rules.</summary>
    public double? Epsilon { get; init; }

    /// <summary>LRP epsilon-gamma-box: the input's lowest values (one, or one per channel).</summary>
    public IReadOnlyList<double>? Low { get; init; }

    /// <summary>LRP epsilon-gamma-box: the input's highest values.</summary>
    public IReadOnlyList<double>? High { get; init; }

    /// <summary>LRP: what the relevance starts from.</summary>
    public LrpSeed? LrpSeed { get; init; }

    /// <summary>LRP: whether the composite's canonizers run.</summary>
    public bool? Canonize { get; init; }
}
