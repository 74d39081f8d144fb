using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>An attribute of a node that <see cref="GraphEmitter"/> adds to a graph.</summary>
public sealed class AttributeValue
{
    private AttributeValue(AttributeProto proto) => Proto = proto;

    internal AttributeProto Proto { get; }

    /// <summary>An integer attribute.</summary>
    public static AttributeValue Int(string name, long value) => new(NodeExtensions.Int(name, value));

    /// <summary>A float attribute.</summary>
    public static AttributeValue Float(string name, float value) => new(NodeExtensions.Float(name, value));

    /// <summary>A string attribute.</summary>
    public static AttributeValue String(string name, string value) => new(NodeExtensions.String(name, value));

    /// <summary>An integer-list attribute.</summary>
    public static AttributeValue Ints(string name, IEnumerable<long> values) => new(NodeExtensions.Ints(name, values));

    /// <summary>A float-list attribute.</summary>
    public static AttributeValue Floats(string name, IEnumerable<float> values) => new(NodeExtensions.Floats(name, values));

    internal static AttributeValue FromProto(AttributeProto proto) => new(proto.Clone());
}
