using Microsoft.ML.Explainability.Onnx.Protobuf;
using DataType = Microsoft.ML.Explainability.Onnx.Protobuf.TensorProto.Types.DataType;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// Constant folding: every tensor computed only from constants is replaced by an initializer holding its value, so
/// that backward rules and LRP rules that need a constant (weights and biases, Dropout's training_mode, Pad's pads,
/// Slice's bounds, Resize's scales, Reshape's shape) find one however the exporter wrote it. Works on a copy.
/// </summary>
/// <remarks>
/// <para>Constants are initializers and the outputs of Constant nodes. An initializer that is also listed as a graph
/// input (older exporters write every weight so) is treated as the constant it holds: ONNX Runtime would let a caller
/// override it, but an explained model is fed its data inputs only, so the folded copy drops such names from the
/// graph inputs.</para>
/// <para>Folded operators (default domain, main graph, every input constant): Constant, Identity, Cast, CastLike,
/// Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Shape and Size (of a constant, or of a tensor whose declared shape
/// is fully static), Gather, Concat, Slice, Expand, ConstantOfShape, Range, DequantizeLinear (per-tensor and per-axis),
/// and element-wise Add, Sub, Mul, Div, Neg, Sqrt, Reciprocal, Pow, Equal, Not. Arithmetic is done in float64 and
/// rounded once to the element type. A node whose output is a graph output, whose element type is not one of float,
/// double, float16, int8/16/32/64, uint8/16 or bool, or whose output would exceed <see cref="MaximumElements"/>
/// elements is left as it is. Initializers no node reads any more are removed.</para>
/// <para>A Dropout that drops nothing, because its ratio is the constant 0 (as torchvision's Swin exports its
/// attention dropout, with training_mode true) or its training_mode is the constant false, becomes an Identity when
/// its mask output is not read: ONNX Runtime computes the identity there too.</para>
/// </remarks>
internal static class ConstantFolder
{
    /// <summary>The largest folded output, in elements (larger constants are left to be computed at run time).</summary>
    public const long MaximumElements = 1L << 26;

    /// <summary>Returns a copy of <paramref name="model"/> in which every value computed only from constants is an initializer.</summary>
    /// <param name="model">The model (nodes topologically sorted).</param>
    public static OnnxModel Fold(OnnxModel model) => FoldCounting(model).Model;

    /// <summary>As <see cref="Fold"/>, also returning how many nodes were replaced by constants.</summary>
    internal static (OnnxModel Model, int Folded) FoldCounting(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        var constants = new Dictionary<string, ConstantTensor>(StringComparer.Ordinal);
        foreach (var initializer in graph.Initializer)
        {
            if (ConstantTensor.FromProto(initializer) is { } value)
            {
                constants[initializer.Name] = value;
            }
        }

        var initializerNames = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var input in graph.Input.Where(i => initializerNames.Contains(i.Name)).ToArray())
        {
            graph.Input.Remove(input);
        }

        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var declaredShapes = graph.Input.Concat(graph.ValueInfo).Concat(graph.Output)
            .Where(v => v.Type?.TensorType?.Shape is { } s && s.Dim.All(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue))
            .GroupBy(v => v.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray(), StringComparer.Ordinal);

        var folded = new Dictionary<string, ConstantTensor>(StringComparer.Ordinal);
        var kept = new List<NodeProto>(graph.Node.Count);
        int foldedNodes = 0;
        foreach (var node in graph.Node)
        {
            var outputs = TryEvaluate(node, constants, declaredShapes, graphOutputs);
            if (outputs is null)
            {
                kept.Add(node);
                continue;
            }

            for (int o = 0; o < outputs.Length; o++)
            {
                constants[node.Output[o]] = outputs[o];
                folded[node.Output[o]] = outputs[o];
            }

            foldedNodes++;
        }

        // Dropout that drops nothing is the identity: ratio 0 (torchvision's Swin exports attention dropout so, with
        // training_mode true), or training_mode false. Written as Identity when its mask output is not read.
        var readByNodes = kept.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var node in kept.Where(n => n.OpType == "Dropout" && n.Domain is "" or "ai.onnx" && n.Input.Count >= 1))
        {
            bool maskUnused = node.Output.Count < 2 || node.Output[1].Length == 0 || (!readByNodes.Contains(node.Output[1]) && !graphOutputs.Contains(node.Output[1]));
            ConstantTensor? Constant(int i) => node.Input.Count > i && node.Input[i].Length > 0 ? constants.GetValueOrDefault(node.Input[i]) : null;
            bool inference = node.Input.Count < 3 || node.Input[2].Length == 0 || Constant(2) is { } mode && mode.Integers.All(v => v == 0);
            bool dropsNothing = Constant(1) is { } ratio && ratio.Reals.All(v => v == 0);
            bool constantInputsOnly = Enumerable.Range(1, node.Input.Count - 1).All(i => node.Input[i].Length == 0 || constants.ContainsKey(node.Input[i]));
            if (maskUnused && constantInputsOnly && (inference || dropsNothing))
            {
                var output = node.Output[0];
                var input = node.Input[0];
                node.OpType = "Identity";
                node.Input.Clear();
                node.Input.Add(input);
                node.Output.Clear();
                node.Output.Add(output);
                node.Attribute.Clear();
                foldedNodes++;
            }
        }

        if (foldedNodes == 0 && graph.Input.Count == model.Graph.Input.Count)
        {
            return (new OnnxModel(proto), 0);
        }

        graph.Node.Clear();
        graph.Node.AddRange(kept);
        var read = ReadNames(graph);
        var retained = graph.Initializer.Where(t => read.Contains(t.Name)).ToArray();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(retained);
        graph.Initializer.AddRange(folded.Where(kv => read.Contains(kv.Key)).Select(kv => kv.Value.ToProto(kv.Key)));
        var foldedNames = folded.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var info in graph.ValueInfo.Where(v => foldedNames.Contains(v.Name)).ToArray())
        {
            graph.ValueInfo.Remove(info);
        }

        return (new OnnxModel(proto), foldedNodes);
    }

    /// <summary>Every tensor name read by a node of the graph (and of its subgraphs, which may read outer-scope values) or written as a graph output.</summary>
    private static HashSet<string> ReadNames(GraphProto graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Visit(GraphProto g)
        {
            foreach (var node in g.Node)
            {
                names.UnionWith(node.Input.Where(i => i.Length > 0));
                foreach (var attribute in node.Attribute)
                {
                    if (attribute.G is { } sub)
                    {
                        Visit(sub);
                    }

                    foreach (var subgraph in attribute.Graphs)
                    {
                        Visit(subgraph);
                    }
                }
            }

            names.UnionWith(g.Output.Select(o => o.Name));
        }

        Visit(graph);
        return names;
    }

    private static ConstantTensor[]? TryEvaluate(NodeProto node, Dictionary<string, ConstantTensor> constants, Dictionary<string, long[]> declaredShapes, HashSet<string> graphOutputs)
    {
        if (node.Domain is not ("" or "ai.onnx") || node.Output.Count == 0 || node.Output.Any(o => o.Length == 0 || graphOutputs.Contains(o))
            || node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))
        {
            return null;
        }

        // Shape and Size read only the dimensions, which a declared static shape also gives.
        if (node.OpType is "Shape" or "Size" && node.Input.Count == 1 && !constants.ContainsKey(node.Input[0]) && declaredShapes.TryGetValue(node.Input[0], out var declared))
        {
            return [ShapeOf(node, declared)];
        }

        if (node.OpType != "Constant" && !node.Input.All(i => i.Length == 0 || constants.ContainsKey(i)))
        {
            return null;
        }

        var inputs = node.Input.Select(i => i.Length == 0 ? null : constants[i]).ToArray();
        try
        {
            var result = Evaluate(node, inputs);
            return result is not null && result.All(r => r.Count <= MaximumElements && ConstantTensor.IsSupported(r.Type)) ? result : null;
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or IndexOutOfRangeException or ArithmeticException or InvalidCastException)
        {
            // An operation this folder does not evaluate in that form, or inconsistent inputs: left for ONNX Runtime to run (and report).
            return null;
        }
    }

    private static ConstantTensor[]? Evaluate(NodeProto node, ConstantTensor?[] x)
    {
        ConstantTensor In(int i) => i < x.Length && x[i] is { } t ? t : throw new ArgumentException($"input {i} missing");
        ConstantTensor? Optional(int i) => i < x.Length ? x[i] : null;
        ConstantTensor? single = node.OpType switch
        {
            "Constant" => ConstantNode(node),
            "Identity" => In(0),
            "Cast" => In(0).CastTo((DataType)node.GetInt("to", 0)),
            "CastLike" => In(0).CastTo(In(1).Type),
            "Reshape" => In(0).WithDims(ReshapeDims(In(0).Dims, In(1).Integers, node.GetInt("allowzero", 0) != 0)),
            "Flatten" => Flatten(In(0), node.GetInt("axis", 1)),
            "Squeeze" => Squeeze(In(0), Optional(1)?.Integers ?? node.GetInts("axes")),
            "Unsqueeze" => Unsqueeze(In(0), Optional(1)?.Integers ?? node.GetInts("axes") ?? throw new ArgumentException("axes missing")),
            "Transpose" => Transpose(In(0), node.GetInts("perm")),
            "Shape" => ShapeOf(node, In(0).Dims),
            "Size" => ShapeOf(node, In(0).Dims),
            "Gather" => Gather(In(0), In(1), node.GetInt("axis", 0)),
            "Concat" => Concat(x.Select((t, i) => t ?? throw new ArgumentException($"input {i} missing")).ToArray(), node.GetInt("axis", 0)),
            "Slice" => Slice(node, x),
            "Expand" => Broadcast(In(0), Broadcast(In(0).Dims, In(1).Integers)),
            "ConstantOfShape" => ConstantOfShape(node, In(0)),
            "Range" => Range(In(0), In(1), In(2)),
            "DequantizeLinear" => Dequantize(node, In(0), In(1), Optional(2)),
            "Add" => Binary(In(0), In(1), (a, b) => a + b, (a, b) => a + b),
            "Sub" => Binary(In(0), In(1), (a, b) => a - b, (a, b) => a - b),
            "Mul" => Binary(In(0), In(1), (a, b) => a * b, (a, b) => a * b),
            "Div" => Binary(In(0), In(1), (a, b) => a / b, (a, b) => a / b),
            "Pow" => Pow(In(0), In(1)),
            "Equal" => Compare(In(0), In(1)),
            "Not" => ConstantTensor.OfIntegers(DataType.Bool, In(0).Dims, In(0).Integers.Select(v => v == 0 ? 1L : 0L).ToArray()),
            "Neg" => Unary(In(0), v => -v, v => -v),
            "Sqrt" => Unary(In(0), Math.Sqrt, null),
            "Reciprocal" => Unary(In(0), v => 1 / v, null),
            _ => null,
        };
        return single is null ? null : [single];
    }

    private static ConstantTensor? ConstantNode(NodeProto node)
    {
        var attribute = node.Attribute.SingleOrDefault() ?? throw new ArgumentException("a Constant node has exactly one attribute");
        return attribute.Name switch
        {
            "value" => ConstantTensor.FromProto(attribute.T),
            "value_float" => ConstantTensor.OfReals(DataType.Float, [], [attribute.F]),
            "value_floats" => ConstantTensor.OfReals(DataType.Float, [attribute.Floats.Count], attribute.Floats.Select(v => (double)v).ToArray()),
            "value_int" => ConstantTensor.OfIntegers(DataType.Int64, [], [attribute.I]),
            "value_ints" => ConstantTensor.OfIntegers(DataType.Int64, [attribute.Ints.Count], attribute.Ints.ToArray()),
            _ => null, // sparse_value and strings stay as they are
        };
    }

    private static ConstantTensor ShapeOf(NodeProto node, long[] dims)
    {
        if (node.OpType == "Size")
        {
            return ConstantTensor.OfIntegers(DataType.Int64, [], [dims.Aggregate(1L, (a, d) => a * d)]);
        }

        int rank = dims.Length;
        int Clamp(long v) => (int)Math.Clamp(v < 0 ? v + rank : v, 0, rank);
        int start = Clamp(node.GetInt("start", 0));
        int end = Clamp(node.GetInt("end", rank));
        var selected = dims.Skip(start).Take(Math.Max(0, end - start)).ToArray();
        return ConstantTensor.OfIntegers(DataType.Int64, [selected.Length], selected);
    }

    private static int Axis(long axis, int rank) =>
        axis >= -rank && axis < rank ? (int)(axis < 0 ? axis + rank : axis) : throw new ArgumentException($"axis {axis} out of range for rank {rank}");

    private static long[] ReshapeDims(long[] input, long[] shape, bool allowZero)
    {
        var dims = shape.Select((d, i) => d == 0 && !allowZero ? input[i] : d).ToArray();
        int inferred = Array.IndexOf(dims, -1L);
        if (inferred >= 0)
        {
            long known = dims.Where((d, i) => i != inferred).Aggregate(1L, (a, d) => a * d);
            long total = input.Aggregate(1L, (a, d) => a * d);
            dims[inferred] = known == 0 ? 0 : total / known;
        }

        return dims;
    }

    private static ConstantTensor Flatten(ConstantTensor x, long axis)
    {
        int a = axis < 0 ? (int)axis + x.Rank : (int)axis;
        long outer = x.Dims.Take(a).Aggregate(1L, (p, d) => p * d);
        return x.WithDims([outer, x.Count / Math.Max(outer, 1)]);
    }

    private static ConstantTensor Squeeze(ConstantTensor x, long[]? axes)
    {
        var drop = axes is null
            ? Enumerable.Range(0, x.Rank).Where(a => x.Dims[a] == 1).ToHashSet()
            : axes.Select(a => Axis(a, x.Rank)).ToHashSet();
        if (drop.Any(a => x.Dims[a] != 1))
        {
            throw new ArgumentException("Squeeze of an axis whose size is not 1");
        }

        return x.WithDims(x.Dims.Where((_, a) => !drop.Contains(a)).ToArray());
    }

    private static ConstantTensor Unsqueeze(ConstantTensor x, long[] axes)
    {
        int rank = x.Rank + axes.Length;
        var inserted = axes.Select(a => Axis(a, rank)).ToHashSet();
        var dims = new long[rank];
        int source = 0;
        for (int a = 0; a < rank; a++)
        {
            dims[a] = inserted.Contains(a) ? 1 : x.Dims[source++];
        }

        return x.WithDims(dims);
    }

    private static long[] Strides(long[] dims)
    {
        var strides = new long[dims.Length];
        long s = 1;
        for (int a = dims.Length - 1; a >= 0; a--)
        {
            strides[a] = s;
            s *= dims[a];
        }

        return strides;
    }

    /// <summary>For each element of a tensor of dimensions <paramref name="dims"/> (row-major), <paramref name="source"/> of its multi-index.</summary>
    private static int[] Map(long[] dims, Func<long[], long> source)
    {
        long count = dims.Aggregate(1L, (a, d) => a * d);
        var result = new int[checked((int)count)];
        var index = new long[dims.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = checked((int)source(index));
            for (int a = dims.Length - 1; a >= 0; a--)
            {
                if (++index[a] < dims[a])
                {
                    break;
                }

                index[a] = 0;
            }
        }

        return result;
    }

    private static ConstantTensor Transpose(ConstantTensor x, long[]? perm)
    {
        var p = perm ?? Enumerable.Range(0, x.Rank).Reverse().Select(a => (long)a).ToArray();
        var strides = Strides(x.Dims);
        var dims = p.Select(a => x.Dims[a]).ToArray();
        return x.Select(dims, Map(dims, index => index.Select((v, a) => v * strides[p[a]]).Sum()));
    }

    private static ConstantTensor Gather(ConstantTensor data, ConstantTensor indices, long axis)
    {
        int a = Axis(axis, data.Rank);
        var idx = indices.Integers.Select(i => i < 0 ? i + data.Dims[a] : i).ToArray();
        if (idx.Any(i => i < 0 || i >= data.Dims[a]))
        {
            throw new ArgumentException("Gather index out of range");
        }

        var dims = data.Dims.Take(a).Concat(indices.Dims).Concat(data.Dims.Skip(a + 1)).ToArray();
        var strides = Strides(data.Dims);
        var indexStrides = Strides(indices.Dims);
        int q = indices.Rank;
        return data.Select(dims, Map(dims, index =>
        {
            long flat = 0;
            for (int k = 0; k < q; k++)
            {
                flat += index[a + k] * indexStrides[k];
            }

            long offset = idx[flat] * strides[a];
            for (int k = 0; k < a; k++)
            {
                offset += index[k] * strides[k];
            }

            for (int k = a + 1; k < data.Rank; k++)
            {
                offset += index[k + q - 1] * strides[k];
            }

            return offset;
        }));
    }

    private static ConstantTensor Concat(ConstantTensor[] parts, long axis)
    {
        var first = parts[0];
        int a = Axis(axis, first.Rank);
        if (parts.Any(p => p.Type != first.Type || p.Rank != first.Rank))
        {
            throw new ArgumentException("Concat of mismatched tensors");
        }

        var dims = first.Dims.ToArray();
        dims[a] = parts.Sum(p => p.Dims[a]);
        var offsets = new long[parts.Length + 1];
        for (int k = 0; k < parts.Length; k++)
        {
            offsets[k + 1] = offsets[k] + parts[k].Dims[a];
        }

        // Index into the parts laid end to end.
        var bases = new long[parts.Length];
        for (int k = 1; k < parts.Length; k++)
        {
            bases[k] = bases[k - 1] + parts[k - 1].Count;
        }

        var strides = parts.Select(p => Strides(p.Dims)).ToArray();
        var map = Map(dims, index =>
        {
            int k = 0;
            while (index[a] >= offsets[k + 1])
            {
                k++;
            }

            long flat = bases[k];
            for (int d = 0; d < index.Length; d++)
            {
                flat += (d == a ? index[d] - offsets[k] : index[d]) * strides[k][d];
            }

            return flat;
        });
        var joined = first.IsIntegral
            ? ConstantTensor.OfIntegers(first.Type, [parts.Sum(p => p.Count)], parts.SelectMany(p => p.Integers).ToArray())
            : ConstantTensor.OfReals(first.Type, [parts.Sum(p => p.Count)], parts.SelectMany(p => p.Reals).ToArray());
        return joined.Select(dims, map);
    }

    private static ConstantTensor Slice(NodeProto node, ConstantTensor?[] x)
    {
        var data = x[0] ?? throw new ArgumentException("data missing");
        long[] starts, ends;
        long[]? axes, steps = null;
        if (x.Length > 1)
        {
            starts = x[1]!.Integers;
            ends = (x.Length > 2 ? x[2] : null)?.Integers ?? throw new ArgumentException("ends missing");
            axes = x.Length > 3 ? x[3]?.Integers : null;
            steps = x.Length > 4 ? x[4]?.Integers : null;
        }
        else
        {
            starts = node.GetInts("starts") ?? throw new ArgumentException("starts missing");
            ends = node.GetInts("ends") ?? throw new ArgumentException("ends missing");
            axes = node.GetInts("axes");
        }

        var begin = new long[data.Rank];
        var step = Enumerable.Repeat(1L, data.Rank).ToArray();
        var dims = data.Dims.ToArray();
        for (int k = 0; k < starts.Length; k++)
        {
            int a = Axis(axes?[k] ?? k, data.Rank);
            long size = data.Dims[a];
            long s = steps?[k] ?? 1;
            if (s == 0)
            {
                throw new ArgumentException("Slice step 0");
            }

            long Clamp(long v, long low, long high) => Math.Clamp(v < 0 ? v + size : v, low, high);
            long start = s > 0 ? Clamp(starts[k], 0, size) : Clamp(starts[k], -1, size - 1);
            long end = s > 0 ? Clamp(ends[k], 0, size) : Clamp(ends[k], -1, size - 1);
            begin[a] = start;
            step[a] = s;
            dims[a] = s > 0 ? Math.Max(0, (end - start + s - 1) / s) : Math.Max(0, (start - end - s - 1) / -s);
        }

        var strides = Strides(data.Dims);
        return data.Select(dims, Map(dims, index => index.Select((v, a) => (begin[a] + (v * step[a])) * strides[a]).Sum()));
    }

    private static long[] Broadcast(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var dims = new long[rank];
        for (int k = 0; k < rank; k++)
        {
            long da = k - (rank - a.Length) >= 0 ? a[k - (rank - a.Length)] : 1;
            long db = k - (rank - b.Length) >= 0 ? b[k - (rank - b.Length)] : 1;
            dims[k] = da == db || db == 1 ? da : da == 1 ? db : throw new ArgumentException("shapes do not broadcast");
        }

        return dims;
    }

    /// <summary>The elements of <paramref name="x"/> broadcast (numpy rules) to <paramref name="dims"/>.</summary>
    private static ConstantTensor Broadcast(ConstantTensor x, long[] dims)
    {
        if (dims.SequenceEqual(x.Dims))
        {
            return x;
        }

        var strides = Strides(x.Dims);
        int offset = dims.Length - x.Rank;
        return x.Select(dims, Map(dims, index =>
        {
            long flat = 0;
            for (int a = 0; a < x.Rank; a++)
            {
                flat += (x.Dims[a] == 1 ? 0 : index[a + offset]) * strides[a];
            }

            return flat;
        }));
    }

    private static ConstantTensor Binary(ConstantTensor a, ConstantTensor b, Func<double, double, double> real, Func<long, long, long> integer)
    {
        if (a.Type != b.Type)
        {
            throw new ArgumentException("operands of different types");
        }

        var dims = Broadcast(a.Dims, b.Dims);
        var x = Broadcast(a, dims);
        var y = Broadcast(b, dims);
        return a.IsIntegral
            ? ConstantTensor.OfIntegers(a.Type, dims, x.Integers.Zip(y.Integers, integer).ToArray())
            : ConstantTensor.OfReals(a.Type, dims, x.Reals.Zip(y.Reals, (p, q) => ConstantTensor.Round(a.Type, real(p, q))).ToArray());
    }

    private static ConstantTensor Pow(ConstantTensor a, ConstantTensor b)
    {
        var dims = Broadcast(a.Dims, b.Dims);
        var x = Broadcast(a, dims);
        var y = Broadcast(b, dims);
        return a.IsIntegral
            ? ConstantTensor.OfIntegers(a.Type, dims, x.Integers.Zip(y.Reals, (p, q) => (long)Math.Pow(p, q)).ToArray())
            : ConstantTensor.OfReals(a.Type, dims, x.Reals.Zip(y.Reals, (p, q) => ConstantTensor.Round(a.Type, Math.Pow(p, q))).ToArray());
    }

    private static ConstantTensor Compare(ConstantTensor a, ConstantTensor b)
    {
        var dims = Broadcast(a.Dims, b.Dims);
        var x = Broadcast(a, dims);
        var y = Broadcast(b, dims);
        var equal = a.IsIntegral ? x.Integers.Zip(y.Integers, (p, q) => p == q ? 1L : 0L) : x.Reals.Zip(y.Reals, (p, q) => p == q ? 1L : 0L);
        return ConstantTensor.OfIntegers(DataType.Bool, dims, equal.ToArray());
    }

    private static ConstantTensor Unary(ConstantTensor x, Func<double, double> real, Func<long, long>? integer) => x.IsIntegral
        ? ConstantTensor.OfIntegers(x.Type, x.Dims, x.Integers.Select(integer ?? throw new NotSupportedException("integer operand")).ToArray())
        : ConstantTensor.OfReals(x.Type, x.Dims, x.Reals.Select(v => ConstantTensor.Round(x.Type, real(v))).ToArray());

    private static ConstantTensor ConstantOfShape(NodeProto node, ConstantTensor shape)
    {
        var dims = shape.Integers;
        var value = node.Attribute("value") is { T: { } t } ? ConstantTensor.FromProto(t) ?? throw new NotSupportedException("value type") : ConstantTensor.OfReals(DataType.Float, [1], [0.0]);
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (count > MaximumElements)
        {
            throw new NotSupportedException("too large");
        }

        return value.IsIntegral
            ? ConstantTensor.OfIntegers(value.Type, dims, Enumerable.Repeat(value.Integers[0], (int)count).ToArray())
            : ConstantTensor.OfReals(value.Type, dims, Enumerable.Repeat(value.Reals[0], (int)count).ToArray());
    }

    private static ConstantTensor Range(ConstantTensor start, ConstantTensor limit, ConstantTensor delta)
    {
        if (start.IsIntegral)
        {
            long s = start.Integers[0], l = limit.Integers[0], d = delta.Integers[0];
            long n = Math.Max(0, (long)Math.Ceiling((double)(l - s) / d));
            return ConstantTensor.OfIntegers(start.Type, [n], Enumerable.Range(0, (int)n).Select(i => s + (i * d)).ToArray());
        }

        double rs = start.Reals[0], rl = limit.Reals[0], rd = delta.Reals[0];
        long count = Math.Max(0, (long)Math.Ceiling((rl - rs) / rd));
        return ConstantTensor.OfReals(start.Type, [count], Enumerable.Range(0, (int)count).Select(i => ConstantTensor.Round(start.Type, rs + (i * rd))).ToArray());
    }

    /// <summary>y = (x − zero_point)·scale, per tensor or per slice along <c>axis</c> (blocked quantisation is not folded).</summary>
    private static ConstantTensor Dequantize(NodeProto node, ConstantTensor x, ConstantTensor scale, ConstantTensor? zeroPoint)
    {
        if (node.GetInt("block_size", 0) != 0 || !x.IsIntegral || scale.IsIntegral)
        {
            throw new NotSupportedException("blocked or non-integer dequantisation");
        }

        int axis = scale.Count == 1 ? 0 : Axis(node.GetInt("axis", 1), x.Rank);
        long perSlice = scale.Count == 1 ? x.Count : Strides(x.Dims)[axis];
        long channels = scale.Count == 1 ? 1 : x.Dims[axis];
        if (scale.Count != channels || (zeroPoint is not null && zeroPoint.Count != scale.Count))
        {
            throw new ArgumentException("scale and zero point do not match the axis");
        }

        var q = x.Integers;
        var s = scale.Reals;
        var z = zeroPoint?.Integers;
        var values = new double[q.Length];
        for (int i = 0; i < q.Length; i++)
        {
            long c = (i / perSlice) % channels;
            values[i] = ConstantTensor.Round(scale.Type, (q[i] - (z?[c] ?? 0)) * s[c]);
        }

        return ConstantTensor.OfReals(scale.Type, x.Dims, values);
    }
}
