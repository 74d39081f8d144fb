using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>The component of a CAM that an ablation variant changes.</summary>
public enum AblationFactor
{
    /// <summary>The reference configuration every other variant is compared with.</summary>
    Default,

    /// <summary>(a) The target layer: another convolutional block (or transformer block) than the default one.</summary>
    TargetLayer,

    /// <summary>(b) The ReLU applied to the final map: switched off, so negative evidence stays in the map.</summary>
    MapRelu,

    /// <summary>(c) The gradient through the network's ReLUs: guided backpropagation or deconvnet instead of the true gradient.</summary>
    ReluGradient,

    /// <summary>(d) The pooling of the gradients into channel weights: global maximum instead of Grad-CAM's global average.</summary>
    GradientPooling,
}

/// <summary>How the gradient passes the network's ReLU nodes (<see cref="ModifiedReluRules"/>).</summary>
public enum ReluGradientKind
{
    /// <summary>The true gradient, dX = dY·[X &gt; 0].</summary>
    Plain,

    /// <summary>Guided backpropagation, dX = ReLU(dY)·[X &gt; 0] (<see cref="ModifiedReluRules.GuidedBackprop"/>).</summary>
    Guided,

    /// <summary>Deconvnet, dX = ReLU(dY) (<see cref="ModifiedReluRules.Deconvnet"/>).</summary>
    Deconvnet,
}

/// <summary>How Grad-CAM pools the gradients Gᵏ of a channel into its weight wₖ.</summary>
public enum GradientPoolingKind
{
    /// <summary>Global average, wₖ = mean_ij Gᵏᵢⱼ (Grad-CAM).</summary>
    Average,

    /// <summary>Global maximum, wₖ = max_ij Gᵏᵢⱼ (the Grad-CAM paper's appendix variant).</summary>
    Max,
}

/// <summary>The metrics an ablation study computes for every variant.</summary>
[Flags]
public enum AblationMetrics
{
    /// <summary>No metric.</summary>
    None = 0,

    /// <summary>Deletion AUC (<see cref="DeletionInsertion.Deletion"/>, lower is better).</summary>
    Deletion = 1,

    /// <summary>Insertion AUC (<see cref="DeletionInsertion.Insertion"/>, higher is better).</summary>
    Insertion = 2,

    /// <summary>Faithfulness correlation (<see cref="Evaluation.FaithfulnessCorrelation"/>, higher is better).</summary>
    FaithfulnessCorrelation = 4,

    /// <summary>Pointing game (<see cref="Localisation.PointingGame"/>; needs <see cref="AblationOptions.Masks"/>).</summary>
    PointingGame = 8,

    /// <summary>Relevance mass accuracy (<see cref="Localisation.RelevanceMassAccuracy"/>; needs masks).</summary>
    RelevanceMassAccuracy = 16,

    /// <summary>Relevance rank accuracy (<see cref="Localisation.RelevanceRankAccuracy"/>; needs masks).</summary>
    RelevanceRankAccuracy = 32,

    /// <summary>Sparseness, the Gini index (<see cref="Complexity.Sparseness"/>, higher is sparser).</summary>
    Sparseness = 64,

    /// <summary>Complexity, the entropy (<see cref="Complexity.EntropyComplexity"/>, lower is simpler).</summary>
    Complexity = 128,

    /// <summary>Every metric above (localisation only when masks are given).</summary>
    All = Deletion | Insertion | FaithfulnessCorrelation | PointingGame | RelevanceMassAccuracy | RelevanceRankAccuracy | Sparseness | Complexity,
}

/// <summary>Settings of an <see cref="AblationStudy"/>.</summary>
public sealed class AblationOptions
{
    /// <summary>The CAM method ablated. Default <see cref="CamMethod.GradCam"/>.</summary>
    public CamMethod Method { get; init; } = CamMethod.GradCam;

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

    /// <summary>Whether to vary (d) the gradient pooling (global max). Default true; applies to <see cref="CamMethod.GradCam"/> only.</summary>
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
