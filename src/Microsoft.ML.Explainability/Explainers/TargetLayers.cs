using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// Finds the tensors a CAM can be computed at. A candidate is a floating-point tensor with a batch dimension and a
/// spatial grid: a feature map [N, C, h, w] with h·w &gt; 1 (listed only when h and w do not exceed the image input's
/// height and width, which excludes attention matrices [N, heads, T, T]), or a token tensor [N, T, C] whose last
/// T − prefix tokens form a square grid (prefix = T − the largest square ≤ T, e.g. 2 for DeiT's class and
/// distillation tokens in front of a 7×7 grid; override with <see cref="TokenGrid"/>).
/// </summary>
/// <remarks>
/// The automatic choice follows pytorch-grad-cam's advice (the last convolutional block; for ViT/DeiT the input of
/// the last block's attention, <c>blocks[-1].norm1</c>): walking back from the classifier output, breadth first,
/// it takes the first feature map with h·w &gt; 1, i.e. the last one before the global pooling / flatten that feeds
/// the classifier. In a transformer (a MatMul of two activations — attention — lies on the way back) patch tokens
/// reach the class token only through attention, so token tensors after the last attention get no gradient on the
/// patch tokens; the automatic choice therefore takes the first LayerNormalization output met behind the last
/// attention (else the first token tensor behind it).
/// </remarks>
public static class TargetLayers
{
    /// <summary>Every candidate target layer of <paramref name="model"/>, in graph order.</summary>
    /// <exception cref="InvalidOnnxModelException">ONNX Runtime cannot run the model to measure its shapes.</exception>
    public static IReadOnlyList<TargetLayer> List(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prepared = GradientModel.Prepare(model);
        return List(prepared, ShapeProbe.Run(prepared));
    }

    /// <summary>The layer the automatic choice picks for output <paramref name="output"/> (null: the classifier output).</summary>
    /// <exception cref="TargetLayerException">No tensor with a spatial grid lies before the output.</exception>
    public static TargetLayer Automatic(OnnxModel model, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var explained = ExplainedModel.Create(model, output);
        return Automatic(explained);
    }

    /// <summary>Reads tensor <paramref name="name"/> as a target layer.</summary>
    /// <exception cref="UnknownTensorException">The model has no tensor of that name.</exception>
    /// <exception cref="TargetLayerException">The tensor has no spatial grid, or <paramref name="grid"/> does not fit it.</exception>
    public static TargetLayer Resolve(OnnxModel model, string name, TokenGrid? grid = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var prepared = GradientModel.Prepare(model);
        return Resolve(ShapeProbe.Run(prepared), name, grid);
    }

    internal static IReadOnlyList<TargetLayer> List(OnnxModel prepared, ModelShapes shapes)
    {
        var (height, width) = InputGrid(prepared, shapes);
        var result = new List<TargetLayer>();
        foreach (var node in prepared.Graph.Node)
        {
            foreach (var output in node.Output.Where(o => o.Length > 0 && shapes.Contains(o)))
            {
                if (TryRead(shapes[output], null, out var layer, out _) && Fits(layer!, height, width))
                {
                    result.Add(layer!);
                }
            }
        }

        return result;
    }

    internal static TargetLayer Resolve(ModelShapes shapes, string name, TokenGrid? grid)
    {
        var info = shapes[name];
        return TryRead(info, grid, out var layer, out var reason) ? layer! : throw new TargetLayerException(name, info.ShapeText, reason);
    }

    internal static TargetLayer Automatic(ExplainedModel explained)
    {
        var prepared = explained.Prepared;
        var shapes = explained.Shapes;
        var index = prepared.Index();
        var graph = prepared.Graph;
        var (height, width) = InputGrid(prepared, shapes);
        bool IsActivation(string t) => t.Length > 0 && shapes.Contains(t) && shapes[t].IsFloatingPoint && shapes[t].Shape.Any(d => d < 0) && index.KindOf(t) == TensorKind.NodeOutput && index.OpType(index.ProducerOf(t)!.Value.NodeIndex) != "Constant";
        bool IsAttention(int node) => graph.Node[node].OpType == "MatMul" && graph.Node[node].Input.All(IsActivation);
        bool transformer = Enumerable.Range(0, graph.Node.Count).Any(IsAttention);

        // Breadth-first walk back from the output; "mixed" marks tensors reached through an attention MatMul.
        var seen = new HashSet<string>(StringComparer.Ordinal) { explained.Output };
        var queue = new Queue<(string Tensor, bool Mixed)>();
        queue.Enqueue((explained.Output, false));
        TargetLayer? firstMap = null, firstToken = null, firstNormToken = null;
        while (queue.Count > 0)
        {
            var (tensor, mixed) = queue.Dequeue();
            if (TryRead(shapes[tensor], null, out var layer, out _) && Fits(layer!, height, width))
            {
                if (layer!.Layout == LayerLayout.ChannelsFirst)
                {
                    firstMap ??= layer;
                    if (!transformer)
                    {
                        return layer;
                    }
                }
                else if (mixed)
                {
                    firstToken ??= layer;
                    if (firstNormToken is null && index.ProducerOf(tensor) is { } p && index.OpType(p.NodeIndex) == "LayerNormalization")
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
            ?? throw new TargetLayerException(explained.Output, shapes[explained.Output].ShapeText, "no tensor with a spatial grid (a feature map [N, C, h, w] with h·w > 1, or patch tokens [N, T, C]) lies before this output; name a target layer explicitly.");
    }

    internal static bool TryRead(TensorInfo info, TokenGrid? grid, out TargetLayer? layer, out string reason)
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

        if (s.Count == 4)
        {
            if (grid is not null)
            {
                reason = "a token grid was given but the tensor is a rank-4 feature map [N, C, h, w].";
                return false;
            }

            if (s[2] * s[3] <= 1)
            {
                reason = $"its spatial grid is {s[2]}×{s[3]}: a CAM needs h·w > 1 (choose a layer before the global pooling).";
                return false;
            }

            layer = new TargetLayer(info.Name, s, LayerLayout.ChannelsFirst, (int)s[1], (int)s[2], (int)s[3], 0, info.Producer);
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

                layer = new TargetLayer(info.Name, s, LayerLayout.Tokens, channels, grid.Height, grid.Width, grid.PrefixTokens, info.Producer);
                reason = "";
                return true;
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

            if (side < 2)
            {
                reason = $"its {tokens} tokens hold no patch grid larger than 1×1.";
                return false;
            }

            layer = new TargetLayer(info.Name, s, LayerLayout.Tokens, channels, side, side, tokens - (side * side), info.Producer);
            reason = "";
            return true;
        }

        reason = "it is neither a feature map [N, C, h, w] nor tokens [N, T, C].";
        return false;
    }

    private static bool Fits(TargetLayer layer, long height, long width) =>
        layer.Layout == LayerLayout.Tokens || height <= 0 || (layer.Height <= height && layer.Width <= width);

    private static (long Height, long Width) InputGrid(OnnxModel prepared, ModelShapes shapes)
    {
        var inputs = prepared.InputNames;
        return inputs.Count == 1 && shapes[inputs[0]].Shape is [_, _, var h, var w] ? (h, w) : (-1, -1);
    }
}
