using System.Globalization;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// Graph structure the differentiation depends on beyond each node's own inputs: the outer-scope tensors that
/// subgraphs capture, the topological order, and <c>If</c> nodes whose condition is a constant (inlined).
/// </summary>
internal static class ControlFlow
{
    /// <summary>
    /// The tensors that the subgraphs of <paramref name="node"/> (attributes of type graph or graphs) read from the scope
    /// around the node: names read inside (node inputs and subgraph outputs, at any depth) that no enclosing subgraph
    /// defines as an input, initializer or node output.
    /// </summary>
    public static string[] CapturedNames(NodeProto node)
    {
        if (node.Attribute.All(a => a.G is null && a.Graphs.Count == 0))
        {
            return [];
        }

        var free = new HashSet<string>(StringComparer.Ordinal);
        foreach (var graph in Subgraphs(node))
        {
            free.UnionWith(FreeNames(graph));
        }

        return [.. free.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Returns a copy of <paramref name="proto"/> whose main graph's nodes are in topological order (stable: a sorted
    /// graph keeps its order). ONNX Runtime accepts graphs listed in any order; every consumer of the prepared model
    /// (the backward builder, layer and LRP discovery) walks nodes in list order.
    /// </summary>
    /// <exception cref="InvalidOnnxModelException">The graph has a cycle (the nodes on or after it are named).</exception>
    public static void SortTopologically(ModelProto proto)
    {
        var index = new GraphIndex(proto.Graph);
        var order = index.TopologicalOrder(out var unsorted)
            ?? throw new InvalidOnnxModelException($"The model's graph has a cycle: nodes {string.Join(", ", unsorted.Take(20))}{(unsorted.Count > 20 ? ", …" : "")} depend on each other's outputs, so no evaluation order exists.");
        if (order.Select((n, i) => n == i).All(x => x))
        {
            return;
        }

        var nodes = order.Select(n => proto.Graph.Node[n]).ToArray();
        proto.Graph.Node.Clear();
        proto.Graph.Node.AddRange(nodes);
    }

    /// <summary>
    /// Replaces every default-domain <c>If</c> node of the main graph whose condition is a constant — an initializer
    /// that is not also a graph input (a graph input may override it at run time), or the output of a <c>Constant</c>
    /// node with a <c>value</c> tensor — by the nodes of the branch taken. Names the branch defines are renamed
    /// ("&lt;if node&gt;/&lt;name&gt;", made unique) wherever they are read, including inside nested subgraphs that do not
    /// shadow them; each output of the If becomes an <c>Identity</c> of the branch's output. The result computes the same
    /// values, and gradients then flow through ordinary nodes. Branches holding sparse initializers are left as they are.
    /// </summary>
    /// <returns>The number of If nodes inlined.</returns>
    public static int InlineConstantIfs(ModelProto proto)
    {
        var graph = proto.Graph;
        var names = AllNames(proto.Graph);
        int inlined = 0;
        bool changed = true;
        while (changed)
        {
            changed = false;
            var overridable = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            var constants = graph.Initializer.Where(t => !overridable.Contains(t.Name)).GroupBy(t => t.Name, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            foreach (var node in graph.Node.Where(n => n.OpType == "Constant" && n.Domain is ("" or "ai.onnx") && n.Output.Count == 1))
            {
                if (node.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } value)
                {
                    constants.TryAdd(node.Output[0], value);
                }
            }

            for (int n = 0; n < graph.Node.Count; n++)
            {
                var node = graph.Node[n];
                if (node.OpType != "If" || node.Domain is not ("" or "ai.onnx") || node.Input.Count != 1
                    || !constants.TryGetValue(node.Input[0], out var condition) || ConditionValue(condition) is not { } taken)
                {
                    continue;
                }

                var branch = node.Attribute.FirstOrDefault(a => a.Name == (taken ? "then_branch" : "else_branch"))?.G;
                if (branch is null || branch.SparseInitializer.Count > 0 || branch.Output.Count != node.Output.Count)
                {
                    continue;
                }

                var replacement = Inline(graph, node, n, branch, names);
                graph.Node.RemoveAt(n);
                for (int i = 0; i < replacement.Count; i++)
                {
                    graph.Node.Insert(n + i, replacement[i]);
                }

                inlined++;
                changed = true;
                break;
            }
        }

        return inlined;
    }

    private static bool? ConditionValue(TensorProto condition)
    {
        if (TensorProtos.ElementCount(condition) != 1)
        {
            return null;
        }

        try
        {
            var values = TensorProtos.ToDoubles(condition);
            return values.Length == 1 ? values[0] != 0 : null;
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private static List<NodeProto> Inline(GraphProto graph, NodeProto ifNode, int position, GraphProto branch, HashSet<string> names)
    {
        var prefix = string.IsNullOrEmpty(ifNode.Name) ? string.Create(CultureInfo.InvariantCulture, $"If#{position}") : ifNode.Name;
        string Fresh(string name)
        {
            var fresh = $"{prefix}/{name}";
            for (int i = 1; !names.Add(fresh); i++)
            {
                fresh = string.Create(CultureInfo.InvariantCulture, $"{prefix}/{name}_{i}");
            }

            return fresh;
        }

        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var initializer in branch.Initializer)
        {
            rename[initializer.Name] = Fresh(initializer.Name);
        }

        foreach (var output in branch.Node.SelectMany(n => n.Output).Where(o => o.Length > 0))
        {
            rename.TryAdd(output, Fresh(output));
        }

        foreach (var initializer in branch.Initializer)
        {
            var copy = initializer.Clone();
            copy.Name = rename[initializer.Name];
            graph.Initializer.Add(copy);
        }

        var result = new List<NodeProto>();
        foreach (var node in branch.Node)
        {
            var copy = node.Clone();
            copy.Name = Fresh(string.IsNullOrEmpty(node.Name) ? node.OpType : node.Name);
            RenameReads(copy, rename);
            for (int o = 0; o < copy.Output.Count; o++)
            {
                if (copy.Output[o].Length > 0)
                {
                    copy.Output[o] = rename[copy.Output[o]];
                }
            }

            result.Add(copy);
        }

        for (int o = 0; o < ifNode.Output.Count; o++)
        {
            if (ifNode.Output[o].Length == 0)
            {
                continue;
            }

            var source = branch.Output[o].Name;
            var identity = new NodeProto { OpType = "Identity", Name = Fresh($"output{o}") };
            identity.Input.Add(rename.GetValueOrDefault(source, source));
            identity.Output.Add(ifNode.Output[o]);
            result.Add(identity);
        }

        return result;
    }

    /// <summary>Renames the tensors a node reads, in its inputs and inside its subgraphs where they are not shadowed.</summary>
    private static void RenameReads(NodeProto node, Dictionary<string, string> rename)
    {
        for (int i = 0; i < node.Input.Count; i++)
        {
            if (rename.TryGetValue(node.Input[i], out var renamed))
            {
                node.Input[i] = renamed;
            }
        }

        foreach (var graph in Subgraphs(node))
        {
            var defined = DefinedNames(graph);
            var inner = rename.Where(kv => !defined.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            if (inner.Count == 0)
            {
                continue;
            }

            foreach (var inside in graph.Node)
            {
                RenameReads(inside, inner);
            }

            foreach (var output in graph.Output)
            {
                if (inner.TryGetValue(output.Name, out var renamed))
                {
                    output.Name = renamed;
                }
            }
        }
    }

    private static IEnumerable<GraphProto> Subgraphs(NodeProto node) =>
        node.Attribute.SelectMany(a => a.Graphs.Prepend(a.G)).OfType<GraphProto>();

    private static HashSet<string> DefinedNames(GraphProto graph)
    {
        var defined = graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name))
            .Concat(graph.SparseInitializer.Select(s => s.Values?.Name ?? ""))
            .Concat(graph.Node.SelectMany(n => n.Output)).ToHashSet(StringComparer.Ordinal);
        defined.Remove("");
        return defined;
    }

    /// <summary>Names read in <paramref name="graph"/> or its nested subgraphs that <paramref name="graph"/> does not define.</summary>
    private static HashSet<string> FreeNames(GraphProto graph)
    {
        var defined = DefinedNames(graph);
        var free = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            free.UnionWith(node.Input.Where(i => i.Length > 0));
            foreach (var sub in Subgraphs(node))
            {
                free.UnionWith(FreeNames(sub));
            }
        }

        free.UnionWith(graph.Output.Select(o => o.Name).Where(o => o.Length > 0));
        free.ExceptWith(defined);
        return free;
    }

    private static HashSet<string> AllNames(GraphProto graph)
    {
        var names = DefinedNames(graph);
        names.UnionWith(graph.Output.Select(o => o.Name));
        names.UnionWith(graph.Node.Select(n => n.Name).Where(n => n.Length > 0));
        foreach (var sub in graph.Node.SelectMany(Subgraphs))
        {
            names.UnionWith(AllNames(sub));
        }

        return names;
    }
}
