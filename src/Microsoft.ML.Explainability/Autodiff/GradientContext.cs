using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Autodiff;

/// <summary>What a <see cref="GradientRule"/> sees of one forward node while the backward graph is built.</summary>
public sealed class GradientContext
{
    private readonly NodeProto _node;
    private readonly ModelShapes _shapes;
    private readonly GraphIndex _index;
    private readonly string?[] _outputGradients;
    private readonly bool[] _needs;
    private readonly string?[] _inputGradients;
    private readonly IReadOnlySet<string> _requested;

    internal GradientContext(NodeProto node, int nodeIndex, GraphIndex index, ModelShapes shapes, GraphEmitter graph, string?[] outputGradients, bool[] needs, IReadOnlySet<string>? requested = null)
    {
        _requested = requested ?? new HashSet<string>(StringComparer.Ordinal);
        _node = node;
        _index = index;
        _shapes = shapes;
        NodeIndex = nodeIndex;
        Graph = graph;
        _outputGradients = outputGradients;
        _needs = needs;
        _inputGradients = new string?[node.Input.Count];
    }

    /// <summary>The forward node's operator type.</summary>
    public string OpType => _node.OpType;

    /// <summary>The forward node's name ("#index" when unnamed).</summary>
    public string NodeName => _index.NodeName(NodeIndex);

    /// <summary>The forward node's position in the graph.</summary>
    public int NodeIndex { get; }

    /// <summary>The default-domain opset of the graph being extended.</summary>
    public int Opset => Graph.Opset;

    /// <summary>Emits the backward nodes.</summary>
    public GraphEmitter Graph { get; }

    /// <summary>Number of inputs of the forward node (trailing optional inputs may be absent).</summary>
    public int InputCount => _node.Input.Count;

    /// <summary>Number of outputs of the forward node.</summary>
    public int OutputCount => _node.Output.Count;

    /// <summary>
    /// The name of the forward node's output <paramref name="i"/>, making the node emit it when it is an optional
    /// output the model did not ask for (MaxPool's Indices): the backward then reuses what the forward computes
    /// instead of running the op again.
    /// </summary>
    public string EnsureOutput(int i)
    {
        while (_node.Output.Count <= i)
        {
            _node.Output.Add("");
        }

        if (_node.Output[i].Length == 0)
        {
            _node.Output[i] = Graph.FreshName($"{_node.OpType}.output{i}");
        }

        return _node.Output[i];
    }

    /// <summary>Whether optional input <paramref name="i"/> is given.</summary>
    public bool HasInput(int i) => i < _node.Input.Count && _node.Input[i].Length > 0;

    /// <summary>Name of forward input <paramref name="i"/>.</summary>
    public string Input(int i) => _node.Input[i];

    /// <summary>Name of forward output <paramref name="i"/>.</summary>
    public string Output(int i) => _node.Output[i];

    /// <summary>Element type and shape of forward input <paramref name="i"/> (<c>-1</c> for batch-dependent dimensions).</summary>
    public TensorInfo InputInfo(int i) => _shapes[_node.Input[i]];

    /// <summary>Element type and shape of forward output <paramref name="i"/>.</summary>
    public TensorInfo OutputInfo(int i) => _shapes[_node.Output[i]];

    /// <summary>The element type gradients of this node are computed in (that of its first floating-point input).</summary>
    public TensorElementType ElementType =>
        Enumerable.Range(0, InputCount).Where(HasInput).Select(InputInfo).FirstOrDefault(t => t.IsFloatingPoint)?.ElementType ?? TensorElementType.Float;

    /// <summary>The gradient flowing into output <paramref name="i"/>, or null when none does (a zero gradient).</summary>
    public string? OutputGradient(int i) => i < _outputGradients.Length ? _outputGradients[i] : null;

    /// <summary>Whether the gradient of input <paramref name="i"/> is needed (it lies on a path from a requested tensor).</summary>
    public bool NeedsInputGradient(int i) => i < _needs.Length && _needs[i];

    /// <summary>Reports the gradient of input <paramref name="i"/> (summed with the gradients other consumers give it).</summary>
    public void SetInputGradient(int i, string gradient)
    {
        ArgumentException.ThrowIfNullOrEmpty(gradient);
        _inputGradients[i] = gradient;
    }

    internal string? InputGradient(int i) => _inputGradients[i];

    /// <summary>
    /// Whether the gradient of <paramref name="tensor"/> is asked for by the caller. A rule that differentiates
    /// through a forward producer in one expression (SiLU's Mul through its Sigmoid) may skip that producer's own
    /// output gradient only when nobody asks for it.
    /// </summary>
    internal bool IsRequested(string tensor) => _requested.Contains(tensor);

    /// <summary>The forward node that produces <paramref name="tensor"/>, or null for a graph input or initializer.</summary>
    internal NodeProto? ProducerOf(string tensor) =>
        _index.ProducerOf(tensor) is { } producer ? _index.Node(producer.NodeIndex) : null;

    /// <summary>An integer attribute of the forward node.</summary>
    public long Int(string name, long defaultValue) => _node.GetInt(name, defaultValue);

    /// <summary>A float attribute of the forward node.</summary>
    public float Float(string name, float defaultValue) => _node.GetFloat(name, defaultValue);

    /// <summary>A string attribute of the forward node.</summary>
    public string String(string name, string defaultValue) => _node.GetString(name, defaultValue);

    /// <summary>An integer-list attribute of the forward node, or null when absent.</summary>
    public long[]? Ints(string name) => _node.GetInts(name);

    /// <summary>A float-list attribute of the forward node, or null when absent.</summary>
    public float[]? Floats(string name) => _node.GetFloats(name);

    /// <summary>Whether the forward node has an attribute of that name.</summary>
    public bool HasAttribute(string name) => _node.Attribute(name) is not null;

    /// <summary>All attributes of the forward node, to copy onto a re-emitted forward op (LRP's modified forward passes).</summary>
    public IReadOnlyList<AttributeValue> Attributes => _node.Attribute.Select(AttributeValue.FromProto).ToArray();

    /// <summary>
    /// The values of input <paramref name="i"/> when it is a constant (an initializer, or the output of a Constant
    /// node), else null. Used for shape-like inputs (axes, pads, slice bounds) and for LRP's weights.
    /// </summary>
    public double[]? ConstantInput(int i) => HasInput(i) ? ConstantValues(Input(i))?.Select(v => (double)v).ToArray() : null;

    /// <summary>Integer values of a constant input (exact for int64), or null when the input is not constant.</summary>
    public long[]? ConstantInt64Input(int i)
    {
        if (!HasInput(i))
        {
            return null;
        }

        var tensor = ConstantTensor(Input(i));
        return tensor is null ? null : TensorProtos.ToInt64s(tensor);
    }

    /// <summary>A scalar constant in this node's element type.</summary>
    public string Scalar(double value) => Graph.Scalar(value, ElementType);

    /// <summary>A node description for error messages: "OpType node 'name'".</summary>
    public string Describe() => $"{OpType} node '{NodeName}'";

    /// <summary>Throws a <see cref="GradientException"/> naming this node.</summary>
    public GradientException Unsupported(string why) => new($"Cannot differentiate {Describe()}: {why}");

    private double[]? ConstantValues(string name) => ConstantTensor(name) is { } t ? TensorProtos.ToDoubles(t) : null;

    private TensorProto? ConstantTensor(string name)
    {
        if (_index.Initializer(name) is { } initializer)
        {
            return initializer;
        }

        if (_index.ProducerOf(name) is { } producer)
        {
            var node = _index.Node(producer.NodeIndex);
            if (node.OpType == "Constant" && node.Attribute("value") is { T: { } value })
            {
                return value;
            }
        }

        return null;
    }
}
