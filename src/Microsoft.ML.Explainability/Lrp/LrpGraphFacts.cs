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
    public static readonly IReadOnlySet<string> LinearOperators =
        LrpOperatorTable.Entries.Where(e => e.Value == LrpOperatorKind.Linear).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);

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
    private readonly Dictionary<string, NodeProto> _producer = new(StringComparer.Ordinal);
    private readonly HashSet<string> _constants = new(StringComparer.Ordinal);
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
        facts._constants.UnionWith(initializers.Keys);
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            foreach (var output in node.Output.Where(o => o.Length > 0))
            {
                facts._producerOp[output] = node.OpType;
                facts._producer[output] = node;
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

    /// <summary>
    /// Whether <paramref name="tensor"/> is computed from <paramref name="source"/> alone through element-wise
    /// operators (activations, scalings, sums or products with constants, Identity, Cast): the gate g(x) of a gated
    /// activation x·g(x) such as SiLU x·σ(x), GELU x·Φ(x) (exported as Div, Erf, Add) or HardSwish x·ReLU6(x + 3)/6.
    /// </summary>
    public bool IsElementwiseFunctionOf(string tensor, string source)
    {
        var current = tensor;
        for (int depth = 0; depth < 8; depth++)
        {
            if (!_producer.TryGetValue(current, out var node) || node.Output[0] != current)
            {
                return false;
            }

            bool elementwise = LrpOperatorTable.Is(node.OpType, LrpOperatorKind.Activation, LrpOperatorKind.Scaling, LrpOperatorKind.Sum, LrpOperatorKind.Product)
                || node.OpType is "Identity" or "Cast";
            var data = node.Input.Where(i => i.Length > 0 && !_constants.Contains(i)).Distinct(StringComparer.Ordinal).ToArray();
            if (!elementwise || data.Length != 1)
            {
                return false;
            }

            if (node.OpType is "Clip" or "PRelu" && data[0] != node.Input[0])
            {
                return false;
            }

            if (data[0] == source)
            {
                return true;
            }

            current = data[0];
        }

        return false;
    }

    /// <summary>Whether tensor <paramref name="name"/> is a constant (an initializer; the prepared graph has its constants folded into initializers).</summary>
    public bool IsConstant(string name) => _constants.Contains(name);

    /// <summary>
    /// Whether <paramref name="tensor"/> holds attention probabilities: a Softmax output, possibly moved by value-movement
    /// operators with one data input (Identity, Dropout, Reshape, Transpose, Cast, Squeeze, Unsqueeze, Slice, Gather, …;
    /// including the Identity copies an instrumented graph inserts).
    /// </summary>
    public bool IsAttention(string tensor)
    {
        var current = tensor;
        for (int depth = 0; depth < 16; depth++)
        {
            if (!_producer.TryGetValue(current, out var node))
            {
                return false;
            }

            if (node.OpType == "Softmax")
            {
                return true;
            }

            if (!LrpOperatorTable.Is(node.OpType, LrpOperatorKind.Movement) || node.OpType is "Concat" or "Where" || node.Input.Count == 0)
            {
                return false;
            }

            current = node.Input[0];
        }

        return false;
    }

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
