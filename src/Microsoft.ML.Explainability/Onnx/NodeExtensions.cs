using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>Attribute access and construction for <see cref="NodeProto"/>.</summary>
internal static class NodeExtensions
{
    public static AttributeProto? Attribute(this NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name);

    public static long GetInt(this NodeProto node, string name, long defaultValue) =>
        node.Attribute(name) is { } a ? a.I : defaultValue;

    public static float GetFloat(this NodeProto node, string name, float defaultValue) =>
        node.Attribute(name) is { } a ? a.F : defaultValue;

    public static string GetString(this NodeProto node, string name, string defaultValue) =>
        node.Attribute(name) is { } a ? a.S.ToStringUtf8() : defaultValue;

    public static long[]? GetInts(this NodeProto node, string name) =>
        node.Attribute(name) is { } a ? a.Ints.ToArray() : null;

    public static float[]? GetFloats(this NodeProto node, string name) =>
        node.Attribute(name) is { } a ? a.Floats.ToArray() : null;

    public static void RemoveAttribute(this NodeProto node, string name)
    {
        var a = node.Attribute(name);
        if (a is not null)
        {
            node.Attribute.Remove(a);
        }
    }

    public static string Describe(this NodeProto node, int index) =>
        $"{node.OpType} node '{(string.IsNullOrEmpty(node.Name) ? "#" + index : node.Name)}'";

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Floats(string name, IEnumerable<float> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values);
        return a;
    }

    public static AttributeProto Tensor(string name, TensorProto value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };
}
