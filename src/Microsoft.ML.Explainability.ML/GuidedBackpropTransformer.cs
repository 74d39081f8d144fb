using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>Adds Guided Backprop maps (see <see cref="GuidedBackpropEstimator"/> and <see cref="ExplainTransformerBase"/>).</summary>
public sealed class GuidedBackpropTransformer : ExplainTransformerBase
{
    internal const string KindName = "GuidedBackprop";

    internal GuidedBackpropTransformer(ExplainSettings settings, OnnxModel model)
        : base(settings, model)
    {
    }
}
