using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Lrp;

/// <summary>
/// Whole networks against a float64 reference written here from Zennit's conventions for them, with no use of the
/// library's rules: a small VGG-style graph (convolutions z⁺ or α2β1, ReLU pass, max pooling winner-take-all,
/// Flatten passing relevance, dense layers ε, no canonizer needed) and a small bottleneck ResNet (BatchNormalization
/// merged into each convolution — folded here in float64 —, the residual sum split by the Norm rule
/// R_a = a·R/stab(a + b), global average pooling by Norm). Seeds: one-hot and the logit. Tolerance 1e-4 relative to
/// the largest reference relevance (float32 engine, float64 reference).
/// </summary>
[TestClass]
public sealed class LrpNetworkReferenceTests
{
    private const double Tolerance = 1e-4;

    [TestMethod]
    [DataRow("EpsilonPlus", LrpSeed.OneHot)]
    [DataRow("EpsilonAlpha2Beta1", LrpSeed.Logit)]
    public void Vgg_style_network_matches_the_float64_reference(string compositeName, LrpSeed seed)
    {
        // x [2, 8, 8] → conv 3×3 (2→3) → ReLU → conv 3×3 (3→3) → ReLU → MaxPool 2 → conv 3×3 (3→4) → ReLU → MaxPool 2
        // → Flatten (16) → Gemm 16→6 → ReLU → Gemm 6→5.
        var t = new TestGraph(seed: 21);
        var x = t.Input("x", -1, 2, 8, 8);
        string Conv(string input, string name, int cin, int cout) =>
            t.Node("Conv", [input, t.Random(name, [cout, cin, 3, 3]), t.Random(name + "_b", [cout], -0.2, 0.2)], AttributeValue.Ints("kernel_shape", [3, 3]), AttributeValue.Ints("pads", [1, 1, 1, 1]));
        string Pool(string input) => t.Node("MaxPool", [input], AttributeValue.Ints("kernel_shape", [2, 2]), AttributeValue.Ints("strides", [2, 2]));
        var a1 = t.Node("Relu", [Conv(x, "c1", 2, 3)]);
        var p1 = Pool(t.Node("Relu", [Conv(a1, "c2", 3, 3)]));
        var p2 = Pool(t.Node("Relu", [Conv(p1, "c3", 3, 4)]));
        var flat = t.Node("Flatten", [p2]);
        var h = t.Node("Relu", [t.Node("Gemm", [flat, t.Random("d1", [6, 16]), t.Random("d1_b", [6], -0.2, 0.2)], AttributeValue.Int("transB", 1))]);
        var y = t.Node("Gemm", [h, t.Random("d2", [5, 6]), t.Random("d2_b", [5], -0.2, 0.2)], AttributeValue.Int("transB", 1));
        var model = t.Output(y).Build();
        var p = Parameters(model);

        var composite = compositeName == "EpsilonPlus" ? LrpComposite.EpsilonPlus() : LrpComposite.EpsilonAlpha2Beta1();
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = composite, Seed = seed });
        var batch = GradientCheck.RandomTensor(new Random(8), [2, 2, 8, 8]);
        long[] targets = [3, 1];
        var result = lrp.Explain(batch, targets);

        for (int row = 0; row < 2; row++)
        {
            var input = batch.Row(row).ToArray().Select(v => (double)v).ToArray();
            var conv1 = ConvLayer(p, "c1", 2, 3, 8);
            var conv2 = ConvLayer(p, "c2", 3, 3, 8);
            var conv3 = ConvLayer(p, "c3", 3, 4, 4);
            var dense1 = DenseLayer(p, "d1", 16, 6);
            var dense2 = DenseLayer(p, "d2", 6, 5);

            // Forward in float64.
            var r1 = Relu(conv1.Forward(input));
            var r2 = Relu(conv2.Forward(r1));
            var (q1, w1) = MaxPool(r2, 3, 8);
            var r3 = Relu(conv3.Forward(q1));
            var (q2, w2) = MaxPool(r3, 4, 4);
            var r4 = Relu(dense1.Forward(q2));
            var logits = dense2.Forward(r4);

            // Backward: relevance, rule by rule.
            var r = new double[5];
            r[targets[row]] = seed == LrpSeed.Logit ? logits[targets[row]] : 1;
            var rh = dense2.Reference.Epsilon(r4, r, 1e-6);
            var rFlat = dense1.Reference.Epsilon(q2, rh, 1e-6);
            var rr3 = Unpool(rFlat, w2, r3.Length);
            var rq1 = ConvRule(conv3, compositeName, q1, rr3);
            var rr2 = Unpool(rq1, w1, r2.Length);
            var rr1 = ConvRule(conv2, compositeName, r1, rr2);
            var expected = ConvRule(conv1, compositeName, input, rr1);
            AssertClose(expected, result.Relevance.Row(row).ToArray(), $"{compositeName}/{seed} row {row}");
            if (seed == LrpSeed.Logit)
            {
                Assert.AreEqual(logits[targets[row]], result.TargetScores![row], 1e-4 * Math.Abs(logits[targets[row]]) + 1e-5);
            }
        }
    }

    [TestMethod]
    [DataRow("EpsilonPlus", LrpSeed.Logit)]
    [DataRow("EpsilonAlpha2Beta1", LrpSeed.OneHot)]
    public void Bottleneck_resnet_matches_the_float64_reference(string compositeName, LrpSeed seed)
    {
        // x [2, 6, 6] → conv 3×3 (2→4) + BN → ReLU = h0; branch: conv 1×1 (4→2, no bias) + BN → ReLU → conv 3×3 (2→2) + BN
        // → ReLU → conv 1×1 (2→4) + BN = b; s = h0 + b → ReLU → GlobalAveragePool → Flatten → Gemm 4→3.
        var t = new TestGraph(seed: 33);
        var x = t.Input("x", -1, 2, 6, 6);
        string ConvBn(string input, string name, int cin, int cout, int k, bool bias)
        {
            string[] inputs = bias ? [input, t.Random(name, [cout, cin, k, k]), t.Random(name + "_b", [cout], -0.2, 0.2)] : [input, t.Random(name, [cout, cin, k, k])];
            var conv = t.Node("Conv", inputs, AttributeValue.Ints("kernel_shape", [k, k]), AttributeValue.Ints("pads", k == 3 ? [1, 1, 1, 1] : [0, 0, 0, 0]));
            return t.Node("BatchNormalization", [conv, t.Random(name + "_g", [cout], 0.5, 1.5), t.Random(name + "_be", [cout], -0.3, 0.3), t.Random(name + "_m", [cout], -0.3, 0.3), t.Random(name + "_v", [cout], 0.5, 1.5)],
                AttributeValue.Float("epsilon", 1e-5f));
        }

        var h0 = t.Node("Relu", [ConvBn(x, "c0", 2, 4, 3, bias: true)]);
        var a1 = t.Node("Relu", [ConvBn(h0, "c1", 4, 2, 1, bias: false)]);
        var a2 = t.Node("Relu", [ConvBn(a1, "c2", 2, 2, 3, bias: false)]);
        var b = ConvBn(a2, "c3", 2, 4, 1, bias: false);
        var s = t.Node("Relu", [t.Node("Add", [h0, b])]);
        var pooled = t.Node("Flatten", [t.Node("GlobalAveragePool", [s])]);
        var y = t.Node("Gemm", [pooled, t.Random("d", [3, 4]), t.Random("d_b", [3], -0.2, 0.2)], AttributeValue.Int("transB", 1));
        var model = t.Output(y).Build();
        var p = Parameters(model);

        var composite = compositeName == "EpsilonPlus" ? LrpComposite.EpsilonPlus() : LrpComposite.EpsilonAlpha2Beta1();
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = composite, Seed = seed });
        Assert.AreEqual(4, lrp.FoldedBatchNormalizations, "every BatchNormalization merged into its convolution");
        var batch = GradientCheck.RandomTensor(new Random(9), [2, 2, 6, 6]);
        long[] targets = [2, 0];
        var result = lrp.Explain(batch, targets);

        for (int row = 0; row < 2; row++)
        {
            var input = batch.Row(row).ToArray().Select(v => (double)v).ToArray();
            var c0 = ConvLayer(p, "c0", 2, 4, 6, k: 3, batchNorm: true);
            var c1 = ConvLayer(p, "c1", 4, 2, 6, k: 1, batchNorm: true);
            var c2 = ConvLayer(p, "c2", 2, 2, 6, k: 3, batchNorm: true);
            var c3 = ConvLayer(p, "c3", 2, 4, 6, k: 1, batchNorm: true);
            var dense = DenseLayer(p, "d", 4, 3);

            var vh0 = Relu(c0.Forward(input));
            var va1 = Relu(c1.Forward(vh0));
            var va2 = Relu(c2.Forward(va1));
            var vb = c3.Forward(va2);
            var vsum = vh0.Select((v, i) => v + vb[i]).ToArray();
            var vs = Relu(vsum);
            var gap = Enumerable.Range(0, 4).Select(c => vs.Skip(c * 36).Take(36).Average()).ToArray();
            var logits = dense.Forward(gap);

            var r = new double[3];
            r[targets[row]] = seed == LrpSeed.Logit ? logits[targets[row]] : 1;
            var rGap = dense.Reference.Epsilon(gap, r, 1e-6);

            // Global average pooling (Norm): R_i = s_i·R_c / stab(Σ_c s).
            var rs = vs.Select((v, i) => v * rGap[i / 36] / LrpReference.Stab(vs.Skip(i / 36 * 36).Take(36).Sum())).ToArray();

            // Residual sum (Norm): each addend gets its share a·R / stab(a + b).
            var rSkip = vh0.Select((v, i) => v * rs[i] / LrpReference.Stab(vsum[i])).ToArray();
            var rb = vb.Select((v, i) => v * rs[i] / LrpReference.Stab(vsum[i])).ToArray();
            var ra2 = ConvRule(c3, compositeName, va2, rb);
            var ra1 = ConvRule(c2, compositeName, va1, ra2);
            var rBranch = ConvRule(c1, compositeName, vh0, ra1);
            var rh0 = rSkip.Select((v, i) => v + rBranch[i]).ToArray();
            var expected = ConvRule(c0, compositeName, input, rh0);
            AssertClose(expected, result.Relevance.Row(row).ToArray(), $"{compositeName}/{seed} row {row}");
        }
    }

    private sealed record Layer(LrpReference Reference, Func<double[], double[]> Forward);

    private static Dictionary<string, double[]> Parameters(OnnxModel model) =>
        model.Graph.Initializer.ToDictionary(i => i.Name, TensorProtos.ToDoubles, StringComparer.Ordinal);

    /// <summary>A square-input convolution with stride 1 and "same" padding, its BatchNormalization (if any) merged in float64 here.</summary>
    private static Layer ConvLayer(Dictionary<string, double[]> p, string name, int cin, int cout, int size, int k = 3, bool batchNorm = false)
    {
        var w = p[name].ToArray();
        var b = p.TryGetValue(name + "_b", out var stored) ? stored.ToArray() : new double[cout];
        if (batchNorm)
        {
            for (int o = 0; o < cout; o++)
            {
                double scale = p[name + "_g"][o] / Math.Sqrt(p[name + "_v"][o] + 1e-5);
                for (int i = 0; i < w.Length / cout; i++)
                {
                    w[(o * (w.Length / cout)) + i] *= scale;
                }

                b[o] = ((b[o] - p[name + "_m"][o]) * scale) + p[name + "_be"][o];
            }
        }

        var matrix = LrpReference.ConvMatrix(cout, cin, k, size, size, stride: 1, dilation: 1, padTop: k / 2, padLeft: k / 2, ho: size, wo: size);
        var biasVector = LrpReference.ChannelBias(cout, size * size);
        var m = matrix(w);
        var bias = biasVector(b);
        return new Layer(new LrpReference(w, b, matrix, biasVector), v => LrpReference.MatVec(m, v).Select((z, j) => z + bias[j]).ToArray());
    }

    private static Layer DenseLayer(Dictionary<string, double[]> p, string name, int k, int m)
    {
        var matrix = LrpReference.GemmMatrix(k, m, transB: true, 1);
        var w = p[name];
        var b = p[name + "_b"];
        var dense = matrix(w);
        return new Layer(new LrpReference(w, b, matrix, v => v ?? new double[m]), v => LrpReference.MatVec(dense, v).Select((z, j) => z + b[j]).ToArray());
    }

    private static double[] ConvRule(Layer layer, string composite, double[] x, double[] r) =>
        composite == "EpsilonPlus" ? layer.Reference.ZPlus(x, r) : layer.Reference.AlphaBeta(x, r, 2, 1);

    private static double[] Relu(double[] v) => v.Select(x => Math.Max(x, 0)).ToArray();

    /// <summary>2×2 max pooling, stride 2, of [channels, size, size]; also the flat index of each window's winner.</summary>
    private static (double[] Output, int[] Winners) MaxPool(double[] x, int channels, int size)
    {
        int half = size / 2;
        var output = new double[channels * half * half];
        var winners = new int[output.Length];
        for (int c = 0; c < channels; c++)
        {
            for (int oy = 0; oy < half; oy++)
            {
                for (int ox = 0; ox < half; ox++)
                {
                    int best = -1;
                    for (int dy = 0; dy < 2; dy++)
                    {
                        for (int dx = 0; dx < 2; dx++)
                        {
                            int i = (((c * size) + (2 * oy) + dy) * size) + (2 * ox) + dx;
                            if (best < 0 || x[i] > x[best])
                            {
                                best = i;
                            }
                        }
                    }

                    int o = (((c * half) + oy) * half) + ox;
                    output[o] = x[best];
                    winners[o] = best;
                }
            }
        }

        return (output, winners);
    }

    /// <summary>Winner-take-all: each window's relevance goes to its maximum.</summary>
    private static double[] Unpool(double[] r, int[] winners, int length)
    {
        var result = new double[length];
        for (int o = 0; o < r.Length; o++)
        {
            result[winners[o]] += r[o];
        }

        return result;
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        double scale = expected.Max(Math.Abs);
        Assert.IsGreaterThan(1e-6, scale, $"{what}: the reference relevance is not trivially zero");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], (Tolerance * scale) + (Tolerance * Math.Abs(expected[i])), $"{what} element {i}");
        }
    }
}
