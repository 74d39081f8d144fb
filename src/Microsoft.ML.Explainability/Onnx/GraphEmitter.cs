using System.Globalization;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// Appends standard (default-domain) ONNX nodes and constants to a graph under fresh, unique names. Helpers emit the
/// form an operator takes at the graph's opset (for example ReduceMean's axes as an attribute below opset 18 and as an
/// input from 18 on). Every node is appended after the existing ones, so the graph stays topologically sorted.
/// </summary>
public sealed class GraphEmitter
{
    private readonly GraphProto _graph;
    private readonly HashSet<string> _names;
    private readonly Dictionary<string, string> _constantCache = new(StringComparer.Ordinal);
    private readonly HashSet<string> _conflictingDeclarations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private int _producersIndexed;
    private int _counter;

    internal GraphEmitter(GraphProto graph, int opset, string prefix)
    {
        _graph = graph;
        Opset = opset;
        Prefix = prefix;
        _names = graph.Node.SelectMany(n => n.Output).Concat(graph.Input.Select(i => i.Name)).Concat(graph.Initializer.Select(i => i.Name))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The default-domain opset of the graph.</summary>
    public int Opset { get; }

    /// <summary>Prefix of every name this emitter creates; changed by <see cref="Scope"/>.</summary>
    public string Prefix { get; private set; }

    /// <summary>Sets the name prefix for the nodes emitted until the returned scope is disposed (used to name backward nodes after their forward node).</summary>
    public IDisposable Scope(string prefix)
    {
        var previous = Prefix;
        Prefix = prefix;
        return new RestorePrefix(this, previous);
    }

    /// <summary>A fresh tensor name starting with the prefix.</summary>
    public string FreshName(string hint)
    {
        string name;
        do
        {
            name = $"{Prefix}/{hint}_{_counter++.ToString(CultureInfo.InvariantCulture)}";
        }
        while (!_names.Add(name));
        return name;
    }

    /// <summary>Appends a node with one output and returns the output's name.</summary>
    public string Node(string opType, IEnumerable<string> inputs, params AttributeValue[] attributes) =>
        Node(opType, inputs, 1, attributes)[0];

    /// <summary>Appends a node with <paramref name="outputCount"/> outputs and returns their names.</summary>
    public string[] Node(string opType, IEnumerable<string> inputs, int outputCount, params AttributeValue[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = FreshName(opType) };
        node.Input.AddRange(inputs);
        var outputs = Enumerable.Range(0, outputCount).Select(_ => FreshName(opType + "_out")).ToArray();
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes.Select(a => a.Proto.Clone()));
        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Writes <paramref name="tensor"/> under the chosen name <paramref name="outputName"/> (an Identity node), for stable output names.</summary>
    /// <exception cref="ArgumentException">The name is already used in the graph.</exception>
    public void Alias(string tensor, string outputName)
    {
        if (!_names.Add(outputName))
        {
            throw new ArgumentException($"Tensor name '{outputName}' is already used in the graph.", nameof(outputName));
        }

        _graph.Node.Add(new NodeProto { OpType = "Identity", Name = outputName, Input = { tensor }, Output = { outputName } });
    }

    /// <summary>Adds a constant tensor as an initializer (identical small constants are shared) and returns its name.</summary>
    public string Constant(TensorElementType type, IReadOnlyList<long> dims, ReadOnlySpan<double> values)
    {
        // Only small constants (scalars, axes, shapes) are worth sharing; keying a weight tensor would cost more than it saves.
        string? key = values.Length <= 16
            ? $"{type}|{string.Join(",", dims)}|{string.Join(",", values.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}"
            : null;
        if (key is not null && _constantCache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var name = FreshName("const");
        _graph.Initializer.Add(TensorProtos.OfType(name, (TensorProto.Types.DataType)type, dims, values));
        if (key is not null)
        {
            _constantCache[key] = name;
        }

        return name;
    }

    /// <summary>The initializer named <paramref name="name"/> (of the model or added by this emitter), or null.</summary>
    internal TensorProto? FindInitializer(string name) => _graph.Initializer.FirstOrDefault(t => t.Name == name);

    /// <summary>
    /// Declares in the graph's value_info that <paramref name="tensor"/> has the shape of <paramref name="like"/>: its
    /// fixed dimensions, <see cref="OnnxModel.BatchDimension"/> where it follows the batch and unknown where it is a
    /// multiple of it. ONNX's shape inference cannot follow shapes computed at run time (Shape → Reshape/Expand), and
    /// ONNX Runtime needs to know two tensors' shapes are equal before it keeps their product in its blocked NCHWc
    /// layout. The declaration must be true: ONNX Runtime trusts it. Graph inputs, initializers and tensors declared
    /// already with another shape are left as they are (the latter lose their declaration).
    /// </summary>
    internal void DeclareShape(string tensor, TensorInfo like)
    {
        if (_conflictingDeclarations.Contains(tensor) || _graph.Input.Any(i => i.Name == tensor) || _graph.Initializer.Any(i => i.Name == tensor))
        {
            return;
        }

        var shape = new TensorShapeProto();
        for (int axis = 0; axis < like.Rank; axis++)
        {
            long d = like.Shape[axis];
            shape.Dim.Add(d >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = d }
                : axis == 0 && like.BatchMultiple == 1 ? new TensorShapeProto.Types.Dimension { DimParam = OnnxModel.BatchDimension }
                : new TensorShapeProto.Types.Dimension());
        }

        var declared = new ValueInfoProto { Name = tensor, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)like.ElementType, Shape = shape } } };
        var earlier = _graph.ValueInfo.FirstOrDefault(v => v.Name == tensor);
        if (earlier is null)
        {
            _graph.ValueInfo.Add(declared);
        }
        else if (!earlier.Equals(declared))
        {
            _graph.ValueInfo.Remove(earlier);
            _conflictingDeclarations.Add(tensor);
        }
    }

    /// <summary>The node that writes <paramref name="tensor"/>, or null for an input or initializer.</summary>
    /// <remarks>
    /// Nodes are indexed as they are appended (rules ask about tensors emitted moments before, many times per graph); a
    /// tensor whose indexed producer no longer writes it (another writer edited the node) is looked up by a scan.
    /// </remarks>
    internal NodeProto? FindProducer(string tensor)
    {
        for (; _producersIndexed < _graph.Node.Count; _producersIndexed++)
        {
            foreach (var output in _graph.Node[_producersIndexed].Output)
            {
                _producers[output] = _graph.Node[_producersIndexed];
            }
        }

        if (_producers.TryGetValue(tensor, out var node) && node.Output.Contains(tensor))
        {
            return node;
        }

        return _graph.Node.LastOrDefault(n => n.Output.Contains(tensor));
    }

    /// <summary>A scalar constant of the given floating-point type.</summary>
    public string Scalar(double value, TensorElementType type = TensorElementType.Float) => Constant(type, [], [value]);

    /// <summary>A 1-D int64 constant (shapes, axes, pads); identical constants are shared.</summary>
    public string Int64s(params long[] values) => Int64Constant([values.Length], values);

    /// <summary>A scalar int64 constant.</summary>
    public string Int64Scalar(long value) => Int64Constant([], [value]);

    private string Int64Constant(long[] dims, long[] values)
    {
        var key = $"i64|{string.Join(",", dims)}|{string.Join(",", values)}";
        if (_constantCache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var name = FreshName("const");
        _graph.Initializer.Add(TensorProtos.Int64(name, dims, values));
        _constantCache[key] = name;
        return name;
    }

    /// <summary>Elementwise binary operators (numpy broadcasting).</summary>
    public string Add(string a, string b) => Node("Add", [a, b]);

    /// <inheritdoc cref="Add"/>
    public string Sub(string a, string b) => Node("Sub", [a, b]);

    /// <inheritdoc cref="Add"/>
    public string Mul(string a, string b) => Node("Mul", [a, b]);

    /// <inheritdoc cref="Add"/>
    public string Div(string a, string b) => Node("Div", [a, b]);

    /// <summary>Negation.</summary>
    public string Neg(string a) => Node("Neg", [a]);

    /// <summary><c>Where(condition, a, b)</c>.</summary>
    public string Where(string condition, string a, string b) => Node("Where", [condition, a, b]);

    /// <summary><c>Shape(x)</c> as int64.</summary>
    public string Shape(string x) => Node("Shape", [x]);

    /// <summary><c>Reshape(x, shape)</c> where <paramref name="shape"/> is an int64 tensor name.</summary>
    public string Reshape(string x, string shape) => Node("Reshape", [x, shape]);

    /// <summary>Reshapes <paramref name="x"/> to the run-time shape of <paramref name="like"/>.</summary>
    public string ReshapeLike(string x, string like) => Reshape(x, Shape(like));

    /// <summary><c>Transpose(x, perm)</c>.</summary>
    public string Transpose(string x, IReadOnlyList<long> perm) => Node("Transpose", [x], AttributeValue.Ints("perm", perm));

    /// <summary>Sum of one or more tensors (<c>Sum</c>; the tensor itself when there is one).</summary>
    public string Sum(IReadOnlyList<string> terms) => terms.Count == 1 ? terms[0] : Node("Sum", terms);

    /// <summary>Zeros with the run-time shape of <paramref name="like"/>, of element type <paramref name="type"/>.</summary>
    public string ZerosLike(string like, TensorElementType type = TensorElementType.Float)
    {
        var zero = TensorProtos.OfType("value", (TensorProto.Types.DataType)type, [1], [0.0]);
        return Node("ConstantOfShape", [Shape(like)], AttributeValue.FromProto(NodeExtensions.Tensor("value", zero)));
    }

    /// <summary><c>ReduceSum(x, axes)</c>, axes as an input (opset 13 and later, which this library always targets).</summary>
    public string ReduceSum(string x, IReadOnlyList<long> axes, bool keepDims) =>
        Node("ReduceSum", [x, Int64s([.. axes])], AttributeValue.Int("keepdims", keepDims ? 1 : 0));

    /// <summary><c>ReduceMean(x, axes)</c> in the form of the graph's opset (axes an attribute below 18, an input from 18).</summary>
    public string ReduceMean(string x, IReadOnlyList<long> axes, bool keepDims) => Reduce("ReduceMean", x, axes, keepDims);

    /// <summary><c>ReduceMax(x, axes)</c> in the form of the graph's opset.</summary>
    public string ReduceMax(string x, IReadOnlyList<long> axes, bool keepDims) => Reduce("ReduceMax", x, axes, keepDims);

    /// <summary><c>ReduceMin(x, axes)</c> in the form of the graph's opset.</summary>
    public string ReduceMin(string x, IReadOnlyList<long> axes, bool keepDims) => Reduce("ReduceMin", x, axes, keepDims);

    private string Reduce(string op, string x, IReadOnlyList<long> axes, bool keepDims) => Opset >= 18
        ? Node(op, [x, Int64s([.. axes])], AttributeValue.Int("keepdims", keepDims ? 1 : 0))
        : Node(op, [x], AttributeValue.Ints("axes", axes), AttributeValue.Int("keepdims", keepDims ? 1 : 0));

    /// <summary><c>Unsqueeze(x, axes)</c>, axes as an input (opset 13 and later).</summary>
    public string Unsqueeze(string x, IReadOnlyList<long> axes) => Node("Unsqueeze", [x, Int64s([.. axes])]);

    /// <summary><c>Squeeze(x, axes)</c>, axes as an input (opset 13 and later).</summary>
    public string Squeeze(string x, IReadOnlyList<long> axes) => Node("Squeeze", [x, Int64s([.. axes])]);

    /// <summary><c>Cast(x, to)</c>.</summary>
    public string Cast(string x, TensorElementType to) => Node("Cast", [x], AttributeValue.Int("to", (long)to));

    /// <summary>
    /// Sums a gradient computed at a broadcast output shape back to the shape of one operand (numpy broadcasting
    /// rules, aligned on the right): leading axes the operand lacks and axes where the operand has size 1 and the
    /// output does not are summed away. <c>-1</c> in a shape marks a batch-dependent dimension.
    /// </summary>
    public string ReduceToShape(string gradient, IReadOnlyList<long> gradientShape, string operand, IReadOnlyList<long> operandShape)
    {
        int extra = gradientShape.Count - operandShape.Count;
        var axes = new List<long>();
        for (int axis = 0; axis < gradientShape.Count; axis++)
        {
            if (axis < extra)
            {
                axes.Add(axis);
                continue;
            }

            long operandDim = operandShape[axis - extra];
            if (operandDim == 1 && gradientShape[axis] != 1)
            {
                axes.Add(axis);
            }
        }

        if (axes.Count == 0 && extra == 0)
        {
            return gradient;
        }

        var reduced = axes.Count == 0 ? gradient : ReduceSum(gradient, axes, keepDims: true);
        return extra == 0 ? reduced : ReshapeLike(reduced, operand);
    }

    private sealed class RestorePrefix(GraphEmitter emitter, string previous) : IDisposable
    {
        public void Dispose() => emitter.Prefix = previous;
    }
}
