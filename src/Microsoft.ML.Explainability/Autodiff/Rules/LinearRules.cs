using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of matrix products.</summary>
internal static class LinearRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("Gemm", Gemm),
        new("MatMul", MatMul),
    ];

    /// <summary>
    /// Y = α·A′·B′ + β·C with A′ = transA ? Aᵀ : A and B′ = transB ? Bᵀ : B:
    /// dA′ = α·dY·B′ᵀ, dB′ = α·A′ᵀ·dY, dC = β·dY summed over the axes C was broadcast along.
    /// Each gradient is one Gemm with the transposition flags chosen so no Transpose node is needed.
    /// </summary>
    public static void Gemm(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        float alpha = c.Float("alpha", 1f);
        float beta = c.Float("beta", 1f);
        bool transA = c.Int("transA", 0) != 0;
        bool transB = c.Int("transB", 0) != 0;
        if (c.NeedsInputGradient(0))
        {
            // transA = 0: dA = α·dY·B′ᵀ;  transA = 1: dA = (dA′)ᵀ = α·B′·dYᵀ.
            var dA = transA
                ? GemmNode(g, c.Input(1), dY, transB, true, alpha)
                : GemmNode(g, dY, c.Input(1), false, !transB, alpha);
            c.SetInputGradient(0, dA);
        }

        if (c.NeedsInputGradient(1))
        {
            // transB = 0: dB = α·A′ᵀ·dY;  transB = 1: dB = (dB′)ᵀ = α·dYᵀ·A′.
            var dB = transB
                ? GemmNode(g, dY, c.Input(0), true, transA, alpha)
                : GemmNode(g, c.Input(0), dY, !transA, false, alpha);
            c.SetInputGradient(1, dB);
        }

        if (c.HasInput(2) && c.NeedsInputGradient(2))
        {
            var scaled = beta == 1f ? dY : g.Mul(dY, c.Scalar(beta));
            c.SetInputGradient(2, g.ReduceToShape(scaled, c.OutputInfo(0).Shape, c.Input(2), c.InputInfo(2).Shape));
        }
    }

    /// <summary>
    /// Y = A·B with numpy semantics: matrices in the last two axes, leading (batch) axes broadcast. A 1-D A is read as
    /// [1, K] and a 1-D B as [K, 1], the inserted axis being dropped from Y. With A′, B′, dY′ those promoted forms,
    /// dA′ = dY′·B′ᵀ and dB′ = A′ᵀ·dY′ (transposing the last two axes), each summed over the batch axes its operand
    /// was broadcast along (or lacks) and reshaped to the operand's shape.
    /// </summary>
    public static void MatMul(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var a = c.Input(0);
        var b = c.Input(1);
        var aShape = c.InputInfo(0).Shape;
        var bShape = c.InputInfo(1).Shape;
        var yShape = c.OutputInfo(0).Shape;
        if (aShape.Count == 0 || bShape.Count == 0)
        {
            throw c.Unsupported("MatMul operands must have rank 1 or more.");
        }

        if (aShape.Count == 1 && bShape.Count == 1)
        {
            // Y = Σ a·b, a scalar.
            if (c.NeedsInputGradient(0))
            {
                c.SetInputGradient(0, g.Mul(dY, b));
            }

            if (c.NeedsInputGradient(1))
            {
                c.SetInputGradient(1, g.Mul(dY, a));
            }

            return;
        }

        // Promote 1-D operands to matrices, and dY to the matching rank.
        IReadOnlyList<long> promotedA = aShape.Count == 1 ? [1, aShape[0]] : aShape;
        IReadOnlyList<long> promotedB = bShape.Count == 1 ? [bShape[0], 1] : bShape;
        var promotedY = yShape.ToList();
        var dYp = dY;
        if (aShape.Count == 1)
        {
            promotedY.Insert(promotedY.Count - 1, 1);
            dYp = g.Unsqueeze(dYp, [promotedY.Count - 2]);
        }

        if (bShape.Count == 1)
        {
            promotedY.Add(1);
            dYp = g.Unsqueeze(dYp, [promotedY.Count - 1]);
        }

        var batch = promotedY.Take(promotedY.Count - 2).ToArray();
        if (c.NeedsInputGradient(0))
        {
            // dA′ = dY′·B′ᵀ; for a 1-D B, B′ᵀ = [1, K] is B with a leading axis.
            var bT = bShape.Count == 1 ? g.Unsqueeze(b, [0]) : g.Transpose(b, SwapLastTwo(bShape.Count));
            var full = g.Node("MatMul", [dYp, bT]);
            c.SetInputGradient(0, ReduceToOperand(g, full, [.. batch, .. promotedA.TakeLast(2)], a, promotedA, aShape.Count));
        }

        if (c.NeedsInputGradient(1))
        {
            // dB′ = A′ᵀ·dY′; for a 1-D A, A′ᵀ = [K, 1] is A with a trailing axis.
            var aT = aShape.Count == 1 ? g.Unsqueeze(a, [1]) : g.Transpose(a, SwapLastTwo(aShape.Count));
            var full = g.Node("MatMul", [aT, dYp]);
            c.SetInputGradient(1, ReduceToOperand(g, full, [.. batch, .. promotedB.TakeLast(2)], b, promotedB, bShape.Count));
        }
    }

    /// <summary>The permutation of a rank-<paramref name="rank"/> tensor that swaps its last two axes.</summary>
    private static long[] SwapLastTwo(int rank) =>
        [.. Enumerable.Range(0, rank - 2).Select(i => (long)i), rank - 1, rank - 2];

    /// <summary>
    /// Sums a gradient of shape <paramref name="gradientShape"/> over the batch axes <paramref name="operand"/> (promoted
    /// to <paramref name="promotedShape"/>) was broadcast along, then gives it the operand's own (unpromoted) shape.
    /// </summary>
    private static string ReduceToOperand(GraphEmitter g, string gradient, IReadOnlyList<long> gradientShape, string operand, IReadOnlyList<long> promotedShape, int operandRank)
    {
        var reduced = g.ReduceToShape(gradient, gradientShape, operand, promotedShape);
        // ReduceToShape reshapes to the operand only when it removed leading axes; a 1-D operand always needs it.
        bool reshaped = gradientShape.Count > promotedShape.Count;
        return operandRank == 1 && !reshaped ? g.ReshapeLike(reduced, operand) : reduced;
    }

    private static string GemmNode(GraphEmitter g, string a, string b, bool transA, bool transB, float alpha) =>
        g.Node("Gemm", [a, b],
            AttributeValue.Int("transA", transA ? 1 : 0),
            AttributeValue.Int("transB", transB ? 1 : 0),
            AttributeValue.Float("alpha", alpha));
}
