using System.Collections.Immutable;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>How LRP treats an operator by default; each kind names the rule every composite gives it.</summary>
public enum LrpOperatorKind
{
    /// <summary>A linear layer with constant weights (Conv, ConvTranspose, Gemm, MatMul): the composite's convolution, dense or first-layer rule.</summary>
    Linear,

    /// <summary>
    /// An element-wise activation (Relu, Clip/ReLU6, Sigmoid, HardSigmoid, HardSwish, Gelu, Tanh, Erf, LeakyRelu, PRelu, …):
    /// <see cref="LrpRules.Pass"/>, as Zennit's composites map every <c>Activation</c> module to <c>Pass</c>.
    /// </summary>
    Activation,

    /// <summary>
    /// A normalisation left in the graph (a BatchNormalization no canonizer could fold, LayerNormalization,
    /// InstanceNormalization): <see cref="LrpRules.Pass"/>. The normaliser is treated as a constant per-sample affine map
    /// (Ali et al. 2022, "XAI for Transformers", treat LayerNorm's scale so), whose ε-rule relevance is R_in = R_out up to the stabiliser.
    /// </summary>
    Normalisation,

    /// <summary>A sum of tensors (Add, Sum, Sub; residual connections): <see cref="LrpRules.Norm"/> (Zennit's rule for its <c>Sum</c> module).</summary>
    Sum,

    /// <summary>
    /// A mean or sum over a window or axes (AveragePool, GlobalAveragePool, ReduceMean, ReduceSum): <see cref="LrpRules.Norm"/>,
    /// Zennit's rule for average pooling; ReduceMean over [2, 3] is how <c>x.mean([2, 3])</c> exports.
    /// </summary>
    MeanPooling,

    /// <summary>
    /// A product of two tensors (Mul): <see cref="LrpRules.Gate"/> (the gate of a gated activation or squeeze-excitation
    /// block is a constant; a Mul by a constant passes relevance).
    /// </summary>
    Product,

    /// <summary>A scaling by a constant (Div, Neg): <see cref="LrpRules.Pass"/> (for y = a·x the ε-rule gives R_in = R_out).</summary>
    Scaling,

    /// <summary>
    /// An operator that moves values without arithmetic, or takes a convex combination of them (Flatten, Reshape,
    /// Transpose, Concat, Split, Slice, Gather, Pad, Squeeze, Unsqueeze, Identity, Dropout, Expand, Tile, Cast, Resize, Where):
    /// <see cref="LrpRules.Gradient"/>; relevance moves with its value (Zennit hooks no rule on these, so autograd's gradient moves it).
    /// </summary>
    Movement,

    /// <summary>A winner-take-all selection (MaxPool, GlobalMaxPool, ReduceMax, ReduceMin, Max, Min): <see cref="LrpRules.Gradient"/>, relevance to the winner.</summary>
    WinnerTakeAll,

    /// <summary>
    /// No default (Softmax, LogSoftmax, Exp, Log, Pow, Sqrt, Reciprocal, Abs, norms and log-sums over axes): relevance through these
    /// is not defined by the composites; a node of this kind on the relevance path is refused with an
    /// <see cref="LrpRuleException"/> naming node, operator and composite, unless it is given a rule.
    /// </summary>
    NoDefault,
}

/// <summary>
/// The one table saying, for every operator the differentiation engine can differentiate, how LRP treats it by
/// default (<see cref="LrpOperatorKind"/>), and so which built-in rule applies to it. Rules derive their
/// applicability from this table; composites take their defaults from it.
/// </summary>
public static class LrpOperatorTable
{
    private static readonly ImmutableDictionary<string, LrpOperatorKind> Kinds = Build();

    /// <summary>Every operator with an entry, and its kind.</summary>
    public static IReadOnlyDictionary<string, LrpOperatorKind> Entries => Kinds;

    /// <summary>The kind of <paramref name="opType"/>, or null when the table has no entry (then it has no LRP default).</summary>
    public static LrpOperatorKind? KindOf(string opType) => Kinds.TryGetValue(opType, out var kind) ? kind : null;

    /// <summary>The default rule of a non-linear operator kind, or null for <see cref="LrpOperatorKind.Linear"/> (the composite decides) and <see cref="LrpOperatorKind.NoDefault"/>.</summary>
    public static LrpRule? DefaultRule(LrpOperatorKind kind) => kind switch
    {
        LrpOperatorKind.Activation or LrpOperatorKind.Normalisation or LrpOperatorKind.Scaling => LrpRules.Pass,
        LrpOperatorKind.Sum or LrpOperatorKind.MeanPooling => LrpRules.Norm,
        LrpOperatorKind.Product => LrpRules.Gate,
        LrpOperatorKind.Movement or LrpOperatorKind.WinnerTakeAll => LrpRules.Gradient,
        _ => null,
    };

    internal static bool Is(string opType, params LrpOperatorKind[] kinds) => KindOf(opType) is { } kind && kinds.Contains(kind);

    private static ImmutableDictionary<string, LrpOperatorKind> Build()
    {
        var table = ImmutableDictionary.CreateBuilder<string, LrpOperatorKind>(StringComparer.Ordinal);
        void Add(LrpOperatorKind kind, params string[] ops)
        {
            foreach (var op in ops)
            {
                table.Add(op, kind);
            }
        }

        Add(LrpOperatorKind.Linear, "Conv", "ConvTranspose", "Gemm", "MatMul");
        Add(LrpOperatorKind.Activation, "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "ThresholdedRelu", "Sigmoid", "HardSigmoid",
            "Tanh", "HardSwish", "Gelu", "Softplus", "Softsign", "Mish", "Clip", "Erf");
        Add(LrpOperatorKind.Normalisation, "BatchNormalization", "InstanceNormalization", "LayerNormalization");
        Add(LrpOperatorKind.Sum, "Add", "Sum", "Sub");
        Add(LrpOperatorKind.MeanPooling, "AveragePool", "GlobalAveragePool", "ReduceMean", "ReduceSum", "Mean");
        Add(LrpOperatorKind.Product, "Mul");
        Add(LrpOperatorKind.Scaling, "Div", "Neg");
        Add(LrpOperatorKind.Movement, "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice", "Gather", "Pad", "Squeeze", "Unsqueeze",
            "Identity", "Dropout", "Expand", "Tile", "Cast", "CastLike", "Resize", "Where");
        Add(LrpOperatorKind.WinnerTakeAll, "MaxPool", "GlobalMaxPool", "ReduceMax", "ReduceMin", "Max", "Min");
        Add(LrpOperatorKind.NoDefault, "Softmax", "LogSoftmax", "Exp", "Log", "Pow", "Sqrt", "Reciprocal", "Abs", "ReduceL1", "ReduceL2",
            "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");
        return table.ToImmutable();
    }
}
