using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Autodiff;

/// <summary>
/// Reverse-mode differentiation of an ONNX graph into standard ONNX ops. Given seeds (for each seeded tensor, a
/// tensor holding the gradient that flows into it) and the tensors whose gradients are wanted, it appends to the
/// graph, in reverse topological order, the backward nodes of exactly the nodes that lie on a path from a wanted
/// tensor to a seed, and sums the gradients that meet at a tensor. Integer and boolean tensors (shapes, indices,
/// masks) stop differentiation, so shape arithmetic is left alone.
/// </summary>
/// <remarks>
/// The order is computed here, not taken from the node list: a graph ONNX Runtime accepts may list its nodes in any
/// order, and a cyclic graph is refused naming its nodes. A node whose subgraph (an <c>If</c> branch, a <c>Loop</c> or
/// <c>Scan</c> body) reads a tensor of the path from the outer scope lies on the path too; control flow has no backward
/// rule, so such a node is refused naming it (<see cref="Runtime.GradientModel.Prepare"/> first inlines every <c>If</c>
/// whose condition is a constant, which then differentiates as ordinary nodes).
/// </remarks>
internal sealed class BackwardGraphBuilder
{
    private readonly GraphProto _graph;
    private readonly ModelShapes _shapes;
    private readonly GradientRuleRegistry _rules;
    private readonly GraphIndex _index;

    public BackwardGraphBuilder(GraphProto graph, ModelShapes shapes, GradientRuleRegistry rules)
    {
        _graph = graph;
        _shapes = shapes;
        _rules = rules;
        _index = new GraphIndex(graph);
    }

    /// <summary>Appends the backward graph and returns, for each wanted tensor, the name of its gradient tensor.</summary>
    /// <param name="seeds">Seeded tensor → the tensor holding its incoming gradient (same shape).</param>
    /// <param name="wanted">Tensors whose gradients are returned.</param>
    /// <param name="emitter">Emits into <c>_graph</c>.</param>
    /// <param name="zeroWhenUnreached">
    /// When true, a wanted tensor that no differentiable path joins to a seed gets zeros (its gradient is identically
    /// zero) instead of an exception: the second-order pass of a piecewise-linear network (ReLU, max-pooling, a logit
    /// target) has no float path from the activations to their gradient, and its Hessian is zero almost everywhere.
    /// </param>
    public IReadOnlyDictionary<string, string> Build(IReadOnlyDictionary<string, string> seeds, IReadOnlyList<string> wanted, GraphEmitter emitter, bool zeroWhenUnreached = false)
    {
        foreach (var name in seeds.Keys.Concat(wanted))
        {
            _index.RequireTensor(name);
            var info = _shapes[name];
            if (!info.IsFloatingPoint)
            {
                throw new GradientException($"Tensor '{name}' has element type {info.ElementType}; gradients exist only for floating-point tensors.");
            }
        }

        var order = _index.TopologicalOrder(out var unsorted)
            ?? throw new GradientException($"The graph has a cycle: nodes {string.Join(", ", unsorted.Take(20))}{(unsorted.Count > 20 ? ", …" : "")} depend on each other's outputs, so it cannot be differentiated.");
        var onPath = TensorsOnPath(order, seeds.Keys, wanted);
        var requested = new HashSet<string>(wanted, StringComparer.Ordinal);
        var gradients = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (tensor, seed) in seeds)
        {
            Contribute(gradients, tensor, seed);
        }

        for (int k = order.Length - 1; k >= 0; k--)
        {
            int n = order[k];
            var node = _graph.Node[n];
            var needs = node.Input.Select(i => i.Length > 0 && onPath.Contains(i)).ToArray();
            var captured = _index.CapturedBy(n).Where(onPath.Contains).ToArray();
            if (!needs.Any(x => x) && captured.Length == 0)
            {
                continue;
            }

            var outputGradients = node.Output.Select(o => gradients.TryGetValue(o, out var list) ? Accumulate(emitter, o, list) : null).ToArray();
            if (outputGradients.All(g => g is null))
            {
                continue;
            }

            var nodeName = _index.NodeName(n);
            if (captured.Length > 0)
            {
                throw new GradientException($"Node '{nodeName}' ({node.OpType}) lies on the differentiated path: its subgraph reads {string.Join(", ", captured.Select(c => $"'{c}'"))} from the outer scope. " +
                    "Gradients do not flow through control flow; only an If whose condition is a constant (an initializer or a Constant node) is differentiated, by inlining the branch it takes.");
            }

            var rule = _rules.Find(node.OpType, node.Domain, nodeName);
            if (rule is null && node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))
            {
                throw new GradientException($"Node '{nodeName}' ({node.OpType}) lies on the differentiated path and holds a subgraph: gradients do not flow through control flow. " +
                    "Only an If whose condition is a constant (an initializer or a Constant node) is differentiated, by inlining the branch it takes; register a rule with GradientRuleRegistry.WithOperatorRule otherwise.");
            }

            if (rule is null)
            {
                throw new UnsupportedOperatorException(node.OpType, nodeName, node.Domain, _rules.SupportedOperators);
            }

            var context = new GradientContext(node, n, _index, _shapes, emitter, outputGradients, needs, requested);
            using (emitter.Scope($"grad/{nodeName}"))
            {
                try
                {
                    rule(context);
                }
                catch (GradientException)
                {
                    throw;
                }
                catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException or IndexOutOfRangeException or KeyNotFoundException)
                {
                    throw new GradientException($"The backward rule of {context.Describe()} failed: {e.Message}", e);
                }
            }

            for (int i = 0; i < node.Input.Count; i++)
            {
                if (needs[i] && context.InputGradient(i) is { } g)
                {
                    Contribute(gradients, node.Input[i], g);
                }
            }
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in wanted)
        {
            if (!gradients.TryGetValue(name, out var list) || list.Count == 0)
            {
                if (zeroWhenUnreached)
                {
                    using (emitter.Scope($"grad/{name}"))
                    {
                        result[name] = emitter.ZerosLike(name, _shapes[name].ElementType);
                    }

                    continue;
                }

                throw new GradientException($"No differentiable path joins tensor '{name}' to the seeded tensor(s) {string.Join(", ", seeds.Keys.Select(s => $"'{s}'"))}: its gradient is identically zero or flows only through integer tensors.");
            }

            result[name] = Accumulate(emitter, name, list);
        }

        return result;
    }

    private static void Contribute(Dictionary<string, List<string>> gradients, string tensor, string gradient)
    {
        if (!gradients.TryGetValue(tensor, out var list))
        {
            gradients[tensor] = list = [];
        }

        list.Add(gradient);
    }

    /// <summary>Sums the contributions to a tensor's gradient once, replacing the list by the sum.</summary>
    private static string Accumulate(GraphEmitter emitter, string tensor, List<string> contributions)
    {
        if (contributions.Count > 1)
        {
            using (emitter.Scope($"grad/{tensor}"))
            {
                var sum = emitter.Sum(contributions);
                contributions.Clear();
                contributions.Add(sum);
            }
        }

        return contributions[0];
    }

    /// <summary>Floating-point tensors that descend from a wanted tensor and are ancestors of (or are) a seeded tensor.</summary>
    private HashSet<string> TensorsOnPath(int[] order, IEnumerable<string> seeds, IEnumerable<string> wanted)
    {
        var descendants = new HashSet<string>(wanted, StringComparer.Ordinal);
        foreach (var n in order)
        {
            var node = _graph.Node[n];
            if (node.Input.Any(descendants.Contains) || _index.CapturedBy(n).Any(descendants.Contains))
            {
                foreach (var output in node.Output.Where(o => o.Length > 0 && _shapes.Contains(o) && _shapes[o].IsFloatingPoint))
                {
                    descendants.Add(output);
                }
            }
        }

        var ancestors = new HashSet<string>(seeds, StringComparer.Ordinal);
        for (int k = order.Length - 1; k >= 0; k--)
        {
            var node = _graph.Node[order[k]];
            if (node.Output.Any(ancestors.Contains))
            {
                foreach (var input in node.Input.Where(i => i.Length > 0).Concat(_index.CapturedBy(order[k])))
                {
                    ancestors.Add(input);
                }
            }
        }

        descendants.IntersectWith(ancestors);
        return descendants;
    }
}
