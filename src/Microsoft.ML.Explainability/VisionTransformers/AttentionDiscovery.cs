using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// Reads the attention structure of a vision transformer (ViT, DeiT, Swin) from its ONNX graph.
/// </summary>
/// <remarks>
/// <para>
/// Attention probabilities: every Softmax node over the last axis whose output is square in its last two axes and
/// holds one or more slices per image, in graph order, one per block — the <c>attn.softmax(dim=-1)</c> of timm's
/// <c>Attention</c>, which PyTorch's exporters keep as a Softmax node (whatever is added to the scores before it:
/// relative-position bias, the shifted-window mask). The probe's batch sizes tell how the first dimension is built
/// (<see cref="TensorInfo.BatchMultiple"/>): [N, heads, T, T] is global attention; [N·k, heads, T, T] or
/// [N, k, heads, T, T] is window attention over k windows of T tokens (Swin); [N·k, T, T] is PyTorch
/// <c>MultiheadAttention</c> with its k heads folded into the batch (torchvision's ViT), read as [N, k, T, T]. Global
/// blocks must all agree on T.
/// </para>
/// <para>
/// Windowed attention (<see cref="AttentionLayout.IsWindowed"/>) is found and listed, but no attention method applies
/// to it: each block mixes tokens only inside its windows, alternate blocks shift the windows (so the token sets of
/// consecutive blocks differ and the per-window products of rollout do not compose into one token-to-token matrix), the
/// stages merge patches between blocks, and there is no class token whose row rollout or gradient-weighted attention
/// read. <see cref="TransformerExplainer"/> therefore refuses attention rollout, gradient-weighted attention, token
/// Grad-CAM and transformer LRP on such a model, naming the reason; Grad-CAM and the CAM family on the final feature
/// map ([N, h, w, C] or its channels-first permute, <see cref="TargetLayers.Automatic(OnnxModel, string?, LayerLayout?)"/>)
/// explain it instead, as pytorch-grad-cam does for Swin.
/// </para>
/// <para>
/// Tokens: prefix = T − s² with s the largest integer such that s² ≤ T, and the patch grid is s × s (51 = 2 + 7×7 for
/// DeiT with class and distillation tokens; 197 = 1 + 14×14 for ViT-B/16). Models with register tokens or non-square
/// grids need <see cref="AttentionDiscoveryOptions.TokenGrid"/>.
/// </para>
/// <para>
/// Token layer: walking back breadth-first from the last block's attention probabilities (through the QKᵀ product and
/// the q/k projections), the first LayerNormalization output shaped [N, T, C] — the <c>blocks[-1].norm1</c> output
/// that pytorch-grad-cam recommends for ViT/DeiT; when there is none, the first [N, T, C] tensor read by a MatMul
/// with a constant weight (the qkv projection's input).
/// </para>
/// </remarks>
public static class AttentionDiscovery
{
    /// <summary>Reads the attention structure of <paramref name="model"/>.</summary>
    /// <param name="model">The transformer.</param>
    /// <param name="options">Overrides; null finds everything automatically.</param>
    /// <exception cref="AttentionDiscoveryException">No attention is found, or an override does not fit the graph.</exception>
    /// <exception cref="InvalidOnnxModelException">ONNX Runtime cannot run the model to measure its shapes.</exception>
    public static AttentionLayout Discover(OnnxModel model, AttentionDiscoveryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prepared = GradientModel.Prepare(model);
        return Discover(prepared, ShapeProbe.Run(prepared), options ?? new AttentionDiscoveryOptions());
    }

    internal static AttentionLayout Discover(OnnxModel prepared, ModelShapes shapes, AttentionDiscoveryOptions options)
    {
        var blocks = options.AttentionTensors is { } names ? Explicit(shapes, names) : Automatic(prepared, shapes);
        int tokens = blocks[0].Tokens;
        if (blocks.Any(b => b.IsWindowed))
        {
            // Nothing reads a common token grid of windowed attention; the grid listed is one window's.
            int side = (int)Math.Round(Math.Sqrt(tokens));
            var window = options.TokenGrid ?? (side * side == tokens ? new TokenGrid(0, side, side) : new TokenGrid(0, 1, tokens));
            var windowLayer = options.TokenLayer is { } windowLayerName ? TargetLayers.Resolve(shapes, windowLayerName, null) : null;
            return new AttentionLayout(blocks, window.PrefixTokens, window.Height, window.Width, options.ClassToken, windowLayer);
        }

        var mismatch = blocks.FirstOrDefault(b => b.Tokens != tokens);
        if (mismatch is not null)
        {
            throw new AttentionDiscoveryException($"The attention blocks disagree on the token count ({tokens} in block 0, {mismatch.Tokens} in block {mismatch.Index}, '{mismatch.Tensor}'); token pruning or merging is not supported. Name the blocks to use in AttentionDiscoveryOptions.AttentionTensors.");
        }

        var grid = options.TokenGrid ?? AutomaticGrid(tokens);
        if (grid.PrefixTokens < 0 || grid.Height < 1 || grid.Width < 1 || grid.PrefixTokens + (grid.Height * grid.Width) != tokens)
        {
            throw new AttentionDiscoveryException($"The token grid {grid.PrefixTokens} prefix + {grid.Height}×{grid.Width} patches does not account for the {tokens} tokens of the attention.");
        }

        if (grid.PrefixTokens == 0)
        {
            throw new AttentionDiscoveryException($"The {tokens} tokens form a {grid.Height}×{grid.Width} grid with no class token in front; attention maps read the class token's row. Give the prefix in AttentionDiscoveryOptions.TokenGrid.");
        }

        if (options.ClassToken < 0 || options.ClassToken >= grid.PrefixTokens)
        {
            throw new AttentionDiscoveryException($"Class token {options.ClassToken} is not one of the {grid.PrefixTokens} prefix tokens (0 to {grid.PrefixTokens - 1}).");
        }

        TargetLayer? layer;
        if (options.TokenLayer is { } layerName)
        {
            layer = TargetLayers.Resolve(shapes, layerName, grid);
        }
        else
        {
            var found = FindTokenLayer(prepared, shapes, blocks[^1].Tensor, tokens);
            layer = found is null ? null : TargetLayers.Resolve(shapes, found, grid);
        }

        return new AttentionLayout(blocks, grid.PrefixTokens, grid.Height, grid.Width, options.ClassToken, layer);
    }

    /// <summary>
    /// The attention tensors and every tensor that carries them unchanged in value (through Identity, Dropout, Cast,
    /// Reshape, Transpose, Squeeze, Unsqueeze), so that an A·V product reading such an alias is recognised.
    /// </summary>
    internal static HashSet<string> WithAliases(OnnxModel prepared, IEnumerable<string> attention)
    {
        var index = prepared.Index();
        var graph = prepared.Graph;
        var result = new HashSet<string>(attention, StringComparer.Ordinal);
        var queue = new Queue<string>(result);
        while (queue.Count > 0)
        {
            foreach (var consumer in index.ConsumersOf(queue.Dequeue()))
            {
                if (consumer.InputIndex == 0 && consumer.OpType is "Identity" or "Dropout" or "Cast" or "Reshape" or "Transpose" or "Squeeze" or "Unsqueeze")
                {
                    var output = graph.Node[consumer.NodeIndex].Output[0];
                    if (result.Add(output))
                    {
                        queue.Enqueue(output);
                    }
                }
            }
        }

        return result;
    }

    /// <summary>prefix = T − s², grid s × s, with s the largest integer such that s² ≤ T.</summary>
    internal static TokenGrid AutomaticGrid(int tokens)
    {
        int side = (int)Math.Sqrt(tokens);
        while ((side + 1) * (side + 1) <= tokens)
        {
            side++;
        }

        while (side * side > tokens)
        {
            side--;
        }

        if (side < 2)
        {
            throw new AttentionDiscoveryException($"{tokens} tokens hold no patch grid larger than 1×1; give the grid in AttentionDiscoveryOptions.TokenGrid.");
        }

        return new TokenGrid(tokens - (side * side), side, side);
    }

    private static List<AttentionBlock> Explicit(ModelShapes shapes, IReadOnlyList<string> names)
    {
        if (names.Count == 0)
        {
            throw new AttentionDiscoveryException("AttentionDiscoveryOptions.AttentionTensors is empty; name at least one attention tensor or leave it null.");
        }

        var blocks = new List<AttentionBlock>();
        foreach (var name in names)
        {
            var info = shapes[name];
            if (Read(info, blocks.Count) is not { } block)
            {
                throw new AttentionDiscoveryException($"Tensor '{name}' of shape {info.ShapeText} is not an attention-probability tensor: a float tensor [N, heads, T, T], [N, T, T], [N·windows, heads, T, T], [N, windows, heads, T, T] or [N·heads, T, T] is expected.");
            }

            blocks.Add(block);
        }

        return blocks;
    }

    private static List<AttentionBlock> Automatic(OnnxModel prepared, ModelShapes shapes)
    {
        var blocks = new List<AttentionBlock>();
        var softmaxCount = 0;
        foreach (var node in prepared.Graph.Node.Where(n => n.OpType == "Softmax"))
        {
            softmaxCount++;
            var output = node.Output[0];
            if (!shapes.Contains(output))
            {
                continue;
            }

            var info = shapes[output];
            long axis = node.GetInt("axis", -1);
            if ((axis == -1 || axis == info.Rank - 1) && Read(info, blocks.Count) is { } block)
            {
                blocks.Add(block);
            }
        }

        if (blocks.Count == 0)
        {
            throw new AttentionDiscoveryException($"No attention probabilities were found: none of the model's {softmaxCount} Softmax nodes has an output [N, heads, T, T] (or windowed [N·windows, heads, T, T], or [N·heads, T, T]) normalised over its last axis. Name the attention tensors in AttentionDiscoveryOptions.AttentionTensors.");
        }

        return blocks;
    }

    /// <summary>Reads an attention-probability tensor (see the remarks for the shapes), or null.</summary>
    private static AttentionBlock? Read(TensorInfo info, int index)
    {
        var s = info.Shape;
        if (!info.IsFloatingPoint || s.Count is not (3 or 4 or 5) || s[0] >= 0 || s.Skip(1).Any(d => d < 1) || s[^1] != s[^2])
        {
            return null;
        }

        int tokens = (int)s[^1], k = (int)info.BatchMultiple;
        return s.Count switch
        {
            5 when k == 1 => new AttentionBlock(index, info.Name, info.Producer, (int)s[2], tokens) { Windows = (int)s[1] },
            4 => new AttentionBlock(index, info.Name, info.Producer, (int)s[1], tokens) { Windows = k },
            3 => new AttentionBlock(index, info.Name, info.Producer, k, tokens) { HeadsInBatch = k > 1 },
            _ => null,
        };
    }

    /// <summary>
    /// Breadth-first walk back from <paramref name="attention"/>: the first LayerNormalization output [N, T, C], else
    /// the first [N, T, C] tensor read by a MatMul or Gemm with a constant operand; null when neither is met.
    /// </summary>
    private static string? FindTokenLayer(OnnxModel prepared, ModelShapes shapes, string attention, int tokens)
    {
        var index = prepared.Index();
        var graph = prepared.Graph;
        bool IsTokens(string t) => shapes.Contains(t) && shapes[t].IsFloatingPoint && shapes[t].Shape is [< 0, var tt, > 0] && tt == tokens;
        bool IsActivation(string t) => t.Length > 0 && shapes.Contains(t) && shapes[t].IsFloatingPoint && shapes[t].Shape.Any(d => d < 0) && index.KindOf(t) == TensorKind.NodeOutput;

        string? projected = null;
        var seen = new HashSet<string>(StringComparer.Ordinal) { attention };
        var queue = new Queue<string>([attention]);
        while (queue.Count > 0)
        {
            var tensor = queue.Dequeue();
            if (index.ProducerOf(tensor) is not { } producer)
            {
                continue;
            }

            var node = graph.Node[producer.NodeIndex];
            if (node.OpType == "LayerNormalization" && IsTokens(tensor))
            {
                return tensor;
            }

            if (projected is null && node.OpType is "MatMul" or "Gemm" && node.Input.Count >= 2)
            {
                var constant = node.Input.Skip(1).Take(1).Concat(node.Input.Take(1)).FirstOrDefault(i => index.KindOf(i) == TensorKind.Initializer);
                projected = constant is null ? null : node.Input.Take(2).FirstOrDefault(i => i != constant && IsTokens(i));
            }

            foreach (var input in node.Input.Where(IsActivation))
            {
                if (seen.Add(input))
                {
                    queue.Enqueue(input);
                }
            }
        }

        return projected;
    }
}
