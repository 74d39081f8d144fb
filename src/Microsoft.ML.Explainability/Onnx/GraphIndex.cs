using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// Producers and consumers of every tensor in a model's main graph, including the tensors that subgraphs (<c>If</c>
/// branches, <c>Loop</c> and <c>Scan</c> bodies) read from the outer scope. Built once from the graph; cheap to query.
/// </summary>
public sealed class GraphIndex
{
    /// <summary>The <see cref="TensorConsumer.InputIndex"/> of a node that reads the tensor inside one of its subgraphs.</summary>
    public const int CapturedInput = -1;

    private readonly string[][] _captured;
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

        _captured = new string[graph.Node.Count][];
        for (int n = 0; n < graph.Node.Count; n++)
        {
            _captured[n] = ControlFlow.CapturedNames(graph.Node[n]);
            foreach (var name in _captured[n])
            {
                if (!_consumers.TryGetValue(name, out var list))
                {
                    _consumers[name] = list = [];
                }

                list.Add(new TensorConsumer(n, NodeName(n), graph.Node[n].OpType, CapturedInput));
            }
        }
    }

    /// <summary>The outer-scope tensors that the subgraphs of the node at <paramref name="nodeIndex"/> read (empty for most nodes).</summary>
    internal IReadOnlyList<string> CapturedBy(int nodeIndex) => _captured[nodeIndex];

    /// <summary>
    /// The node indices in a topological order (every node after the producers of its inputs and of the tensors its
    /// subgraphs capture), stable: nodes already in order keep their positions. Null when the graph has a cycle;
    /// <paramref name="unsorted"/> then names the nodes on or after it.
    /// </summary>
    internal int[]? TopologicalOrder(out IReadOnlyList<string> unsorted)
    {
        int count = _graph.Node.Count;
        var waiting = new int[count];
        var dependents = new List<int>?[count];
        for (int n = 0; n < count; n++)
        {
            var node = _graph.Node[n];
            foreach (var name in node.Input.Concat(_captured[n]).Where(i => i.Length > 0).Distinct(StringComparer.Ordinal))
            {
                if (_producers.TryGetValue(name, out var p) && !_inputs.Contains(name) && !_initializers.Contains(name))
                {
                    waiting[n]++;
                    (dependents[p.Node] ??= []).Add(n);
                }
            }
        }

        // Ready nodes leave in index order, so a graph that is already sorted keeps its order.
        var ready = new PriorityQueue<int, int>();
        for (int n = 0; n < count; n++)
        {
            if (waiting[n] == 0)
            {
                ready.Enqueue(n, n);
            }
        }

        var order = new List<int>(count);
        while (ready.TryDequeue(out var n, out _))
        {
            order.Add(n);
            foreach (var d in dependents[n] ?? [])
            {
                if (--waiting[d] == 0)
                {
                    ready.Enqueue(d, d);
                }
            }
        }

        if (order.Count == count)
        {
            unsorted = [];
            return [.. order];
        }

        unsorted = Enumerable.Range(0, count).Where(n => waiting[n] > 0).Select(n => $"'{NodeName(n)}' ({_graph.Node[n].OpType})").ToArray();
        return null;
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
