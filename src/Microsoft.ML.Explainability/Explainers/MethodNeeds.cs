namespace Microsoft.ML.Explainability.Explainers;

/// <summary>What an <see cref="ExplanationMethod"/> asks of the model and the runtime.</summary>
[Flags]
public enum MethodNeeds
{
    /// <summary>Nothing beyond one forward pass.</summary>
    None = 0,

    /// <summary>A backward graph (gradients or relevance) appended to the model.</summary>
    Gradients = 1,

    /// <summary>Many forward passes per row (masked, ablated or perturbed inputs).</summary>
    ForwardPasses = 2,

    /// <summary>Attention-probability tensors found by attention discovery (vision transformers).</summary>
    Attention = 4,

    /// <summary>A target layer with a spatial or token grid (CAM methods).</summary>
    TargetLayer = 8,

    /// <summary>A Hessian-vector product: the backward graph differentiated once more.</summary>
    SecondOrder = 16,
}
