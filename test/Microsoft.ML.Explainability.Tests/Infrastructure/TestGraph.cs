using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Tests.Infrastructure;

/// <summary>Builds small ONNX models in tests: float inputs with a symbolic batch, seeded random initializers, nodes.</summary>
internal sealed class TestGraph
{
    private readonly ModelProto _model;
    private readonly Random _random;
    private int _counter;

    public TestGraph(int opset = 17, int seed = 42)
    {
        _random = new Random(seed);
        _model = new ModelProto { IrVersion = opset >= 21 ? 10 : opset >= 19 ? 9 : 8, ProducerName = "tests", Graph = new GraphProto { Name = "test" } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    internal GraphProto Graph => _model.Graph;

    /// <summary>A float input whose first dimension is the symbolic batch "N" (pass -1 there) or fixed.</summary>
    public string Input(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        _model.Graph.Input.Add(new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        });
        return name;
    }

    /// <summary>A float initializer with uniform random values in [low, high).</summary>
    public string Random(string name, long[] dims, double low = -1, double high = 1)
    {
        var count = (int)dims.Aggregate(1L, (a, b) => a * b);
        var values = Enumerable.Range(0, count).Select(_ => (float)(low + ((high - low) * _random.NextDouble()))).ToArray();
        return Constant(name, dims, values);
    }

    public string Constant(string name, long[] dims, float[] values)
    {
        _model.Graph.Initializer.Add(TensorProtos.Float(name, dims, values));
        return name;
    }

    public string Int64s(string name, params long[] values)
    {
        _model.Graph.Initializer.Add(TensorProtos.Int64(name, [values.Length], values));
        return name;
    }

    public string Node(string opType, string[] inputs, params AttributeValue[] attributes) => Node(opType, inputs, 1, attributes)[0];

    public string[] Node(string opType, string[] inputs, int outputs, params AttributeValue[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_counter}" };
        node.Input.AddRange(inputs);
        var names = Enumerable.Range(0, outputs).Select(i => $"{opType}_{_counter}_out{i}").ToArray();
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes.Select(a => a.Proto));
        _counter++;
        _model.Graph.Node.Add(node);
        return names;
    }

    public TestGraph Output(params string[] names)
    {
        foreach (var name in names)
        {
            _model.Graph.Output.Add(new ValueInfoProto { Name = name });
        }

        return this;
    }

    public OnnxModel Build() => OnnxModel.Load(_model.ToByteArray());
}
