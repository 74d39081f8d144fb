using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Tests.Shared;

/// <summary>
/// The two-input test model of issue 16, built in the tests (core, ML.NET and CLI share this file): an image
/// "image" [N, 2, 6, 6] → Conv 3×3 (pad 1, 4 channels) → Relu ("layer") → GlobalAveragePool → Flatten [N, 4], plus a
/// feature vector "meta" [N, 4] (float32, or int64 cast to float) added after the pooling → Relu → Gemm → "logits"
/// [N, 5]. The Relu after the sum makes the image's gradient depend on the row's feature vector. With
/// <c>bakedMeta</c> the feature vector is a constant instead of an input: the single-input model a row's explanation
/// must equal.
/// </summary>
internal static class TwoInputModel
{
    public const int Channels = 2, Size = 6, Features = 4, Classes = 5;

    public const string Image = "image", Meta = "meta", Layer = "layer", Logits = "logits";

    public static OnnxModel Build(bool int64Meta = false, float[]? bakedMeta = null) => OnnxModel.Load(Bytes(int64Meta, bakedMeta));

    public static byte[] Bytes(bool int64Meta = false, float[]? bakedMeta = null)
    {
        var random = new Random(5);
        float[] Values(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)(((random.NextDouble() * 2) - 1) * scale)).ToArray();
        var graph = new GraphProto { Name = "two_input" };
        graph.Input.Add(Input(Image, TensorProto.Types.DataType.Float, Channels, Size, Size));
        graph.Initializer.Add(TensorProtos.Float("w", [Features, Channels, 3, 3], Values(Features * Channels * 9, 0.6)));
        graph.Initializer.Add(TensorProtos.Float("b", [Features], Values(Features, 0.2)));
        graph.Initializer.Add(TensorProtos.Float("fc", [Classes, Features], Values(Classes * Features, 1.0)));
        graph.Initializer.Add(TensorProtos.Float("fcb", [Classes], Values(Classes, 0.1)));
        Node(graph, "Conv", [Image, "w", "b"], "conv", AttributeValue.Ints("pads", [1, 1, 1, 1]));
        Node(graph, "Relu", ["conv"], Layer);
        Node(graph, "GlobalAveragePool", [Layer], "gap");
        Node(graph, "Flatten", ["gap"], "pooled");
        string meta;
        if (bakedMeta is not null)
        {
            graph.Initializer.Add(TensorProtos.Float("meta_constant", [1, Features], bakedMeta));
            meta = "meta_constant";
        }
        else if (int64Meta)
        {
            graph.Input.Add(Input(Meta, TensorProto.Types.DataType.Int64, Features));
            Node(graph, "Cast", [Meta], "meta_float", AttributeValue.Int("to", (long)TensorProto.Types.DataType.Float));
            meta = "meta_float";
        }
        else
        {
            graph.Input.Add(Input(Meta, TensorProto.Types.DataType.Float, Features));
            meta = Meta;
        }

        Node(graph, "Add", ["pooled", meta], "joined");
        Node(graph, "Relu", ["joined"], "hidden");
        Node(graph, "Gemm", ["hidden", "fc", "fcb"], Logits, AttributeValue.Int("transB", 1));
        graph.Output.Add(new ValueInfoProto { Name = Logits, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        var model = new ModelProto { IrVersion = 8, ProducerName = "tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    private static ValueInfoProto Input(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (var d in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    private static void Node(GraphProto graph, string op, string[] inputs, string output, params AttributeValue[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output + "_node" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes.Select(a => a.Proto));
        graph.Node.Add(node);
    }
}
