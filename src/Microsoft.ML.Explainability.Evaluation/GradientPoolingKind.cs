using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>How Grad-CAM pools the gradients Gᵏ of a channel into its weight wₖ.</summary>
public enum GradientPoolingKind
{
    /// <summary>Global average, wₖ = mean_ij Gᵏᵢⱼ (Grad-CAM).</summary>
    Average,

    /// <summary>Global maximum, wₖ = max_ij Gᵏᵢⱼ (the Grad-CAM paper's appendix variant).</summary>
    Max,
}
