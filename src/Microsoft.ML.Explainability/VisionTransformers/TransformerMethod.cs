namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>The vision-transformer explanation methods of <see cref="TransformerExplainer"/>.</summary>
public enum TransformerMethod
{
    /// <summary>Attention rollout (Abnar &amp; Zuidema 2020), class-independent: <see cref="VisionTransformers.AttentionRollout"/>.</summary>
    AttentionRollout,

    /// <summary>Gradient-weighted attention relevance (Chefer, Gur &amp; Wolf, ICCV 2021): <see cref="VisionTransformers.GradientWeightedAttention"/>.</summary>
    GradientWeightedAttention,

    /// <summary>Grad-CAM family on a block's token activations: <see cref="VisionTransformers.TokenGradCam"/>.</summary>
    TokenGradCam,

    /// <summary>
    /// Layer-wise Relevance Propagation with <see cref="Lrp.Composites.LrpComposite.Transformer"/> (LN-rule, AH-rule, ε-rule;
    /// Ali et al. 2022) through <see cref="Lrp.LrpExplainer"/>, seeded with the target logit; relevance summed per patch
    /// (<see cref="VisionTransformers.TransformerLrp.PatchMap"/>).
    /// </summary>
    Lrp,
}
