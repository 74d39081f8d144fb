using System.Collections.Immutable;
using Microsoft.ML.Explainability.Lrp.Rules;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// The one table saying, for every operator the differentiation engine can differentiate, how LRP treats it by
/// default (<see cref="LrpOperatorKind"/>), and so which built-in rule applies to it. Rules derive their
/// applicability from this table; composites take their defaults from it.
/// </summary>
internal static class LrpOperatorTable
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
            "Identity", "Dropout", "Expand", "Tile", "DepthToSpace", "SpaceToDepth", "Cast", "CastLike", "Resize", "Where", "GatherElements", "GatherND");
        Add(LrpOperatorKind.WinnerTakeAll, "MaxPool", "GlobalMaxPool", "ReduceMax", "ReduceMin", "Max", "Min");
        Add(LrpOperatorKind.NoDefault, "Softmax", "LogSoftmax", "Exp", "Log", "Pow", "Sqrt", "Reciprocal", "Abs", "ReduceL1", "ReduceL2",
            "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "Sign");

        // A scatter moves values (no reduction) or sums them ("add"): no single default fits both.
        Add(LrpOperatorKind.NoDefault, "ScatterElements", "ScatterND");
        return table.ToImmutable();
    }
}
