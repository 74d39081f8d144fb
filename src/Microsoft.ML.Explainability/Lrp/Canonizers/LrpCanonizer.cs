using System.Globalization;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Lrp.Canonizers;

/// <summary>
/// A canonizer: a rewrite of the model that keeps its outputs but puts it in the form LRP rules expect (Zennit's
/// <c>Canonizer</c>), such as BatchNormalization merged into the adjacent convolution. A composite applies its list
/// of canonizers in order (<see cref="LrpComposite.Canonizers"/>). The built-in ones are in <see cref="LrpCanonizers"/>.
/// </summary>
public abstract class LrpCanonizer
{
    private protected LrpCanonizer()
    {
    }

    /// <summary>The canonizer's name, for messages.</summary>
    public abstract string Name { get; }

    /// <summary>Returns the rewritten copy of <paramref name="model"/> and how many rewrites were made; the model given is not modified.</summary>
    public abstract (OnnxModel Model, int Changes) Apply(OnnxModel model);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
