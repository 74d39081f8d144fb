using System.Globalization;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Lrp.Canonizers;

internal sealed class Canonizer(string name, Func<OnnxModel, (OnnxModel, int)> apply) : LrpCanonizer
{
    public override string Name => name;

    public override (OnnxModel Model, int Changes) Apply(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return apply(model);
    }
}
