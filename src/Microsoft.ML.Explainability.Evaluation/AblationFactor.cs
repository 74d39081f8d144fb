using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
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
