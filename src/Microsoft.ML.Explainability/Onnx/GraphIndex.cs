using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>What a tensor of the graph is: a run-time input, a stored constant, or a node's output.</summary>
public enum TensorKind
{
    /// <summary>A graph input fed at run time.</summary>
    Input,

    /// <summary>An initializer (a stored constant such as a weight).</summary>
    Initializer,

    /// <summary>The output of a node.</summary>
    NodeOutput,
}

/// <summary>A node that reads a tensor, and at which input position.</summary>
/// <param name="NodeIndex">Position of the node in the graph's node list (topological order).</param>
/// <param name="NodeName">The node's name (or a generated "#index" when the exporter left it empty).</param>
/// <param name="OpType">The node's operator type.</param>
/// <param name="InputIndex">Which of the node's inputs the tensor is.</param>
public readonly record struct TensorConsumer(int NodeIndex, string NodeName, string OpType, int InputIndex);

/// <summary>
/// Producers and consumers of every tensor in a model's main graph. Built once from the graph; cheap to query.
/// </summary>
public sealed class GraphIndex
{
    private readonly Dictionary<string, (int Node, int Output)> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TensorConsumer>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _initializers;
    private readonly HashSet<string> _inputs;
    private readonly GraphProto _graph;

    internal GraphIndex(GraphProto graph)
    {
        _graph = graph;
        _initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        _inputs = graph.Input.Select(i => i.Name).Where(n => !_initializers.Contains(n)).ToHashSet(StringComparer.Ordinal);
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            for (int o = 0; o < node.Output.Count; o++)
            {
                if (node.Output[o].Length > 0)
                {
                    _producers[node.Output[o]] = (n, o);
                }
            }

            for (int i = 0; i < node.Input.Count; i++)
            {
                var name = node.Input[i];
                if (name.Length == 0)
                {
                    continue;
                }

                if (!_consumers.TryGetValue(name, out var list))
                {
                    _consumers[name] = list = [];
                }

                list.Add(new TensorConsumer(n, NodeName(n), node.OpType, i));
            }
        }
    }

    /// <summary>Every tensor name of the main graph: inputs, initializers and node outputs.</summary>
    public IEnumerable<string> TensorNames => _inputs.Concat(_initializers).Concat(_producers.Keys);

    /// <summary>Whether <paramref name="name"/> is a tensor of the graph.</summary>
    public bool Contains(string name) => _inputs.Contains(name) || _initializers.Contains(name) || _producers.ContainsKey(name);

    /// <summary>The kind of a tensor.</summary>
    /// <exception cref="UnknownTensorException">No such tensor.</exception>
    public TensorKind KindOf(string name)
    {
        RequireTensor(name);
        return _inputs.Contains(name) ? TensorKind.Input : _initializers.Contains(name) ? TensorKind.Initializer : TensorKind.NodeOutput;
    }

    /// <summary>The nodes that read a tensor.</summary>
    public IReadOnlyList<TensorConsumer> ConsumersOf(string name) =>
        _consumers.TryGetValue(name, out var list) ? list : (IReadOnlyList<TensorConsumer>)[];

    /// <summary>The index of the node producing <paramref name="name"/> and which of its outputs it is, or null for inputs and initializers.</summary>
    public (int NodeIndex, int OutputIndex)? ProducerOf(string name) =>
        _producers.TryGetValue(name, out var p) ? p : null;

    /// <summary>The name of the node at <paramref name="nodeIndex"/>, or "#index" when it has none.</summary>
    public string NodeName(int nodeIndex)
    {
        var name = _graph.Node[nodeIndex].Name;
        return string.IsNullOrEmpty(name) ? $"#{nodeIndex}" : name;
    }

    /// <summary>The operator type of the node at <paramref name="nodeIndex"/>.</summary>
    public string OpType(int nodeIndex) => _graph.Node[nodeIndex].OpType;

    internal NodeProto Node(int nodeIndex) => _graph.Node[nodeIndex];

    internal bool IsInitializer(string name) => _initializers.Contains(name);

    internal TensorProto? Initializer(string name) =>
        _initializers.Contains(name) ? _graph.Initializer.First(t => t.Name == name) : null;

    /// <exception cref="UnknownTensorException">No such tensor.</exception>
    internal void RequireTensor(string name)
    {
        if (!Contains(name))
        {
            var close = TensorNames.Where(t => t.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(t, StringComparison.OrdinalIgnoreCase))
                .Take(5).ToArray();
            var hint = close.Length > 0 ? $" Similar names: {string.Join(", ", close.Select(c => $"'{c}'"))}." : "";
            throw new UnknownTensorException(name, $"The model has no tensor named '{name}'.{hint} List the model's tensors with OnnxModel.Index() or ShapeProbe.");
        }
    }
}
