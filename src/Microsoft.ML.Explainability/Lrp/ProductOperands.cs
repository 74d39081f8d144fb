using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// The ε-rule of a MatMul z = A·B whose operands are both computed at run time, with some operands held constant:
/// with s = R_z / stab_ε(z) / k, k the number of operands that receive relevance, R_A = A ⊙ (s·Bᵀ) and
/// R_B = B ⊙ (Aᵀ·s), each summed back over the batch axes the operand was broadcast along. Σ R_A + Σ R_B =
/// Σ z ⊙ R_z / stab_ε(z): conservative up to the stabiliser. Shared by the uniform and the attention-head rules.
/// </summary>
internal static class ProductOperands
{
    /// <summary>Emits the relevance of the operands <paramref name="receiving"/> says receive some.</summary>
    public static void Propagate(GradientContext c, string rule, double epsilon, Func<int, bool> receiving)
    {
        if (c.OpType != "MatMul")
        {
            throw new LrpRuleException(rule, c.OpType, c.NodeName, $"LRP rule {rule} cannot be applied to {c.Describe()}: it applies to MatMul.");
        }

        if (c.InputInfo(0).Rank < 2 || c.InputInfo(1).Rank < 2)
        {
            throw new LrpRuleException(rule, c.OpType, c.NodeName,
                $"LRP rule {rule} cannot be applied to {c.Describe()}: operands of rank 1 ({c.InputInfo(0).ShapeText} · {c.InputInfo(1).ShapeText}) are not supported.");
        }

        var operands = Enumerable.Range(0, 2).Where(receiving).ToArray();
        if (operands.Length == 0)
        {
            return;
        }

        var g = c.Graph;
        var s = g.Div(c.OutputGradient(0)!, Stabilizer.Apply(c, c.Output(0), epsilon));
        if (operands.Length == 2)
        {
            s = g.Mul(s, c.Scalar(0.5));
        }

        foreach (var operand in operands)
        {
            c.SetInputGradient(operand, g.Mul(c.Input(operand), Transposed(c, operand, s)));
        }
    }

    /// <summary>s·Bᵀ (operand 0) or Aᵀ·s (operand 1), summed to the operand's shape.</summary>
    private static string Transposed(GradientContext c, int operand, string s)
    {
        var g = c.Graph;
        int otherRank = c.InputInfo(1 - operand).Rank;
        long[] swap = [.. Enumerable.Range(0, otherRank - 2).Select(i => (long)i), otherRank - 1, otherRank - 2];
        var other = g.Transpose(c.Input(1 - operand), swap);
        var full = operand == 0 ? g.Node("MatMul", [s, other]) : g.Node("MatMul", [other, s]);
        var outShape = c.OutputInfo(0).Shape;
        var operandShape = c.InputInfo(operand).Shape;
        IReadOnlyList<long> fullShape = [.. outShape.Take(outShape.Count - 2), .. operandShape.TakeLast(2)];
        return g.ReduceToShape(full, fullShape, c.Input(operand), operandShape);
    }
}
