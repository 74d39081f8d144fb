namespace Microsoft.ML.Explainability.Explainers;

/// <summary>The family an <see cref="ExplanationMethod"/> belongs to, which fixes how it uses the model.</summary>
public enum MethodFamily
{
    /// <summary>Class activation maps: a channel weighting of a target layer's activations (Grad-CAM and its relatives).</summary>
    Cam,

    /// <summary>Gradients of the target score with respect to the input (saliency, input × gradient, SmoothGrad, integrated gradients, FullGrad).</summary>
    Gradient,

    /// <summary>Gradients through modified ReLU backward rules (Guided Backpropagation, Deconvnet, Guided Grad-CAM).</summary>
    ModifiedRelu,

    /// <summary>Forward passes on perturbed inputs (occlusion, RISE).</summary>
    Perturbation,

    /// <summary>Layer-wise Relevance Propagation with a composite of rules.</summary>
    Lrp,

    /// <summary>Methods that read a vision transformer's attention (rollout, gradient-weighted attention, token CAM).</summary>
    VisionTransformer,
}
