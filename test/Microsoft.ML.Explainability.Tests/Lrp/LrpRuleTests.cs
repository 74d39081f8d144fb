using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp.Rules;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Lrp;

/// <summary>
/// Each linear rule, run by ONNX Runtime on a one-layer model, against <see cref="LrpReference"/> (float64 matrices
/// written in the test). Inputs have both signs (so the x⁺/x⁻ terms all matter) except in the Relu-first variant,
/// which exercises the non-negative-input path. The relevance at the output is a random given seed.
/// Tolerance: |engine − reference| ≤ 1e-4·max|reference| + 1e-4·|reference| per element (float32 arithmetic, with
/// divisions by z that can be small).
/// </summary>
[TestClass]
public sealed class LrpRuleTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Cases =>
        from layer in new[] { "gemm-transB", "gemm", "matmul", "conv", "relu-conv" }
        from rule in new[] { "epsilon", "zplus", "alpha2beta1", "alpha1beta0", "gamma", "zbox", "zbox-channels", "flat", "wsquare" }
        where !(rule == "zbox-channels" && layer is not ("conv"))
        select new object[] { layer, rule };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Rule_matches_the_float64_matrix_implementation(string layer, string ruleName)
    {
        var random = new Random(11);
        var (model, reference, inputShape, outputShape, relu) = BuildLayer(layer);
        int n = 3;
        var x = GradientCheck.RandomTensor(random, [n, .. inputShape]);
        var seed = GradientCheck.RandomTensor(random, [n, .. outputShape]);
        int inLength = x.RowLength;
        double[] low = ruleName == "zbox-channels" ? [-1.5, -1.2] : [-1.5];
        double[] high = ruleName == "zbox-channels" ? [1.7, 1.1] : [1.7];
        LrpRule rule = ruleName switch
        {
            "epsilon" => LrpRules.Epsilon(0.05),
            "zplus" => LrpRules.ZPlus,
            "alpha2beta1" => LrpRules.AlphaBeta(2, 1),
            "alpha1beta0" => LrpRules.AlphaBeta(1, 0),
            "gamma" => LrpRules.Gamma(0.25),
            "zbox" or "zbox-channels" => LrpRules.ZBox(low, high),
            "flat" => LrpRules.Flat,
            _ => LrpRules.WSquare,
        };

        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.Create("test", rule, rule) });
        var result = lrp.Explain(x, seed);
        Assert.IsTrue(result.Relevance.Shape.SequenceEqual(x.Shape), $"relevance shape {result.Relevance.ShapeText}");

        int spatial = inLength / (int)inputShape[0];
        for (int row = 0; row < n; row++)
        {
            var xr = x.Row(row).ToArray().Select(v => relu ? Math.Max(v, 0) : (double)v).ToArray();
            var rr = seed.Row(row).ToArray().Select(v => (double)v).ToArray();
            double[] Bound(double[] b) => Enumerable.Range(0, inLength).Select(i => b.Length == 1 ? b[0] : b[i / spatial]).ToArray();
            var expected = ruleName switch
            {
                "epsilon" => reference.Epsilon(xr, rr, 0.05),
                "zplus" => reference.ZPlus(xr, rr),
                "alpha2beta1" => reference.AlphaBeta(xr, rr, 2, 1),
                "alpha1beta0" => reference.AlphaBeta(xr, rr, 1, 0),
                "gamma" => reference.Gamma(xr, rr, 0.25),
                "zbox" or "zbox-channels" => reference.ZBox(xr, rr, Bound(low), Bound(high)),
                "flat" => reference.Flat(xr, rr),
                _ => reference.WSquare(xr, rr),
            };

            // With a Relu in front, the relevance of the model input is that of the Relu output (Pass rule).
            var actual = result.Relevance.Row(row).ToArray();
            double scale = expected.Max(Math.Abs);
            Assert.IsGreaterThan(1e-3, scale, "the reference relevance is not trivially zero");
            for (int i = 0; i < inLength; i++)
            {
                double tolerance = (Tolerance * scale) + (Tolerance * Math.Abs(expected[i]));
                Assert.IsLessThanOrEqualTo(tolerance, Math.Abs(actual[i] - expected[i]),
                    $"{layer}/{ruleName} row {row} element {i}: engine {actual[i]:G7}, reference {expected[i]:G7} (tolerance {tolerance:G3})");
            }
        }
    }

    /// <summary>One-layer models and their matrix references.</summary>
    internal static (OnnxModel Model, LrpReference Reference, long[] InputShape, long[] OutputShape, bool Relu) BuildLayer(string layer)
    {
        var t = new TestGraph(seed: 5);
        var random = new Random(3);
        double[] Values(int count) => Enumerable.Range(0, count).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        switch (layer)
        {
            case "gemm-transB":
            {
                // Y = 0.7·X·Wᵀ + 1.3·C, W stored [4, 6].
                var w = Values(24);
                var c = Values(4);
                var y = t.Node("Gemm", [t.Input("x", -1, 6), t.Constant("w", [4, 6], Floats(w)), t.Constant("c", [4], Floats(c))],
                    AttributeValue.Int("transB", 1), AttributeValue.Float("alpha", 0.7f), AttributeValue.Float("beta", 1.3f));
                return (t.Output(y).Build(), new LrpReference(w, c, LrpReference.GemmMatrix(6, 4, transB: true, 0.7f), b => b is null ? new double[4] : b.Select(v => 1.3f * v).ToArray()), [6], [4], false);
            }

            case "gemm":
            {
                var w = Values(15);
                var c = Values(3);
                var y = t.Node("Gemm", [t.Input("x", -1, 5), t.Constant("w", [5, 3], Floats(w)), t.Constant("c", [3], Floats(c))]);
                return (t.Output(y).Build(), new LrpReference(w, c, LrpReference.GemmMatrix(5, 3, transB: false, 1), b => b ?? new double[3]), [5], [3], false);
            }

            case "matmul":
            {
                var w = Values(15);
                var y = t.Node("MatMul", [t.Input("x", -1, 5), t.Constant("w", [5, 3], Floats(w))]);
                return (t.Output(y).Build(), new LrpReference(w, null, LrpReference.GemmMatrix(5, 3, transB: false, 1), _ => new double[3]), [5], [3], false);
            }

            default:
            {
                // Conv 2→3 channels, 3×3 kernel, stride 2, asymmetric pads [top 1, left 0, bottom 1, right 1], on 6×6: output 3×3.
                bool relu = layer == "relu-conv";
                var w = Values(3 * 2 * 9);
                var b = Values(3);
                var x = t.Input("x", -1, 2, 6, 6);
                var input = relu ? t.Node("Relu", [x]) : x;
                var y = t.Node("Conv", [input, t.Constant("w", [3, 2, 3, 3], Floats(w)), t.Constant("b", [3], Floats(b))],
                    AttributeValue.Ints("strides", [2, 2]), AttributeValue.Ints("pads", [1, 0, 1, 1]), AttributeValue.Ints("kernel_shape", [3, 3]));
                var reference = new LrpReference(w, b, LrpReference.ConvMatrix(3, 2, 3, 6, 6, stride: 2, dilation: 1, padTop: 1, padLeft: 0, ho: 3, wo: 3), LrpReference.ChannelBias(3, 9));
                return (t.Output(y).Build(), reference, [2, 6, 6], [3, 3, 3], relu);
            }
        }
    }

    /// <summary>Float32 copies; the references use the same values rounded to float32 so both sides see identical weights.</summary>
    private static float[] Floats(double[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)values[i];
        }

        return values.Select(v => (float)v).ToArray();
    }
}
