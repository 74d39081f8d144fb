using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of matrix products.</summary>
internal static class LinearRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("Gemm", Gemm),
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

    private static string GemmNode(GraphEmitter g, string a, string b, bool transA, bool transB, float alpha) =>
        g.Node("Gemm", [a, b],
            AttributeValue.Int("transA", transA ? 1 : 0),
            AttributeValue.Int("transB", transB ? 1 : 0),
            AttributeValue.Float("alpha", alpha));
}
