using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp.Rules;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>Options of a <see cref="TransformerExplainer"/>.</summary>
public sealed class TransformerOptions
{
    /// <summary>The method <see cref="TransformerExplainer.Explain(FloatTensor, long[])"/> uses. Default <see cref="TransformerMethod.GradientWeightedAttention"/>.</summary>
    public TransformerMethod Method { get; init; } = TransformerMethod.GradientWeightedAttention;

    /// <summary>Overrides of the attention discovery (attention tensors, token grid, token layer, class token).</summary>
    public AttentionDiscoveryOptions Discovery { get; init; } = new();

    /// <summary>Attention rollout: how heads are fused. Default mean (Abnar &amp; Zuidema).</summary>
    public HeadFusion HeadFusion { get; init; } = HeadFusion.Mean;

    /// <summary>Attention rollout: fraction in [0, 1) of the lowest fused attentions set to zero (vit-explain's <c>discard_ratio</c>). Default 0.</summary>
    public double DiscardRatio { get; init; }

    /// <summary>
    /// Attention rollout and gradient-weighted attention: the first block taken into the product; blocks before it are
    /// skipped (the <c>start_layer</c> of Chefer et al.'s reference code, <c>compute_rollout_attention</c>). Default 0,
    /// every block, as in both papers. On the fixture DeiT, gradient-weighted attention from block 2 puts its top patch on
    /// the object more often than from block 0 (91.8% vs 79.7% of 900 held-out Fashion-MNIST test images): the first
    /// blocks' attention mixes in background patches along the object's outline.
    /// </summary>
    public int StartBlock { get; init; }

    /// <summary>Token CAM: the CAM method (gradient-based ones and Eigen-CAM). Default Grad-CAM.</summary>
    public ExplanationMethod CamMethod { get; init; } = ExplanationMethods.GradCam;

    /// <summary>
    /// Transformer LRP: ε (≥ 0) of <see cref="LrpComposite.Transformer"/> (linear layers, LN-rule, attention products).
    /// Default <see cref="LrpRules.DefaultEpsilon"/>, the one default of every LRP rule.
    /// </summary>
    public double LrpEpsilon { get; init; } = LrpRules.DefaultEpsilon;

    /// <summary>
    /// Transformer LRP: the composite; null (the default) is <see cref="LrpComposite.Transformer"/>(<see cref="LrpEpsilon"/>).
    /// Any composite runs through <see cref="LrpExplainer"/>, for example <see cref="LrpComposite.AttnLrp"/>.
    /// </summary>
    public LrpComposite? LrpComposite { get; init; }

    /// <summary>
    /// Transformer LRP: the tensor whose LRP relevance is mapped — null (the default) for the model's input (an
    /// image [N, C, H, W], relevance summed per patch; or tokens [N, T, C]), or any token tensor [N, T, C] such as the
    /// first block's input.
    /// </summary>
    public string? LrpLayer { get; init; }

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

    /// <summary>Backward rules of the gradient-based methods (true gradients by default); LRP takes its rules from <see cref="LrpComposite"/>.</summary>
    public GradientRuleRegistry Rules { get; init; } = GradientRuleRegistry.Default;
}
