using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// Finds the tensors a CAM can be computed at and reads their layout. A candidate is a floating-point tensor holding
/// one grid per input row: a rank-4 feature map, channels first [N, C, h, w] or channels last [N, h, w, C], with
/// h·w &gt; 1 and h, w no larger than the image input's, or a token tensor [N, T, C] whose last T − prefix tokens form a
/// grid. A tensor whose first dimension is k·N (k &gt; 1: Swin's window partition [N·windows, tokens, C], PyTorch
/// <c>MultiheadAttention</c>'s [N·heads, T, T]) holds k slices per row and is never a candidate.
/// </summary>
/// <remarks>
/// <para>
/// <b>Channels first or last</b> (rank 4, [N, a, b, c]). The shape alone is ambiguous (H = W = C, odd grids), so the
/// graph decides first: starting at the tensor and moving to neighbouring tensors of the very same shape (through
/// element-wise ops, Dropout, Pad… but never through a Transpose), nearest first, the first of these facts decides:
/// a LayerNormalization over the last axis or a MatMul with a constant 2-D weight (a linear layer over the last axis)
/// producing or reading it → channels last; a Transpose producing it with perm [0, 2, 3, 1] or reading it with perm
/// [0, 3, 1, 2] → channels last, and the reverse perms → channels first; a Conv, ConvTranspose, BatchNormalization,
/// InstanceNormalization, LRN or pooling node producing or reading it → channels first (ONNX defines them so).
/// Without graph evidence the shape decides: the reading whose grid is consistent with the image input (some stride s
/// gives h = ⌊H/s⌋ or ⌈H/s⌉ and w = ⌊W/s⌋ or ⌈W/s⌉) wins when only one reading is; else channels first (the ONNX
/// convention). <see cref="TargetLayer.LayoutReason"/> says which rule decided; a <see cref="LayerLayout"/> passed to
/// <see cref="Resolve(OnnxModel, string, TokenGrid, LayerLayout?)"/> (or <c>CamOptions.Layout</c>, the CLI's
/// <c>--layout</c>) overrides it.
/// </para>
/// <para>
/// <b>Tokens</b> (rank 3, [N, T, C]). The patch grid is the largest grid (H/p)×(W/p), for a patch size p dividing the
/// image's H and W, that leaves T − grid &lt; grid prefix tokens (197 = 1 + 14×14 for ViT-B/16 at 224, 51 = 2 + 7×7 for
/// a distilled DeiT at patch 32, 201 = 5 + 14×14 with four register tokens); without an image size, prefix = T − the
/// largest square ≤ T. A tensor made by flattening a map [N, C, h, w] into [N, C, h·w] (PyTorch's <c>x.flatten(2)</c>
/// before the transpose to tokens) is a channels-first sequence and is not read as tokens. <see cref="TokenGrid"/>
/// overrides the grid.
/// </para>
/// <para>
/// <b>The automatic choice</b> walks back from the explained output, breadth first, and takes the first spatial
/// feature map met — a channels-first or channels-last map, or tokens without prefix tokens, whose grid is consistent
/// with the image (see above) — i.e. the last full h×w grid before the global pooling / flatten that feeds the head:
/// the last convolutional block of a CNN (pytorch-grad-cam's advice), the final normalised feature map of a Swin
/// transformer or ConvNeXt. Per-window tensors are never taken (their first dimension is k·N). When the walk meets
/// tokens with prefix tokens first (a ViT/DeiT class-token head), patch tokens reach the head only through attention,
/// so patch tokens after the last attention get no gradient: the walk then continues behind the last attention (a
/// MatMul of two activations) and takes the first LayerNormalization output met there (pytorch-grad-cam's
/// <c>blocks[-1].norm1</c>), else the first token tensor behind it, else the first map.
/// </para>
/// </remarks>
public static class TargetLayers
{
    private static readonly HashSet<string> ChannelsFirstOps = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "BatchNormalization", "InstanceNormalization", "LRN", "MaxPool", "AveragePool", "LpPool",
        "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "MaxRoiPool", "MaxUnpool",
    };

    /// <summary>Every candidate target layer of <paramref name="model"/>, in graph order, each with its inferred layout.</summary>
    /// <exception cref="InvalidOnnxModelException">ONNX Runtime cannot run the model to measure its shapes.</exception>
    public static IReadOnlyList<TargetLayer> List(OnnxModel model) => List(model, null);

    /// <summary>Every candidate target layer of <paramref name="model"/>, in graph order.</summary>
    /// <param name="model">The model.</param>
    /// <param name="layout">Read every rank-compatible candidate with this layout instead of the inferred one (rank 4 for the maps, rank 3 for tokens); null: infer.</param>
    /// <exception cref="InvalidOnnxModelException">ONNX Runtime cannot run the model to measure its shapes.</exception>
    public static IReadOnlyList<TargetLayer> List(OnnxModel model, LayerLayout? layout)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prepared = GradientModel.Prepare(model);
        return List(prepared, ShapeProbe.Run(prepared), layout);
    }

    /// <summary>The layer the automatic choice picks for output <paramref name="output"/> (null: the classifier output), with its inferred layout.</summary>
    /// <exception cref="TargetLayerException">No tensor with a spatial grid lies before the output.</exception>
    public static TargetLayer Automatic(OnnxModel model, string? output = null) => Automatic(model, output, null);

    /// <summary>The layer the automatic choice picks for output <paramref name="output"/> (null: the classifier output).</summary>
    /// <param name="model">The model.</param>
    /// <param name="output">The explained output; null: the model's first [N, classes] float output.</param>
    /// <param name="layout">Read the chosen tensor with this layout instead of the inferred one; null: infer.</param>
    /// <exception cref="TargetLayerException">No tensor with a spatial grid lies before the output, or the chosen tensor does not fit <paramref name="layout"/>.</exception>
    public static TargetLayer Automatic(OnnxModel model, string? output, LayerLayout? layout)
    {
        ArgumentNullException.ThrowIfNull(model);
        var explained = ExplainedModel.Create(model, output);
        var automatic = Automatic(explained);
        return layout is null ? automatic : Resolve(explained.Shapes, automatic.Name, null, layout);
    }

    /// <summary>Reads tensor <paramref name="name"/> as a target layer, with its inferred layout (tokens when <paramref name="grid"/> is given).</summary>
    /// <exception cref="UnknownTensorException">The model has no tensor of that name.</exception>
    /// <exception cref="TargetLayerException">The tensor has no spatial grid, or <paramref name="grid"/> does not fit it.</exception>
    public static TargetLayer Resolve(OnnxModel model, string name, TokenGrid? grid = null) => Resolve(model, name, grid, null);

    /// <summary>Reads tensor <paramref name="name"/> as a target layer.</summary>
    /// <param name="model">The model.</param>
    /// <param name="name">The tensor's name.</param>
    /// <param name="grid">For tokens: the prefix and patch grid, overriding the automatic reading (implies <see cref="LayerLayout.Tokens"/>).</param>
    /// <param name="layout">The layout, overriding the inferred one (see the remarks of <see cref="TargetLayers"/>); null: infer.</param>
    /// <exception cref="UnknownTensorException">The model has no tensor of that name.</exception>
    /// <exception cref="TargetLayerException">The tensor has no spatial grid, or <paramref name="grid"/> or <paramref name="layout"/> does not fit it.</exception>
    public static TargetLayer Resolve(OnnxModel model, string name, TokenGrid? grid, LayerLayout? layout)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var prepared = GradientModel.Prepare(model);
        return Resolve(ShapeProbe.Run(prepared), name, grid, layout);
    }

    internal static IReadOnlyList<TargetLayer> List(OnnxModel prepared, ModelShapes shapes, LayerLayout? layout = null)
    {
        var reader = new Reader(prepared, shapes);
        var result = new List<TargetLayer>();
        foreach (var node in prepared.Graph.Node)
        {
            foreach (var output in node.Output.Where(o => o.Length > 0 && shapes.Contains(o)))
            {
                var info = shapes[output];
                var forced = layout is { } l && RankFits(l, info.Rank) ? layout : null;
                if (reader.TryRead(info, null, forced, out var layer, out _) && reader.Fits(layer!) && (forced is not null || !reader.Unsupported(layer!)))
                {
                    result.Add(layer!);
                }
            }
        }

        return result;
    }

    internal static TargetLayer Resolve(ModelShapes shapes, string name, TokenGrid? grid, LayerLayout? layout = null)
    {
        var info = shapes[name];
        var reader = new Reader(shapes.Model, shapes);
        return reader.TryRead(info, grid, layout, out var layer, out var reason) ? layer! : throw new TargetLayerException(name, info.ShapeText, reason);
    }

    /// <summary>The target layer names given as one (<c>TargetLayer</c>) or several (<c>TargetLayers</c>); empty when neither is given.</summary>
    /// <exception cref="ArgumentException">Both are given.</exception>
    internal static IReadOnlyList<string> Names(string? one, IReadOnlyList<string>? several)
    {
        if (one is not null && several is { Count: > 0 })
        {
            throw new ArgumentException($"Give the target layer either as TargetLayer ('{one}') or as TargetLayers ({string.Join(", ", several)}), not both.");
        }

        return several is { Count: > 0 } ? several : one is null ? [] : [one];
    }

    /// <summary>
    /// The target layers of a CAM: <paramref name="names"/> in order, or the automatic choice when none is given;
    /// <paramref name="grid"/> and <paramref name="layout"/> apply to each. A name given twice is refused.
    /// </summary>
    internal static IReadOnlyList<TargetLayer> Resolve(ExplainedModel explained, IReadOnlyList<string> names, TokenGrid? grid, LayerLayout? layout)
    {
        if (names.Count == 0)
        {
            var automatic = Automatic(explained);
            return [grid is null && layout is null ? automatic : Resolve(explained.Shapes, automatic.Name, grid, layout)];
        }

        if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"Target layer '{twice.Key}' is listed {twice.Count()} times; list each layer once.", nameof(names));
        }

        return [.. names.Select(name => Resolve(explained.Shapes, name, grid, layout))];
    }

    internal static TargetLayer Automatic(ExplainedModel explained)
    {
        var prepared = explained.Prepared;
        var shapes = explained.Shapes;
        var index = prepared.Index();
        var graph = prepared.Graph;
        var reader = new Reader(prepared, shapes);
        bool IsActivation(string t) => t.Length > 0 && shapes.Contains(t) && shapes[t].IsFloatingPoint && shapes[t].Shape.Any(d => d < 0) && index.KindOf(t) == TensorKind.NodeOutput && index.OpType(index.ProducerOf(t)!.Value.NodeIndex) != "Constant";
        bool IsAttention(int node) => graph.Node[node].OpType == "MatMul" && graph.Node[node].Input.All(IsActivation);

        // Breadth-first walk back from the output; "mixed" marks tensors reached through an attention MatMul.
        var seen = new HashSet<string>(StringComparer.Ordinal) { explained.Output };
        var queue = new Queue<(string Tensor, bool Mixed)>();
        queue.Enqueue((explained.Output, false));
        TargetLayer? firstMap = null, firstToken = null, firstNormToken = null;
        bool classTokens = false;
        while (queue.Count > 0)
        {
            var (tensor, mixed) = queue.Dequeue();
            if (reader.TryRead(shapes[tensor], null, null, out var layer, out _) && reader.Fits(layer!))
            {
                if (layer!.Layout != LayerLayout.Tokens || layer.PrefixTokens == 0)
                {
                    // A full spatial grid: every cell reaches a pooling head, so its gradient is meaningful — unless
                    // the head reads prefix tokens met earlier on the walk (then only the residual stream links the grid
                    // to the head, and the token rule below applies).
                    if (!classTokens && reader.Plausible(layer.Height, layer.Width))
                    {
                        return layer;
                    }

                    firstMap ??= layer;
                }
                else if (!mixed)
                {
                    classTokens = true;
                }
                else
                {
                    firstToken ??= layer;
                    if (index.ProducerOf(tensor) is { } p && index.OpType(p.NodeIndex) == "LayerNormalization")
                    {
                        firstNormToken = layer;
                        break;
                    }
                }
            }

            if (index.ProducerOf(tensor) is not { } producer)
            {
                continue;
            }

            bool nextMixed = mixed || IsAttention(producer.NodeIndex);
            foreach (var input in graph.Node[producer.NodeIndex].Input.Where(IsActivation))
            {
                if (seen.Add(input))
                {
                    queue.Enqueue((input, nextMixed));
                }
            }
        }

        return firstNormToken ?? firstToken ?? firstMap
            ?? throw new TargetLayerException(explained.Output, shapes[explained.Output].ShapeText, "no tensor with a spatial grid (a feature map [N, C, h, w] or [N, h, w, C] with h·w > 1, or patch tokens [N, T, C]) lies before this output; name a target layer explicitly.");
    }

    private static bool RankFits(LayerLayout layout, int rank) => layout == LayerLayout.Tokens ? rank == 3 : rank == 4;

    /// <summary>Reads tensors as target layers with the graph's evidence for their layout.</summary>
    private sealed class Reader
    {
        private const int EvidenceRadius = 8;
        private readonly OnnxModel? _model;
        private readonly GraphIndex? _index;
        private readonly ModelShapes _shapes;
        private readonly long _height;
        private readonly long _width;
        private readonly HashSet<string> _shapeOnly = new(StringComparer.Ordinal);

        public Reader(OnnxModel? model, ModelShapes shapes)
        {
            _model = model;
            _index = model?.Index();
            _shapes = shapes;
            var inputs = model?.InputNames ?? [];
            (_height, _width) = inputs.Count == 1 && shapes.Contains(inputs[0]) && shapes[inputs[0]].Shape is [_, _, var h, var w] ? (h, w) : (-1, -1);
        }

        /// <summary>
        /// Whether a map read without graph evidence has a grid that no stride maps the image onto in either reading
        /// (such as the partial slices of Swin's cyclic shift): it is not listed as a candidate.
        /// </summary>
        public bool Unsupported(TargetLayer layer) =>
            layer.Layout != LayerLayout.Tokens && _shapeOnly.Contains(layer.Name) && !Plausible(layer.Height, layer.Width);

        /// <summary>Whether the grid fits inside the image (always true for tokens and when the image size is unknown).</summary>
        public bool Fits(TargetLayer layer) =>
            layer.Layout == LayerLayout.Tokens || _height <= 0 || (layer.Height <= _height && layer.Width <= _width);

        /// <summary>Whether some stride s maps the image onto an h×w grid (h = ⌊H/s⌋ or ⌈H/s⌉, the same s for w); true when the image size is unknown.</summary>
        public bool Plausible(long h, long w)
        {
            if (_height <= 0 || _width <= 0)
            {
                return true;
            }

            for (long s = 1; s <= Math.Max(_height, _width); s++)
            {
                if ((h == _height / s || h == (_height + s - 1) / s) && (w == _width / s || w == (_width + s - 1) / s))
                {
                    return true;
                }
            }

            return false;
        }

        public bool TryRead(TensorInfo info, TokenGrid? grid, LayerLayout? layout, out TargetLayer? layer, out string reason)
        {
            layer = null;
            var s = info.Shape;
            if (!info.IsFloatingPoint)
            {
                reason = $"its element type is {info.ElementType}, not floating-point.";
                return false;
            }

            if (s.Count == 0 || s[0] >= 0 || s.Skip(1).Any(d => d < 0))
            {
                reason = "only its first dimension may change with the batch size, and it must (a target layer holds one grid per input row).";
                return false;
            }

            if (info.BatchMultiple > 1)
            {
                reason = $"its first dimension is {info.BatchMultiple}·N: it holds {info.BatchMultiple} slices per input row (attention windows or heads), not one grid per row; choose a tensor after the windows are merged back into the feature map.";
                return false;
            }

            if (grid is not null)
            {
                layout ??= LayerLayout.Tokens;
                if (layout != LayerLayout.Tokens)
                {
                    reason = $"a token grid was given but the layout is {LayoutNames.Of(layout.Value)}.";
                    return false;
                }
            }

            if (layout is { } given && !RankFits(given, s.Count))
            {
                reason = $"layout {LayoutNames.Of(given)} needs a rank-{(given == LayerLayout.Tokens ? 3 : 4)} tensor.";
                return false;
            }

            if (s.Count == 4)
            {
                var (chosen, why) = layout is { } l ? (l, "given") : InferMapLayout(info);
                bool last = chosen == LayerLayout.ChannelsLast;
                int c = (int)(last ? s[3] : s[1]), h = (int)(last ? s[1] : s[2]), w = (int)(last ? s[2] : s[3]);
                if (h * w <= 1)
                {
                    reason = $"read as {LayoutNames.Of(chosen)} ({why}) its spatial grid is {h}×{w}: a CAM needs h·w > 1 (choose a layer before the global pooling).";
                    return false;
                }

                layer = new TargetLayer(info.Name, s, chosen, c, h, w, 0, info.Producer) { LayoutReason = why };
                reason = "";
                return true;
            }

            if (s.Count == 3)
            {
                int tokens = (int)s[1], channels = (int)s[2];
                if (grid is not null)
                {
                    if (grid.PrefixTokens < 0 || grid.Height < 1 || grid.Width < 1 || grid.PrefixTokens + (grid.Height * grid.Width) != tokens)
                    {
                        reason = $"the token grid {grid.PrefixTokens} + {grid.Height}×{grid.Width} does not account for its {tokens} tokens.";
                        return false;
                    }

                    layer = new TargetLayer(info.Name, s, LayerLayout.Tokens, channels, grid.Height, grid.Width, grid.PrefixTokens, info.Producer) { LayoutReason = "token grid given" };
                    reason = "";
                    return true;
                }

                if (layout is null && SequenceSource(info) is { } source)
                {
                    reason = $"it is a channels-first sequence [N, C, L], not tokens: {source}; use the map or the tokens after the transpose, or give the layout tokens.";
                    return false;
                }

                var (prefix, gh, gw, rule) = TokenGridOf(tokens);
                if (gh < 2 && gw < 2)
                {
                    reason = $"its {tokens} tokens hold no patch grid larger than 1×1.";
                    return false;
                }

                layer = new TargetLayer(info.Name, s, LayerLayout.Tokens, channels, gh, gw, prefix, info.Producer) { LayoutReason = layout is null ? rule : "given; " + rule };
                reason = "";
                return true;
            }

            reason = "it is neither a feature map [N, C, h, w] / [N, h, w, C] nor tokens [N, T, C].";
            return false;
        }

        /// <summary>The token grid of T tokens: the largest image-consistent patch grid leaving fewer prefix tokens than cells, else the largest square.</summary>
        private (int Prefix, int Height, int Width, string Rule) TokenGridOf(int tokens)
        {
            if (_height > 0 && _width > 0)
            {
                for (long p = 1; p <= Math.Min(_height, _width); p++)
                {
                    if (_height % p != 0 || _width % p != 0)
                    {
                        continue;
                    }

                    long h = _height / p, w = _width / p, cells = h * w;
                    if (cells <= tokens && tokens - cells < cells && h * w > 1)
                    {
                        return ((int)(tokens - cells), (int)h, (int)w, $"{h}×{w} patches of {p}×{p} pixels");
                    }
                }
            }

            int side = (int)Math.Sqrt(tokens);
            while ((side + 1) * (side + 1) <= tokens)
            {
                side++;
            }

            while (side * side > tokens)
            {
                side--;
            }

            return (tokens - (side * side), side, side, "largest square grid");
        }

        /// <summary>The layout of a rank-4 map and why: graph evidence first, then the shape rule.</summary>
        private (LayerLayout Layout, string Reason) InferMapLayout(TensorInfo info)
        {
            if (FromGraph(info) is { } evidence)
            {
                return evidence;
            }

            _shapeOnly.Add(info.Name);
            var s = info.Shape;
            bool first = Plausible(s[2], s[3]), last = Plausible(s[1], s[2]);
            if (_height > 0 && first != last)
            {
                return first
                    ? (LayerLayout.ChannelsFirst, $"no graph evidence; only a {s[2]}×{s[3]} grid fits the {_height}×{_width} input")
                    : (LayerLayout.ChannelsLast, $"no graph evidence; only a {s[1]}×{s[2]} grid fits the {_height}×{_width} input");
            }

            return (LayerLayout.ChannelsFirst, "no graph evidence and the shape is ambiguous; channels first by ONNX convention");
        }

        /// <summary>The nearest decisive node around the tensor and its same-shape neighbours (never across a Transpose).</summary>
        private (LayerLayout Layout, string Reason)? FromGraph(TensorInfo info)
        {
            if (_model is null || _index is null)
            {
                return null;
            }

            var graph = _model.Graph;
            var seen = new HashSet<string>(StringComparer.Ordinal) { info.Name };
            var frontier = new List<string> { info.Name };
            for (int distance = 0; distance <= EvidenceRadius && frontier.Count > 0; distance++)
            {
                var next = new List<string>();
                foreach (var tensor in frontier)
                {
                    var via = tensor == info.Name ? "" : $" (via same-shape '{tensor}')";
                    if (_index.ProducerOf(tensor) is { } producer)
                    {
                        var node = graph.Node[producer.NodeIndex];
                        if (Decide(node, producer.NodeIndex, 0, produced: true) is { } found)
                        {
                            return (found.Layout, found.Reason + via);
                        }

                        if (node.OpType != "Transpose")
                        {
                            next.AddRange(node.Input.Where(i => SameShape(i, info) && seen.Add(i)));
                        }
                    }

                    foreach (var consumer in _index.ConsumersOf(tensor))
                    {
                        if (consumer.NodeIndex < 0)
                        {
                            continue;
                        }

                        var node = graph.Node[consumer.NodeIndex];
                        if (Decide(node, consumer.NodeIndex, consumer.InputIndex, produced: false) is { } found)
                        {
                            return (found.Layout, found.Reason + via);
                        }

                        if (node.OpType != "Transpose")
                        {
                            next.AddRange(node.Output.Concat(node.Input).Where(t => SameShape(t, info) && seen.Add(t)));
                        }
                    }
                }

                frontier = next;
            }

            return null;
        }

        private bool SameShape(string tensor, TensorInfo info) =>
            tensor.Length > 0 && _shapes.Contains(tensor) && _shapes[tensor] is { IsFloatingPoint: true } other && other.BatchMultiple == info.BatchMultiple && other.Shape.SequenceEqual(info.Shape);

        private (LayerLayout Layout, string Reason)? Decide(Onnx.Protobuf.NodeProto node, int nodeIndex, int inputIndex, bool produced)
        {
            var name = $"{node.OpType} '{_index!.NodeName(nodeIndex)}'";
            switch (node.OpType)
            {
                case "LayerNormalization" when (produced || inputIndex == 0) && node.GetInt("axis", -1) is -1 or 3:
                    return (LayerLayout.ChannelsLast, $"{name} normalises the last axis");
                case "MatMul" when (produced || inputIndex == 0) && node.Input.Count == 2 && _index.KindOf(node.Input[1]) == TensorKind.Initializer && _shapes.Contains(node.Input[1]) && _shapes[node.Input[1]].Rank == 2:
                    return (LayerLayout.ChannelsLast, $"{name} applies a linear layer over the last axis");
                case "Transpose":
                    var perm = node.GetInts("perm");
                    if (perm is [0, 2, 3, 1])
                    {
                        return produced ? (LayerLayout.ChannelsLast, $"{name} (perm [0, 2, 3, 1]) makes it channels last") : (LayerLayout.ChannelsFirst, $"{name} (perm [0, 2, 3, 1]) reads it as channels first");
                    }

                    if (perm is [0, 3, 1, 2])
                    {
                        return produced ? (LayerLayout.ChannelsFirst, $"{name} (perm [0, 3, 1, 2]) makes it channels first") : (LayerLayout.ChannelsLast, $"{name} (perm [0, 3, 1, 2]) reads it as channels last");
                    }

                    return null;
                default:
                    return ChannelsFirstOps.Contains(node.OpType) && (produced || inputIndex == 0)
                        ? (LayerLayout.ChannelsFirst, $"{name} works on channels-first tensors")
                        : null;
            }
        }

        /// <summary>
        /// The node that made a rank-3 tensor [N, C, L] by flattening a map [N, C, h, w] with h·w = L (PyTorch's
        /// <c>x.flatten(2)</c> before the transpose to tokens), or null.
        /// </summary>
        private string? SequenceSource(TensorInfo info)
        {
            if (_model is null || _index is null || _index.ProducerOf(info.Name) is not { } producer)
            {
                return null;
            }

            var node = _model.Graph.Node[producer.NodeIndex];
            return node.OpType is "Reshape" or "Flatten" && node.Input.Count > 0 && _shapes.Contains(node.Input[0])
                && _shapes[node.Input[0]].Shape is [_, var c, var h, var w] && c == info.Shape[1] && h * w == info.Shape[2]
                ? $"{node.OpType} '{_index.NodeName(producer.NodeIndex)}' flattens a [N, {c}, {h}, {w}] map into it"
                : null;
        }
    }
}
