using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>Adds LRP relevance maps (see <see cref="LrpEstimator"/> and <see cref="ExplainTransformerBase"/>).</summary>
public sealed class LrpTransformer : ExplainTransformerBase
{
    internal const string KindName = "Lrp";

    internal LrpTransformer(ExplainSettings settings, OnnxModel model)
        : base(settings, model)
    {
    }
}
