using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp.Rules;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Lrp;

/// <summary>Properties LRP must have: conservation, LRP-0 = input × gradient, α1β0 = z⁺, the norm and gate rules.</summary>
[TestClass]
public sealed class LrpPropertyTests
{
    /// <summary>
    /// A bias-free ReLU network with a residual Add, MaxPool, AveragePool (asymmetric pads), GlobalAveragePool and a
    /// dense head; returns the model and the tensors between layers, in forward order.
    /// </summary>
    private static (OnnxModel Model, string[] Layers) ZeroBiasReluNet()
    {
        var t = new TestGraph(seed: 9);
        var x = t.Input("x", -1, 2, 10, 10);
        var c1 = t.Node("Conv", [x, t.Random("w1", [4, 2, 3, 3])], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var a1 = t.Node("Relu", [c1]);
        var c2 = t.Node("Conv", [a1, t.Random("w2", [4, 4, 3, 3])], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var sum = t.Node("Add", [a1, c2]);
        var a2 = t.Node("Relu", [sum]);
        var p1 = t.Node("MaxPool", [a2], AttributeValue.Ints("kernel_shape", [2, 2]), AttributeValue.Ints("strides", [2, 2]));
        var c3 = t.Node("Conv", [p1, t.Random("w3", [6, 4, 3, 3])], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var a3 = t.Node("Relu", [c3]);
        var p2 = t.Node("AveragePool", [a3], AttributeValue.Ints("kernel_shape", [3, 3]), AttributeValue.Ints("strides", [2, 2]), AttributeValue.Ints("pads", [1, 0, 1, 1]));
        var gap = t.Node("GlobalAveragePool", [p2]);
        var flat = t.Node("Flatten", [gap]);
        var logits = t.Node("Gemm", [flat, t.Random("w4", [5, 6])], AttributeValue.Int("transB", 1));
        // c2 alone is no cut: the residual Add's other input a1 carries the rest of the relevance.
        return (t.Output(logits).Build(), [c1, a1, sum, a2, p1, c3, a3, p2, gap, flat]);
    }

    [TestMethod]
    [DataRow("LRP-0")]
    [DataRow("EpsilonPlus")]
    public void Relevance_is_conserved_layer_by_layer_without_biases(string composite)
    {
        // Σ R at every layer equals the seed (1 at the target) within 1e-4 relative: ε = 1e-9 (ε → 0) for LRP-0 and the
        // dense layer; z⁺ is conservative with zero biases. (α2β1 is too, except at units where z_β = W⁻x⁺ + W⁺x⁻ is
        // 0 or comparable to the stabiliser, which occurs on mixed-sign inputs; it is not checked here.)
        var (model, layers) = ZeroBiasReluNet();
        var lrpComposite = composite switch
        {
            "LRP-0" => LrpComposite.Epsilon(1e-9),
            _ => LrpComposite.EpsilonPlus(1e-9),
        };
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = lrpComposite, RelevanceOf = layers });
        var x = GradientCheck.RandomTensor(new Random(4), [4, 2, 10, 10]);
        var result = lrp.Explain(x, [0, 1, 2, -1]);
        foreach (var name in layers.Prepend("x"))
        {
            var relevance = name == "x" ? result.Relevance : result.LayerRelevances[name];
            for (int row = 0; row < 4; row++)
            {
                double sum = relevance.Row(row).ToArray().Sum(v => (double)v);
                Assert.AreEqual(1.0, sum, 1e-4, $"{composite}: Σ relevance of '{name}' in row {row}");
            }
        }
    }

    [TestMethod]
    public void Relevance_is_lost_to_biases_so_conservation_tests_can_fail()
    {
        // The same check on a layer with a large bias: Σ R_in = R·(Wx)/(Wx + b) ≠ R.
        var t = new TestGraph(seed: 2);
        var y = t.Node("Gemm", [t.Input("x", -1, 4), t.Random("w", [3, 4]), t.Constant("b", [3], [2f, 2f, 2f])], AttributeValue.Int("transB", 1));
        using var lrp = new LrpExplainer(t.Output(y).Build(), new LrpOptions { Composite = LrpComposite.Epsilon(1e-9) });
        var result = lrp.Explain(GradientCheck.RandomTensor(new Random(1), [2, 4], 0, 0.5), [0, 1]);
        Assert.IsGreaterThan(0.05, Math.Abs(1 - result.Relevance.Row(0).ToArray().Sum()));
    }

    [TestMethod]
    [DataRow("fmnist_cnn.onnx")]
    [DataRow("fmnist_resnet.onnx")]
    public void Lrp0_equals_input_times_gradient_on_relu_networks(string file)
    {
        // LRP-0 (ε = 1e-9) with the logit as seed equals x ⊙ ∂logit/∂x on a ReLU network with biases (MaxPool
        // winner-take-all, GlobalAveragePool and residual Adds by the norm rule). The gradient comes from the engine's
        // true-gradient rules. Tolerance: 2e-3·max|x ⊙ g| per element.
        var model = OnnxModel.Load(TestAssets.ModelPath(file));
        var x = TestAssets.FashionMnistBatch(8);
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.Epsilon(1e-9), Seed = LrpSeed.Logit });
        var result = lrp.Explain(x);

        var gradientModel = GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["input"], Rules = GradientRuleRegistry.Default });
        using var session = new GradientSession(gradientModel);
        var gradient = session.Run(x, result.Targets).Gradients["input"];
        for (int row = 0; row < 8; row++)
        {
            var r = result.Relevance.Row(row).ToArray();
            var g = gradient.Row(row).ToArray();
            var xg = x.Row(row).ToArray().Select((v, i) => (double)v * g[i]).ToArray();
            double scale = xg.Max(Math.Abs);
            Assert.IsGreaterThan(0, scale);
            for (int i = 0; i < r.Length; i++)
            {
                Assert.AreEqual(xg[i], r[i], 2e-3 * scale, $"{file} row {row} pixel {i}");
            }
        }
    }

    [TestMethod]
    public void Alpha1Beta0_equals_ZPlus_on_the_fixture_cnn()
    {
        // Two code paths (AlphaBeta with β = 0, ZPlus) over a whole network; tolerance 1e-5·max|R|.
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(8);
        using var ab = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.Create("ab", LrpRules.AlphaBeta(1, 0), LrpRules.Epsilon()) });
        using var zplus = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus() });
        var a = ab.Explain(x).Relevance.Data;
        var b = zplus.Explain(x).Relevance.Data;
        double scale = b.Max(v => Math.Abs(v));
        Assert.IsGreaterThan(0, scale);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.AreEqual(b[i], a[i], 1e-5 * scale, $"element {i}");
        }

        using var ab21 = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonAlpha2Beta1() });
        var c = ab21.Explain(x).Relevance.Data;
        Assert.IsTrue(c.Where((v, i) => Math.Abs(v - b[i]) > 1e-3 * scale).Any(), "α2β1 differs from z⁺ (the comparison can fail)");
    }

    [TestMethod]
    public void Norm_rule_matches_explicit_formulas_for_add_and_average_pool()
    {
        // y = AveragePool(x) (3×3, stride 2, pads [1, 0, 1, 1], count_include_pad 0) + bias[C,1,1]; Norm on both:
        // the Add gives R_p = p·R/stab(p + b) (the constant bias absorbs the rest); the pool gives
        // R_x[i] = x[i]·Σ_{windows o ∋ i} R_p[o]/stab(Σ_{j ∈ o} x[j]). Float64 loops; tolerance 1e-5·max|R|.
        var t = new TestGraph(seed: 1);
        var x = t.Input("x", -1, 2, 7, 7);
        var p = t.Node("AveragePool", [x], AttributeValue.Ints("kernel_shape", [3, 3]), AttributeValue.Ints("strides", [2, 2]), AttributeValue.Ints("pads", [1, 0, 1, 1]));
        float[] bias = [0.3f, -0.2f];
        var y = t.Node("Add", [p, t.Constant("bias", [2, 1, 1], bias)]);
        using var lrp = new LrpExplainer(t.Output(y).Build(), new LrpOptions { Composite = LrpComposite.Create("norm", null, null) });
        var random = new Random(8);
        var input = GradientCheck.RandomTensor(random, [2, 2, 7, 7], 0.1, 1);
        var seed = GradientCheck.RandomTensor(random, [2, 2, 4, 3]);
        var result = lrp.Explain(input, seed);
        Assert.IsTrue(result.Relevance.Shape.SequenceEqual(input.Shape));
        for (int n = 0; n < 2; n++)
        {
            var expected = new double[2 * 49];
            for (int c = 0; c < 2; c++)
            {
                for (int oy = 0; oy < 4; oy++)
                {
                    for (int ox = 0; ox < 3; ox++)
                    {
                        var window = new List<int>();
                        for (int ky = 0; ky < 3; ky++)
                        {
                            for (int kx = 0; kx < 3; kx++)
                            {
                                int iy = (oy * 2) - 1 + ky, ix = (ox * 2) + kx;
                                if (iy >= 0 && iy < 7 && ix >= 0 && ix < 7)
                                {
                                    window.Add((c * 49) + (iy * 7) + ix);
                                }
                            }
                        }

                        double windowSum = window.Sum(i => (double)input.Row(n)[i]);
                        double mean = windowSum / window.Count;
                        double r = seed[n, c, oy, ox] * mean / LrpReference.Stab(mean + bias[c]);
                        foreach (var i in window)
                        {
                            expected[i] += input.Row(n)[i] * r / LrpReference.Stab(windowSum);
                        }
                    }
                }
            }

            double scale = expected.Max(Math.Abs);
            var actual = result.Relevance.Row(n).ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.AreEqual(expected[i], actual[i], 1e-5 * scale, $"row {n} element {i}");
            }
        }
    }

    [TestMethod]
    public void Squeeze_excitation_gate_sends_all_relevance_to_the_feature_map()
    {
        // a = Relu(Conv(x)); g = HardSigmoid(Conv(GlobalAveragePool(a))); y = a ⊙ g. The gate rule passes R_y to a
        // unchanged and nothing into the gate branch, so R_a (summed over its two readers) equals R_y element-wise and
        // Σ R is conserved from y down to x (zero biases, z⁺).
        var t = new TestGraph(seed: 4);
        var x = t.Input("x", -1, 2, 6, 6);
        var a = t.Node("Relu", [t.Node("Conv", [x, t.Random("w1", [4, 2, 3, 3])], AttributeValue.Ints("pads", [1, 1, 1, 1]))]);
        var gap = t.Node("GlobalAveragePool", [a]);
        var gate = t.Node("HardSigmoid", [t.Node("Conv", [gap, t.Random("w2", [4, 4, 1, 1])])]);
        var y = t.Node("Mul", [a, gate]);
        var logits = t.Node("Gemm", [t.Node("Flatten", [y]), t.Random("w3", [3, 144])], AttributeValue.Int("transB", 1));
        using var lrp = new LrpExplainer(t.Output(logits).Build(), new LrpOptions { Composite = LrpComposite.EpsilonPlus(1e-9), RelevanceOf = [a, y] });
        var result = lrp.Explain(GradientCheck.RandomTensor(new Random(2), [3, 2, 6, 6]), [0, 1, 2]);
        var ra = result.LayerRelevances[a].Data;
        var ry = result.LayerRelevances[y].Data;
        CollectionAssert.AreEqual(ry, ra, "R_a = R_y");
        for (int row = 0; row < 3; row++)
        {
            Assert.AreEqual(1.0, result.Relevance.Row(row).ToArray().Sum(v => (double)v), 1e-4, $"Σ R_x row {row}");
            Assert.AreEqual(1.0, result.LayerRelevances[y].Row(row).ToArray().Sum(v => (double)v), 1e-4, $"Σ R_y row {row}");
        }
    }

    [TestMethod]
    public void Logit_seed_scales_the_one_hot_relevance_by_the_logit()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(4);
        using var oneHot = new LrpExplainer(model);
        using var logit = new LrpExplainer(model, new LrpOptions { Seed = LrpSeed.Logit });
        var a = oneHot.Explain(x, [1, 2, 3, -1]);
        var b = logit.Explain(x, [1, 2, 3, -1]);
        CollectionAssert.AreEqual(a.Targets, b.Targets);
        for (int row = 0; row < 4; row++)
        {
            float score = a.TargetScores![row];
            Assert.AreEqual(a.Outputs[row, a.Targets![row]], score, 1e-6f);
            var ra = a.Relevance.Row(row).ToArray();
            var rb = b.Relevance.Row(row).ToArray();
            double scale = rb.Max(v => Math.Abs(v));
            for (int i = 0; i < ra.Length; i++)
            {
                Assert.AreEqual(ra[i] * score, rb[i], 1e-4 * scale, $"row {row} pixel {i}");
            }
        }
    }
}
