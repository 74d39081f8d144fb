using System.Globalization;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// Raises the default-domain opset of a model (backward graphs need ScatterElements with reduction "add", opset 16, and
/// ReduceSum with axes as an input, opset 13), rewriting every node whose operator schema changed incompatibly between
/// the model's opset and the target so that the upgraded model computes the same values.
/// </summary>
/// <remarks>
/// <para>
/// A node is read with the highest schema version not above the model's opset, so a node needs rewriting when its
/// operator changed at a version <c>v</c> with <c>from &lt; v &lt;= to</c>. Rewritten: BatchNormalization (spatial,
/// is_test, consumed_inputs dropped at 9; training outputs become training_mode at 14), Pad (11), Slice (10), Squeeze/Unsqueeze (13),
/// ReduceSum (13) and the other Reduce* (18), Split (13; num_outputs at 18), Clip (11), Dropout (12; mask type at 10),
/// TopK (10), Upsample (removed at 10: Resize), Resize (11), Softmax/LogSoftmax/Hardmax (13), Scatter (ScatterElements,
/// 11), RoiAlign (16), MeanVarianceNormalization (9), GridSample (20), DFT (20) and GroupNormalization (21). Scan-8
/// (batch axis), per-activation BatchNormalization (spatial=0) and a Dropout mask or BatchNormalization saved
/// statistics that the model reads cannot be upgraded and are rejected with the node named.
/// </para>
/// <para>
/// Legacy resizing (Upsample, Resize-10) uses asymmetric coordinates and, in nearest mode, rounds the source coordinate
/// down when enlarging and up when shrinking (as ONNX Runtime and the ONNX Resize-10 tests do); a Resize-10 whose
/// constant scales shrink gets nearest_mode "ceil", any other "floor", so one that enlarges some axes and shrinks others
/// is only exact on the enlarged ones. Pad and Clip constants take the data's element type when it can be found, else
/// float.
/// </para>
/// <para>
/// Checked and compatible (later versions only add types, optional attributes or inputs whose defaults keep the old
/// meaning, or accept negative axes): Cast (the 19 saturate flag only affects float8), Gemm (from 7), Flatten, Concat,
/// MaxPool (storage_order, ceil_mode, dilations default to the old behaviour), AveragePool (ceil_mode, dilations),
/// Conv, ConvTranspose, Max/Min/Sum/Mean (broadcasting is a superset), Constant, Reshape (allowzero defaults to 0),
/// Shape (start/end), ArgMax/ArgMin, Gather, TopK 10 to 11, the RNNs (layout defaults to 0), If/Loop/Scan from 9,
/// LpPool, Pad 11 and later, Resize 11 and later, and the element-wise operators from 7. Models below opset 7 (legacy
/// broadcast attributes, Reshape with a shape attribute) are not supported.
/// </para>
/// </remarks>
internal static class OpsetUpgrader
{
    /// <summary>The oldest default-domain opset that can be upgraded.</summary>
    public const int MinimumSourceOpset = 7;

    private static readonly string[] OtherReduceOps =
        ["ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare"];

    /// <summary>
    /// Returns a copy of <paramref name="model"/> whose default-domain opset is max(current, <paramref name="targetOpset"/>),
    /// with nodes rewritten where their operator changed and the IR version raised to what the opset requires. The
    /// input model is never modified.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetOpset"/> is above <see cref="OnnxModel.MaximumOpset"/>.</exception>
    /// <exception cref="InvalidOnnxModelException">A node cannot be expressed at the target opset (for example per-activation BatchNormalization), or the model's opset is below 7.</exception>
    public static OnnxModel Upgrade(OnnxModel model, int targetOpset = 17)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetOpset, OnnxModel.MaximumOpset);
        var proto = model.Proto.Clone();
        int from = OnnxModel.GetOpset(proto);
        if (from >= targetOpset)
        {
            return new OnnxModel(proto);
        }

        if (from < MinimumSourceOpset)
        {
            throw new InvalidOnnxModelException(from == 0
                ? "The model imports no default-domain opset, so it cannot be upgraded."
                : $"The model uses opset {from}; only opset {MinimumSourceOpset} and later can be upgraded.");
        }

        long irVersion = Math.Max(proto.IrVersion, MinimumIrVersion(targetOpset));
        new Rewriter(proto, from, targetOpset, irVersion).Run();
        foreach (var entry in proto.OpsetImport.Where(o => o.Domain is "" or "ai.onnx"))
        {
            entry.Version = targetOpset;
        }

        proto.IrVersion = irVersion;
        return new OnnxModel(proto);
    }

    /// <summary>The IR version of the ONNX release that introduced <paramref name="opset"/>.</summary>
    internal static long MinimumIrVersion(int opset) => opset switch
    {
        <= 8 => 3,
        9 => 4,
        10 => 5,
        11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };

    private static bool IsDefaultDomain(NodeProto node) => node.Domain is "" or "ai.onnx";

    /// <summary>Rewrites the graphs of one model; holds the model-wide name set, tensor types and consumers.</summary>
    private sealed class Rewriter
    {
        private readonly ModelProto _model;
        private readonly int _from;
        private readonly int _to;
        private readonly bool _initializersAreInputs;
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);
        private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TypeProto.Types.Tensor> _declared = new(StringComparer.Ordinal);
        private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TensorProto.Types.DataType?> _typeCache = new(StringComparer.Ordinal);

        public Rewriter(ModelProto model, int from, int to, long irVersion)
        {
            _model = model;
            _from = from;
            _to = to;
            // Before IR 4 every initializer must also be a graph input.
            _initializersAreInputs = irVersion < 4;
            Collect(model.Graph);
        }

        public void Run() => RewriteGraph(_model.Graph, isMain: true);

        private bool Crosses(int version) => _from < version && _to >= version;

        private void Collect(GraphProto graph)
        {
            foreach (var v in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
            {
                _names.Add(v.Name);
                if (v.Type?.TensorType is { } t)
                {
                    _declared.TryAdd(v.Name, t);
                }
            }

            foreach (var v in graph.Output)
            {
                _consumed.Add(v.Name);
            }

            foreach (var t in graph.Initializer)
            {
                _names.Add(t.Name);
                _constants.TryAdd(t.Name, t);
            }

            foreach (var node in graph.Node)
            {
                if (node.Name.Length > 0)
                {
                    _names.Add(node.Name);
                }

                foreach (var output in node.Output.Where(o => o.Length > 0))
                {
                    _names.Add(output);
                    _producers.TryAdd(output, node);
                }

                foreach (var input in node.Input.Where(i => i.Length > 0))
                {
                    _consumed.Add(input);
                }

                if (node.OpType == "Constant" && IsDefaultDomain(node) && node.Output.Count == 1 && node.Attribute("value") is { T: { } value })
                {
                    _constants.TryAdd(node.Output[0], value);
                }

                foreach (var attribute in node.Attribute)
                {
                    if (attribute.G is { } g)
                    {
                        Collect(g);
                    }

                    foreach (var sub in attribute.Graphs)
                    {
                        Collect(sub);
                    }
                }
            }
        }

        private void RewriteGraph(GraphProto graph, bool isMain)
        {
            var rewritten = new List<NodeProto>(graph.Node.Count);
            var scope = new Scope(this, graph, isMain, rewritten);
            for (int index = 0; index < graph.Node.Count; index++)
            {
                var node = graph.Node[index];
                // Nested graphs are read at the model's opset too, whatever the domain of the node holding them.
                foreach (var attribute in node.Attribute)
                {
                    if (attribute.G is { } g)
                    {
                        RewriteGraph(g, isMain: false);
                    }

                    foreach (var sub in attribute.Graphs)
                    {
                        RewriteGraph(sub, isMain: false);
                    }
                }

                if (IsDefaultDomain(node))
                {
                    RewriteNode(scope, node, index);
                }

                rewritten.Add(node);
                rewritten.AddRange(scope.After);
                scope.After.Clear();
            }

            graph.Node.Clear();
            graph.Node.AddRange(rewritten);
        }

        /// <summary>Rewrites <paramref name="node"/> in place; nodes it needs before it are added to the scope first.</summary>
        private void RewriteNode(Scope scope, NodeProto node, int index)
        {
            switch (node.OpType)
            {
                case "BatchNormalization":
                    RewriteBatchNormalization(scope, node, index);
                    break;
                case "Pad" when Crosses(11):
                    RewritePad(scope, node);
                    break;
                case "Slice" when Crosses(10):
                    MoveIntsToInputs(scope, node, "starts", "ends", "axes");
                    break;
                case "Squeeze" or "Unsqueeze" when Crosses(13):
                    MoveIntsToInputs(scope, node, "axes");
                    break;
                case "ReduceSum" when Crosses(13):
                    MoveIntsToInputs(scope, node, "axes");
                    break;
                case var op when Crosses(18) && OtherReduceOps.Contains(op):
                    MoveIntsToInputs(scope, node, "axes");
                    break;
                case "Split":
                    RewriteSplit(scope, node);
                    break;
                case "Clip" when Crosses(11):
                    RewriteClip(scope, node);
                    break;
                case "Dropout":
                    RewriteDropout(scope, node, index);
                    break;
                case "TopK" when Crosses(10):
                    node.Input.Add(scope.Int64s(Hint(node, "k"), [1], [node.GetInt("k", 0)]));
                    node.RemoveAttribute("k");
                    break;
                case "Upsample":
                    RewriteUpsample(scope, node);
                    break;
                case "Resize" when Crosses(11) && node.Input.Count == 2:
                    RewriteResize10(scope, node);
                    break;
                case "Softmax" or "LogSoftmax" or "Hardmax" when Crosses(13):
                    RewriteSoftmax(scope, node);
                    break;
                case "Scatter" when Crosses(11):
                    node.OpType = "ScatterElements";
                    break;
                case "RoiAlign" when Crosses(16) && node.Attribute("coordinate_transformation_mode") is null:
                    // RoiAlign-10 did not shift pixels by half; 16 does by default.
                    node.Attribute.Add(NodeExtensions.String("coordinate_transformation_mode", "output_half_pixel"));
                    break;
                case "MeanVarianceNormalization" when Crosses(9):
                    RewriteMeanVarianceNormalization(scope, node);
                    break;
                case "GridSample" when Crosses(20):
                    RenameGridSampleMode(node);
                    break;
                case "DFT" when Crosses(20):
                    RewriteDft(scope, node);
                    break;
                case "GroupNormalization" when Crosses(21):
                    RewriteGroupNormalization(scope, node);
                    break;
                case "Scan" when Crosses(9) && _from == 8:
                    throw new InvalidOnnxModelException(
                        $"{node.Describe(index)} is a Scan-8 (with a batch axis and sequence_lens), which opset 9 and later cannot express; the model cannot be upgraded to opset {_to}.");
            }
        }

        private void RewriteBatchNormalization(Scope scope, NodeProto node, int index)
        {
            if (Crosses(9))
            {
                if (node.GetInt("spatial", 1) == 0)
                {
                    throw new InvalidOnnxModelException(
                        $"{node.Describe(index)} uses per-activation batch normalization (spatial=0), which opset 9 and later cannot express; the model cannot be upgraded to opset {_to}.");
                }

                node.RemoveAttribute("spatial");
                node.RemoveAttribute("is_test");
                node.RemoveAttribute("consumed_inputs");
            }

            if (Crosses(14) && node.Output.Skip(1).Any(o => o.Length > 0))
            {
                // Before 14 the extra outputs selected training mode (batch statistics); 14 has a flag for it and keeps
                // only the running mean and variance outputs.
                RequireUnused(node, index, node.Output.Skip(3), "its saved mean/variance outputs, which opset 14 removed");
                TrimOutputs(scope, node, 3);
                node.Attribute.Add(NodeExtensions.Int("training_mode", 1));
            }
        }

        private void RewritePad(Scope scope, NodeProto node)
        {
            var pads = node.GetInts("pads") ?? [];
            var value = node.Attribute("value");
            node.Input.Add(scope.Int64s(Hint(node, "pads"), [pads.Length], pads));
            if (value is not null && value.F != 0 && node.GetString("mode", "constant") == "constant")
            {
                node.Input.Add(scope.ScalarLike(Hint(node, "constant_value"), value.F, ElementType(node.Input[0])));
            }

            node.RemoveAttribute("pads");
            node.RemoveAttribute("value");
        }

        private void RewriteSplit(Scope scope, NodeProto node)
        {
            if (Crosses(13))
            {
                MoveIntsToInputs(scope, node, "split");
            }

            // From 18 an even split needs num_outputs (before, the number of outputs implied it).
            bool hasSplitInput = node.Input.Count > 1 && node.Input[1].Length > 0;
            if (Crosses(18) && !hasSplitInput && node.Attribute("num_outputs") is null)
            {
                node.Attribute.Add(NodeExtensions.Int("num_outputs", node.Output.Count));
            }
        }

        private void RewriteClip(Scope scope, NodeProto node)
        {
            var type = ElementType(node.Input[0]);
            var min = node.Attribute("min");
            var max = node.Attribute("max");
            if (min is not null || max is not null)
            {
                node.Input.Add(min is null ? "" : scope.ScalarLike(Hint(node, "min"), min.F, type));
            }

            if (max is not null)
            {
                node.Input.Add(scope.ScalarLike(Hint(node, "max"), max.F, type));
            }

            node.RemoveAttribute("min");
            node.RemoveAttribute("max");
        }

        private void RewriteDropout(Scope scope, NodeProto node, int index)
        {
            if (Crosses(10) && node.Output.Count > 1)
            {
                // The mask changed from the input's type to bool at 10; an inference model does not read it.
                RequireUnused(node, index, node.Output.Skip(1), "its mask output, whose type changed from the input's type to bool at opset 10");
                TrimOutputs(scope, node, 1);
            }

            if (Crosses(12))
            {
                var ratio = node.Attribute("ratio");
                node.RemoveAttribute("ratio");
                node.RemoveAttribute("is_test");
                node.RemoveAttribute("consumed_inputs");
                if (ratio is not null)
                {
                    node.Input.Add(scope.Scalar(Hint(node, "ratio"), ratio.F, TensorProto.Types.DataType.Float));
                }
            }
        }

        private void RewriteUpsample(Scope scope, NodeProto node)
        {
            var scalesAttribute = node.Attribute("scales");
            if (_to < 9 || (_to == 9 && scalesAttribute is null))
            {
                return;
            }

            string scales;
            if (scalesAttribute is not null)
            {
                var values = scalesAttribute.Floats.ToArray();
                scales = scope.Floats(Hint(node, "scales"), values);
                node.RemoveAttribute("scales");
            }
            else
            {
                scales = node.Input[1];
            }

            var x = node.Input[0];
            var mode = node.GetString("mode", "nearest");
            node.RemoveAttribute("mode");
            node.Input.Clear();
            node.Input.Add(x);
            node.Input.Add(scales);
            if (_to == 9)
            {
                node.Attribute.Add(NodeExtensions.String("mode", mode));
                return;
            }

            // Upsample is Resize with asymmetric coordinates and nearest rounding down (its scales are at least 1).
            node.OpType = "Resize";
            node.Attribute.Add(NodeExtensions.String("mode", mode == "bilinear" ? "linear" : mode));
            if (_to >= 11)
            {
                node.Input.Insert(1, EmptyRoi(scope, node));
                node.Attribute.Add(NodeExtensions.String("coordinate_transformation_mode", "asymmetric"));
                if (mode == "nearest")
                {
                    node.Attribute.Add(NodeExtensions.String("nearest_mode", "floor"));
                }
            }
        }

        private void RewriteResize10(Scope scope, NodeProto node)
        {
            var scales = node.Input[1];
            node.Input.Insert(1, EmptyRoi(scope, node));
            var mode = node.GetString("mode", "nearest");
            node.Attribute.Add(NodeExtensions.String("coordinate_transformation_mode", "asymmetric"));
            if (mode == "nearest")
            {
                // Resize-10 rounds the source coordinate down when enlarging and up when shrinking.
                var values = ConstantValues(scales);
                bool shrinks = values is not null && values.Any(s => s < 1) && values.All(s => s <= 1);
                node.Attribute.Add(NodeExtensions.String("nearest_mode", shrinks ? "ceil" : "floor"));
            }
        }

        private string EmptyRoi(Scope scope, NodeProto node) =>
            _to >= 13 ? "" : scope.Floats(Hint(node, "roi"), []);

        private void RewriteSoftmax(Scope scope, NodeProto node)
        {
            long axis = node.GetInt("axis", 1);
            node.RemoveAttribute("axis");
            int? rank = Rank(node.Input[0]) ?? Rank(node.Output[0]);
            bool lastAxis = axis == -1 || (rank is { } r && (axis < 0 ? axis + r : axis) == r - 1);
            node.Attribute.Add(NodeExtensions.Int("axis", -1));
            if (lastAxis)
            {
                return;
            }

            // The old operator flattened the input to 2-D at axis and normalised each row; do exactly that.
            var input = node.Input[0];
            var output = node.Output[0];
            var shape = scope.Add("Shape", [input], Hint(node, "shape"));
            var flat = scope.Add("Flatten", [input], Hint(node, "flatten"), NodeExtensions.Int("axis", axis));
            var normalised = scope.FreshName(Hint(node, node.OpType.ToLowerInvariant()));
            node.Input[0] = flat;
            node.Output[0] = normalised;
            scope.AddAfter("Reshape", [normalised, shape], output);
        }

        private void RewriteMeanVarianceNormalization(Scope scope, NodeProto node)
        {
            if (node.Attribute("axes") is not null)
            {
                return;
            }

            // MVN-1 (NCHW) statistics span the batch, H and W (MVN-9's default axes), and C too with across_channels;
            // this is how ONNX Runtime computes it (checked by the tests).
            long[] axes = node.GetInt("across_channels", 0) != 0 ? [0, 1, 2, 3] : [0, 2, 3];
            bool normalizeVariance = node.GetInt("normalize_variance", 1) != 0;
            node.RemoveAttribute("across_channels");
            node.RemoveAttribute("normalize_variance");
            if (normalizeVariance)
            {
                node.Attribute.Add(NodeExtensions.Ints("axes", axes));
                return;
            }

            // Mean subtraction only: X - ReduceMean(X, axes).
            var keep = NodeExtensions.Int("keepdims", 1);
            var mean = _to >= 18
                ? scope.Add("ReduceMean", [node.Input[0], scope.Int64s(Hint(node, "axes"), [axes.Length], axes)], Hint(node, "mean"), keep)
                : scope.Add("ReduceMean", [node.Input[0]], Hint(node, "mean"), NodeExtensions.Ints("axes", axes), keep);
            node.OpType = "Sub";
            node.Input.Add(mean);
        }

        private static void RenameGridSampleMode(NodeProto node)
        {
            var mode = node.Attribute("mode");
            if (mode is not null)
            {
                var renamed = mode.S.ToStringUtf8() switch { "bilinear" => "linear", "bicubic" => "cubic", var m => m };
                node.RemoveAttribute("mode");
                node.Attribute.Add(NodeExtensions.String("mode", renamed));
            }
        }

        private static void RewriteDft(Scope scope, NodeProto node)
        {
            // The axis moved to an input and its default changed from 1 to -2, so it is always written out.
            long axis = node.GetInt("axis", 1);
            node.RemoveAttribute("axis");
            while (node.Input.Count < 2)
            {
                node.Input.Add("");
            }

            node.Input.Add(scope.Int64s(Hint(node, "axis"), [], [axis]));
        }

        private static void RewriteGroupNormalization(Scope scope, NodeProto node)
        {
            // GroupNormalization-18 took one scale and bias per group, 21 one per channel: repeat each C/G times.
            long groups = node.GetInt("num_groups", 1);
            var x = node.Input[0];
            var channels = scope.Add("Shape", [x], Hint(node, "channels"), NodeExtensions.Int("start", 1), NodeExtensions.Int("end", 2));
            var perGroup = scope.Add("Div", [channels, scope.Int64s(Hint(node, "groups"), [1], [groups])], Hint(node, "per_group"));
            var expandShape = scope.Add("Concat", [scope.Int64s(Hint(node, "one"), [1], [1]), perGroup], Hint(node, "expand_shape"), NodeExtensions.Int("axis", 0));
            var column = scope.Int64s(Hint(node, "column"), [2], [-1, 1]);
            var flat = scope.Int64s(Hint(node, "flat"), [1], [-1]);
            for (int i = 1; i <= 2 && i < node.Input.Count; i++)
            {
                var reshaped = scope.Add("Reshape", [node.Input[i], column], Hint(node, $"param{i}_column"));
                var expanded = scope.Add("Expand", [reshaped, expandShape], Hint(node, $"param{i}_expand"));
                node.Input[i] = scope.Add("Reshape", [expanded, flat], Hint(node, $"param{i}_per_channel"));
            }
        }

        private static void MoveIntsToInputs(Scope scope, NodeProto node, params string[] attributes)
        {
            // Optional trailing inputs are positional, so a missing attribute in the middle becomes "".
            var values = attributes.Select(node.GetInts).ToArray();
            int last = Array.FindLastIndex(values, v => v is not null);
            for (int i = 0; i <= last; i++)
            {
                var v = values[i];
                node.Input.Add(v is null ? "" : scope.Int64s(Hint(node, attributes[i]), [v.Length], v));
            }

            foreach (var name in attributes)
            {
                node.RemoveAttribute(name);
            }
        }

        private void RequireUnused(NodeProto node, int index, IEnumerable<string> outputs, string what)
        {
            var used = outputs.FirstOrDefault(o => o.Length > 0 && _consumed.Contains(o));
            if (used is not null)
            {
                throw new InvalidOnnxModelException(
                    $"{node.Describe(index)} cannot be upgraded to opset {_to}: the model reads {what} ('{used}').");
            }
        }

        private static void TrimOutputs(Scope scope, NodeProto node, int count)
        {
            while (node.Output.Count > count)
            {
                // Drop its annotation too: the declared type may no longer hold.
                scope.RemoveValueInfo(node.Output[^1]);
                node.Output.RemoveAt(node.Output.Count - 1);
            }
        }

        private static string Hint(NodeProto node, string what)
        {
            var stem = node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault(o => o.Length > 0) ?? node.OpType;
            return $"{stem}/upgrade/{what}";
        }

        private int? Rank(string name) =>
            _declared.TryGetValue(name, out var t) && t.Shape is { } shape ? shape.Dim.Count : null;

        private float[]? ConstantValues(string name) =>
            _constants.TryGetValue(name, out var t) ? TensorProtos.ToDoubles(t).Select(v => (float)v).ToArray() : null;

        /// <summary>
        /// The element type of a tensor: declared, constant, or followed back through its producer (most operators keep
        /// the type of their first input). Only needed for Pad and Clip constants, whose data is a float type.
        /// </summary>
        private TensorProto.Types.DataType? ElementType(string name)
        {
            // Iterative: a chain of type-preserving nodes (Identity, Relu…) can be as long as the model, and a recursive
            // walk would overflow the stack on a long chain. Every name met is cached with the type found at its end.
            var chain = new List<string>();
            TensorProto.Types.DataType? type = null;
            var current = name;
            while (true)
            {
                if (_typeCache.TryGetValue(current, out var cached))
                {
                    type = cached;
                    break;
                }

                _typeCache[current] = null; // a malformed cycle ends at a name already met, typed null
                chain.Add(current);
                string? next = null;
                if (_declared.TryGetValue(current, out var declared) && declared.ElemType != 0)
                {
                    type = (TensorProto.Types.DataType)declared.ElemType;
                }
                else if (_constants.TryGetValue(current, out var constant))
                {
                    type = (TensorProto.Types.DataType)constant.DataType;
                }
                else if (_producers.TryGetValue(current, out var producer))
                {
                    switch (producer.OpType)
                    {
                        case "Cast":
                            type = (TensorProto.Types.DataType)producer.GetInt("to", 0);
                            break;
                        case "Shape" or "Size" or "ArgMax" or "ArgMin" or "NonZero":
                            type = TensorProto.Types.DataType.Int64;
                            break;
                        case "Equal" or "Greater" or "Less" or "GreaterOrEqual" or "LessOrEqual" or "Not" or "And" or "Or" or "Xor" or "IsNaN" or "IsInf":
                            type = TensorProto.Types.DataType.Bool;
                            break;
                        case "Where" when producer.Input.Count > 1:
                            next = producer.Input[1];
                            break;
                        case var _ when producer.Input.Count > 0 && producer.Input[0].Length > 0 && producer.Output[0] == current:
                            next = producer.Input[0];
                            break;
                    }
                }

                if (next is null)
                {
                    break;
                }

                current = next;
            }

            foreach (var link in chain)
            {
                _typeCache[link] = type;
            }

            return type;
        }

        /// <summary>The graph being rewritten: new constants and the nodes emitted before the current one.</summary>
        private sealed class Scope(Rewriter owner, GraphProto graph, bool isMain, List<NodeProto> nodes)
        {
            public string FreshName(string hint)
            {
                var name = hint;
                for (int i = 1; !owner._names.Add(name); i++)
                {
                    name = string.Create(CultureInfo.InvariantCulture, $"{hint}_{i}");
                }

                return name;
            }

            /// <summary>Adds a node before the one being rewritten and returns its output.</summary>
            public string Add(string opType, IEnumerable<string> inputs, string outputHint, params AttributeProto[] attributes)
            {
                var node = NewNode(opType, inputs, FreshName(outputHint), attributes);
                nodes.Add(node);
                return node.Output[0];
            }

            /// <summary>Adds a node that goes right after the one being rewritten, producing <paramref name="output"/>.</summary>
            public void AddAfter(string opType, IEnumerable<string> inputs, string output) => After.Add(NewNode(opType, inputs, output));

            /// <summary>Nodes to place after the node being rewritten (flushed by RewriteGraph).</summary>
            public List<NodeProto> After { get; } = [];

            private NodeProto NewNode(string opType, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
            {
                var node = new NodeProto { OpType = opType, Name = FreshName(output + "/node") };
                node.Input.AddRange(inputs);
                node.Output.Add(output);
                node.Attribute.AddRange(attributes);
                return node;
            }

            public void RemoveValueInfo(string name)
            {
                var info = graph.ValueInfo.FirstOrDefault(v => v.Name == name);
                if (info is not null)
                {
                    graph.ValueInfo.Remove(info);
                }
            }

            public string Int64s(string hint, long[] dims, long[] values) => AddInitializer(TensorProtos.Int64(FreshName(hint), dims, values));

            public string Floats(string hint, float[] values) => AddInitializer(TensorProtos.Float(FreshName(hint), [values.Length], values));

            public string Scalar(string hint, double value, TensorProto.Types.DataType type) =>
                AddInitializer(TensorProtos.OfType(FreshName(hint), type, [], [value]));

            /// <summary>A scalar of the data's element type (float when it cannot be determined).</summary>
            public string ScalarLike(string hint, double value, TensorProto.Types.DataType? type) =>
                Scalar(hint, value, type is TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Float16 ? type.Value : TensorProto.Types.DataType.Float);

            private string AddInitializer(TensorProto tensor)
            {
                graph.Initializer.Add(tensor);
                owner._constants[tensor.Name] = tensor;
                if (isMain && owner._initializersAreInputs)
                {
                    var info = new ValueInfoProto { Name = tensor.Name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = tensor.DataType, Shape = new TensorShapeProto() } } };
                    info.Type.TensorType.Shape.Dim.AddRange(tensor.Dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
                    graph.Input.Add(info);
                }

                return tensor.Name;
            }
        }
    }
}
