using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// The settings of any method in one flat, serialisable bag: what the command line, the ML.NET estimators and the
/// evaluation harness pass to <see cref="ExplanationMethod.CreateExplainer"/>. Each method reads the settings it
/// understands and maps them onto its own options type (<see cref="ExplanationMethod.OptionsType"/>); a null setting
/// keeps that options type's default, so every default is declared once, on the options type.
/// </summary>
public sealed class MethodSettings
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
