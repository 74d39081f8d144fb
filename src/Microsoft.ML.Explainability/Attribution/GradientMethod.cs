namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Gradient-based input attributions computed by <see cref="GradientExplainer"/>. g(x) = ∂y/∂x of the target score y.</summary>
public enum GradientMethod
{
    /// <summary>
    /// Saliency (Simonyan et al., ICLR-W 2014): |g(x)| per input element (Captum's <c>Saliency</c>, <c>abs=True</c>), or the
    /// signed g(x) with <see cref="GradientOptions.Absolute"/> false; <see cref="GradientOptions.ReduceChannels"/> takes the
    /// paper's maximum over colour channels.
    /// </summary>
    Saliency,

    /// <summary>Input × gradient (Shrikumar et al. 2016; Captum's <c>InputXGradient</c>): x ⊙ g(x).</summary>
    InputXGradient,

    /// <summary>SmoothGrad (Smilkov et al. 2017): (1/n) Σᵢ g(x + εᵢ), εᵢ ~ 𝒩(0, σ²), σ = noise level × (max x − min x) of the row.</summary>
    SmoothGrad,

    /// <summary>SmoothGrad² (Hooker et al., NeurIPS 2019; Captum's <c>smoothgrad_sq</c>): (1/n) Σᵢ g(x + εᵢ)².</summary>
    SmoothGradSquared,

    /// <summary>VarGrad (Adebayo et al. 2018; Captum's <c>vargrad</c>): (1/n) Σᵢ g(x + εᵢ)² − ((1/n) Σᵢ g(x + εᵢ))².</summary>
    VarGrad,

    /// <summary>Guided Backpropagation (Springenberg et al. 2015): the gradient with <see cref="ModifiedReluRules.GuidedBackprop"/> at every ReLU.</summary>
    GuidedBackprop,

    /// <summary>Deconvnet (Zeiler &amp; Fergus 2014): the gradient with <see cref="ModifiedReluRules.Deconvnet"/> at every ReLU.</summary>
    Deconvnet,
}
