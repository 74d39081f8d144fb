using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>One configuration of the ablated CAM.</summary>
/// <param name="Name">Short unique name, e.g. "default", "map ReLU: off", "gradient: guided", "layer: relu3".</param>
/// <param name="Factor">The component changed from the default (<see cref="AblationFactor.Default"/> for the reference).</param>
/// <param name="Setting">The factor's value in words, e.g. "off", "guided", "global max", or the layer's name.</param>
/// <param name="Layer">The target layer's tensor name.</param>
/// <param name="MapRelu">Whether the final map goes through ReLU before normalisation.</param>
/// <param name="Gradient">The gradient through the network's ReLUs.</param>
/// <param name="Pooling">The pooling of the gradients (Grad-CAM only; <see cref="GradientPoolingKind.Average"/> stands for the method's own weighting).</param>
public sealed record AblationVariant(string Name, AblationFactor Factor, string Setting, string Layer, bool MapRelu, ReluGradientKind Gradient, GradientPoolingKind Pooling)
{
    /// <summary>Whether this is the reference configuration.</summary>
    public bool IsDefault => Factor == AblationFactor.Default;
}
