using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of an <see cref="AblationStudy"/>.</summary>
public sealed class AblationOptions
{
    /// <summary>The CAM method ablated. Default <see cref="ExplanationMethods.GradCam"/>.</summary>
    public ExplanationMethod Method { get; init; } = ExplanationMethods.GradCam;

    /// <summary>The output explained; null: the model's first [N, classes] output.</summary>
    public string? Output { get; init; }

    /// <summary>The default variant's target layer; null: the automatic choice (<see cref="TargetLayers.Automatic(Onnx.OnnxModel, string?)"/>).</summary>
    public string? DefaultLayer { get; init; }

    /// <summary>
    /// The layers of factor (a); null (the default) takes <see cref="AblationStudy.BlockLayers"/>: every candidate of
    /// <see cref="TargetLayers.List(Onnx.OnnxModel)"/> that ends a block (the output of an activation, or of a LayerNormalization for
    /// token layers). The default layer is never repeated as a variant.
    /// </summary>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>Whether to vary (a) the target layer. Default true.</summary>
    public bool VaryLayer { get; init; } = true;

    /// <summary>Whether to vary (b) the ReLU on the final map. Default true.</summary>
    public bool VaryMapRelu { get; init; } = true;

    /// <summary>Whether to vary (c) the gradient through ReLUs (guided, deconvnet). Default true; skipped for methods without gradients.</summary>
    public bool VaryReluGradient { get; init; } = true;

    /// <summary>Whether to vary (d) the gradient pooling (global max). Default true; applies to <see cref="ExplanationMethods.GradCam"/> only.</summary>
    public bool VaryPooling { get; init; } = true;

    /// <summary>The metrics. Default <see cref="AblationMetrics.All"/>.</summary>
    public AblationMetrics Metrics { get; init; } = AblationMetrics.All;

    /// <summary>
    /// Ground-truth object masks for the localisation metrics ([N, H, W], [N, 1, H, W] or the inputs' shape; see
    /// <see cref="Localisation"/>); for Fashion-MNIST use <see cref="ObjectMasks.BrighterThanBackground"/>. Null: the
    /// localisation metrics are left out.
    /// </summary>
    public FloatTensor? Masks { get; init; }

    /// <summary>Steps, baseline and score of the deletion and insertion curves.</summary>
    public DeletionInsertionOptions Curves { get; init; } = new();

    /// <summary>Settings of faithfulness correlation. Default 20 runs (seeded).</summary>
    public FaithfulnessCorrelationOptions FaithfulnessCorrelation { get; init; } = new() { Runs = 20 };

    /// <summary>Device, threads and rows per ONNX Runtime call.</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;
}
