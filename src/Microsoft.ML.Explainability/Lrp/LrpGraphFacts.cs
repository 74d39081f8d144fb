using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// What LRP rules need to know about the graph beyond one node: the first linear layers (reached from an input
/// without crossing another linear layer), the tensors known to be non-negative (so the x⁻ terms of z⁺, αβ and γ,
/// which would be zero, are not emitted), and the operator producing each tensor (to recognise gates).
/// </summary>
internal sealed class LrpGraphFacts
{
    /// <summary>Operators LRP treats as linear layers with weights.</summary>
    public static readonly IReadOnlySet<string> LinearOperators = new HashSet<string>(StringComparer.Ordinal) { "Conv", "ConvTranspose", "Gemm", "MatMul" };

    private static readonly HashSet<string> NonNegativeProducers = new(StringComparer.Ordinal)
    {
        "Relu", "Sigmoid", "HardSigmoid", "Softplus", "Softmax", "Exp", "Abs", "Sqrt",
    };

    private static readonly HashSet<string> OrderPreserving = new(StringComparer.Ordinal)
    {
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze",
        "Identity", "Dropout", "Transpose", "Concat", "Slice", "Split", "Gather", "Expand", "Tile", "Add", "Sum", "Mul",
        "Max", "Mean", "ReduceMax", "ReduceMean", "ReduceSum",
    };

    private readonly Dictionary<string, string> _producerOp = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nonNegative = new(StringComparer.Ordinal);
    private readonly HashSet<string> _firstLayers = new(StringComparer.Ordinal);

    private LrpGraphFacts()
    {
    }

    /// <summary>Names of the first linear layers.</summary>
    public IReadOnlySet<string> FirstLayers => _firstLayers;

    /// <summary>Analyses a graph (its nodes must be in topological order).</summary>
    public static LrpGraphFacts Of(OnnxModel model)
    {
        var facts = new LrpGraphFacts();
        var graph = model.Graph;
        var index = model.Index();
        var initializers = graph.Initializer.ToDictionary(t => t.Name, t => t, StringComparer.Ordinal);
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            foreach (var output in node.Output.Where(o => o.Length > 0))
            {
                facts._producerOp[output] = node.OpType;
            }

            if (IsNonNegative(node, facts._nonNegative, initializers))
            {
                facts._nonNegative.Add(node.Output[0]);
                if (node.OpType == "Split")
                {
                    facts._nonNegative.UnionWith(node.Output);
                }
            }
        }

        // First layers: linear nodes reached from a data input without crossing another linear node.
        var reached = new HashSet<string>(model.InputNames, StringComparer.Ordinal);
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            if (!node.Input.Any(reached.Contains))
            {
                continue;
            }

            if (LinearOperators.Contains(node.OpType))
            {
                facts._firstLayers.Add(index.NodeName(n));
                continue;
            }

            reached.UnionWith(node.Output.Where(o => o.Length > 0));
        }

        return facts;
    }

    /// <summary>Whether tensor <paramref name="name"/> is known to hold no negative value.</summary>
    public bool IsNonNegative(string name) => _nonNegative.Contains(name);

    /// <summary>The operator type producing tensor <paramref name="name"/>, or null for inputs and constants.</summary>
    public string? ProducerOp(string name) => _producerOp.GetValueOrDefault(name);

    private static bool IsNonNegative(NodeProto node, HashSet<string> known, Dictionary<string, TensorProto> initializers)
    {
        if (NonNegativeProducers.Contains(node.OpType))
        {
            return true;
        }

        bool NonNegativeTensor(string name) =>
            known.Contains(name) || (initializers.TryGetValue(name, out var t) && TensorProtos.ToDoubles(t).All(v => v >= 0));

        if (node.OpType == "Clip")
        {
            var min = node.Input.Count > 1 && node.Input[1].Length > 0 && initializers.TryGetValue(node.Input[1], out var m) ? TensorProtos.ToDoubles(m) : null;
            return min is { Length: 1 } && min[0] >= 0;
        }

        if (!OrderPreserving.Contains(node.OpType))
        {
            return false;
        }

        // Data inputs only: the axes, shapes and indices of shape ops are integer tensors.
        var data = node.OpType switch
        {
            "Reshape" or "Squeeze" or "Unsqueeze" or "Slice" or "Gather" or "Expand" or "Tile" or "Split" or "ReduceMax" or "ReduceMean" or "ReduceSum" => node.Input.Take(1),
            _ => node.Input.Where(i => i.Length > 0),
        };
        return data.All(NonNegativeTensor);
    }
}
