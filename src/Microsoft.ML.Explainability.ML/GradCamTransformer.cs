using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>Adds Grad-CAM saliency maps (see <see cref="GradCamEstimator"/> and <see cref="ExplainTransformerBase"/>).</summary>
public sealed class GradCamTransformer : ExplainTransformerBase
{
    internal const string KindName = "GradCam";

    internal GradCamTransformer(ExplainSettings settings, OnnxModel model)
        : base(settings, model)
    {
    }
}
