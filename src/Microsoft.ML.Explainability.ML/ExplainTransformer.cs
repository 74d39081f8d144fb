using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>Adds the maps of any method (see <see cref="ExplainEstimator"/> and <see cref="ExplainTransformerBase"/>).</summary>
public sealed class ExplainTransformer : ExplainTransformerBase
{
    internal const string KindName = "Explain";

    internal ExplainTransformer(ExplainSettings settings, OnnxModel model)
        : base(settings, model)
    {
    }
}
