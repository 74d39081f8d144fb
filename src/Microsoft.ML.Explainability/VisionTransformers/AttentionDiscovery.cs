using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// Reads the attention structure of a vision transformer (ViT, DeiT) from its ONNX graph.
/// </summary>
/// <remarks>
/// <para>
/// Attention probabilities: every Softmax node over the last axis whose output is [N, heads, T, T] (batch-dependent
/// N, square in the last two axes), in graph order, one per block — the <c>attn.softmax(dim=-1)</c> of timm's
/// <c>Attention</c>, which PyTorch's exporters keep as a Softmax node. All blocks must agree on T.
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
            if (!TryRead(info, out int heads, out int tokens))
            {
                throw new AttentionDiscoveryException($"Tensor '{name}' of shape {info.ShapeText} is not an attention-probability tensor: one [N, heads, T, T] or [N, T, T] float tensor per input row is expected.");
            }

            blocks.Add(new AttentionBlock(blocks.Count, name, info.Producer, heads, tokens));
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
            if (info.Rank == 4 && (axis == -1 || axis == 3) && TryRead(info, out int heads, out int tokens))
            {
                blocks.Add(new AttentionBlock(blocks.Count, output, info.Producer, heads, tokens));
            }
        }

        if (blocks.Count == 0)
        {
            throw new AttentionDiscoveryException($"No attention probabilities were found: none of the model's {softmaxCount} Softmax nodes has an output [N, heads, T, T] normalised over its last axis. Name the attention tensors in AttentionDiscoveryOptions.AttentionTensors.");
        }

        return blocks;
    }

    private static bool TryRead(TensorInfo info, out int heads, out int tokens)
    {
        var s = info.Shape;
        heads = 0;
        tokens = 0;
        if (!info.IsFloatingPoint || s.Count is not (3 or 4) || s[0] >= 0 || s.Skip(1).Any(d => d < 1) || s[^1] != s[^2])
        {
            return false;
        }

        heads = s.Count == 4 ? (int)s[1] : 1;
        tokens = (int)s[^1];
        return true;
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
