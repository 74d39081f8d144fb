using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Tests;

/// <summary>Builds small models at old opsets with the ONNX protobuf types, and runs models in ONNX Runtime.</summary>
internal sealed class OldOpsetGraphs
{
    private readonly ModelProto _model;
    private int _nodeCount;

    /// <summary>Starts an empty graph importing the default domain at <paramref name="opset"/>, with the IR version of that opset's ONNX release.</summary>
    public OldOpsetGraphs(int opset)
    {
        _model = new ModelProto
        {
            IrVersion = IrVersionOf(opset),
            ProducerName = "OpsetUpgraderTests",
            Graph = new GraphProto { Name = $"opset{opset}" },
        };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    /// <summary>Random inputs fed by name: values and shape.</summary>
    public Dictionary<string, (float[] Values, long[] Shape)> Feeds { get; } = new(StringComparer.Ordinal);

    /// <summary>A float graph input of the given shape, fed with seeded random values in [-2, 2).</summary>
    public OldOpsetGraphs Input(string name, params long[] shape)
    {
        _model.Graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Float, shape));
        var random = new Random(name.Length * 7919 + shape.Length);
        var values = new float[shape.Aggregate(1L, (a, d) => a * d)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 4 - 2);
        }

        Feeds[name] = (values, shape);
        return this;
    }

    /// <summary>A graph output (element type only; ONNX Runtime infers the shape).</summary>
    public OldOpsetGraphs Output(string name, TensorProto.Types.DataType type = TensorProto.Types.DataType.Float)
    {
        _model.Graph.Output.Add(ValueInfo(name, type, null));
        return this;
    }

    /// <summary>A float initializer (listed as a graph input too, as IR 3 requires).</summary>
    public OldOpsetGraphs FloatTensor(string name, long[] dims, params float[] values) => Initializer(TensorProtos.Float(name, dims, values));

    /// <summary>An int64 initializer.</summary>
    public OldOpsetGraphs Int64Tensor(string name, long[] dims, params long[] values) => Initializer(TensorProtos.Int64(name, dims, values));

    /// <summary>Appends a default-domain node named "&lt;op&gt;_&lt;n&gt;".</summary>
    public OldOpsetGraphs Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_nodeCount++}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _model.Graph.Node.Add(node);
        return this;
    }

    /// <summary>The model (a copy: the builder can go on).</summary>
    public OnnxModel Build() => new(_model.Clone());

    public static AttributeProto Int(string name, long value) => NodeExtensions.Int(name, value);

    public static AttributeProto Float(string name, float value) => NodeExtensions.Float(name, value);

    public static AttributeProto Text(string name, string value) => NodeExtensions.String(name, value);

    public static AttributeProto Ints(string name, params long[] values) => NodeExtensions.Ints(name, values);

    public static AttributeProto Floats(string name, params float[] values) => NodeExtensions.Floats(name, values);

    /// <summary>A graph-valued attribute (an If branch) with one float output; its nodes read outer tensors by name.</summary>
    public static AttributeProto Branch(string attributeName, string output, params NodeProto[] nodes)
    {
        var graph = new GraphProto { Name = attributeName };
        graph.Node.AddRange(nodes);
        graph.Output.Add(ValueInfo(output, TensorProto.Types.DataType.Float, null));
        return new AttributeProto { Name = attributeName, Type = AttributeProto.Types.AttributeType.Graph, G = graph };
    }

    /// <summary>A free-standing node, for branches.</summary>
    public static NodeProto NodeOf(string name, string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    /// <summary>Runs <paramref name="model"/> in ONNX Runtime (CPU) and returns every graph output as doubles with its shape.</summary>
    public static List<(double[] Values, long[] Shape)> Run(OnnxModel model, IReadOnlyDictionary<string, (float[] Values, long[] Shape)> feeds)
    {
        using var session = new InferenceSession(model.ToBytes());
        var names = feeds.Keys.ToArray();
        var values = names.Select(n => OrtValue.CreateTensorValueFromMemory(feeds[n].Values, feeds[n].Shape)).ToArray();
        var outputNames = model.OutputNames.ToArray();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, outputNames);
            return results.Select(ToDoubles).ToList();
        }
        finally
        {
            foreach (var v in values)
            {
                v.Dispose();
            }
        }
    }

    /// <summary>Asserts equal shapes and values within <paramref name="relative"/> of max(|expected|, 1) (and <paramref name="absolute"/>).</summary>
    public static void AssertSameOutputs(
        IReadOnlyList<(double[] Values, long[] Shape)> expected, IReadOnlyList<(double[] Values, long[] Shape)> actual, double relative = 1e-6, double absolute = 0)
    {
        Assert.HasCount(expected.Count, actual);
        for (int o = 0; o < expected.Count; o++)
        {
            CollectionAssert.AreEqual(expected[o].Shape, actual[o].Shape, $"shape of output {o}");
            for (int i = 0; i < expected[o].Values.Length; i++)
            {
                double e = expected[o].Values[i], a = actual[o].Values[i];
                double tolerance = Math.Max(relative * Math.Max(Math.Abs(e), 1.0), absolute);
                Assert.IsTrue(Math.Abs(e - a) <= tolerance, $"output {o} element {i}: expected {e}, got {a}");
            }
        }
    }

    /// <summary>Default-domain nodes of the main graph as "OpType" strings, in order.</summary>
    public static string[] OpTypes(OnnxModel model) => model.Proto.Graph.Node.Select(n => n.OpType).ToArray();

    private static (double[] Values, long[] Shape) ToDoubles(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        double[] data = info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v).ToArray(),
            TensorElementType.Int64 => value.GetTensorDataAsSpan<long>().ToArray().Select(v => (double)v).ToArray(),
            TensorElementType.Bool => value.GetTensorDataAsSpan<bool>().ToArray().Select(v => v ? 1.0 : 0.0).ToArray(),
            var t => throw new NotSupportedException($"Output type {t}."),
        };
        return (data, info.Shape);
    }

    private OldOpsetGraphs Initializer(TensorProto tensor)
    {
        _model.Graph.Initializer.Add(tensor);
        _model.Graph.Input.Add(ValueInfo(tensor.Name, (TensorProto.Types.DataType)tensor.DataType, tensor.Dims.ToArray()));
        return this;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, long[]? shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (shape is not null)
        {
            tensorType.Shape = new TensorShapeProto();
            tensorType.Shape.Dim.AddRange(shape.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    private static long IrVersionOf(int opset) => opset switch
    {
        <= 8 => 3,
        9 => 4,
        10 => 5,
        11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };

    /// <summary>Serialized bytes, to check that an input model is left unchanged.</summary>
    public static byte[] Bytes(OnnxModel model) => model.Proto.ToByteArray();
}
