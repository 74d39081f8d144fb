using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp.Rules;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Lrp;

/// <summary>
/// The transformer LRP rules, each run by ONNX Runtime on a one- or two-node model with a random given output relevance,
/// against its formula computed here in float64 from the inputs: the LN-rule (LayerNormalization), AttnLRP's softmax rule,
/// AttnLRP's uniform ε-rule for a product of two run-time tensors, the AH-rule (attention constant in A·V), and the
/// identity (Pass) on the Gelu operator. Tolerance 1e-4 of the largest expected value (float32 arithmetic).
/// </summary>
[TestClass]
public sealed class LrpTransformerRuleTests
{
    private const int Rows = 2, Tokens = 3, Width = 4;

    private static double Stab(double z) => LrpReference.Stab(z, LrpRules.DefaultEpsilon);

    [TestMethod]
    public void Layer_norm_rule_is_the_epsilon_rule_of_the_layer_with_sigma_constant()
    {
        // y = γ ⊙ (x − μ)/σ + β per token; R_x = x ⊙ (G − mean G)/σ with G = γ ⊙ R / stab(y).
        var t = new TestGraph(seed: 3);
        var x = t.Input("x", -1, Tokens, Width);
        var gamma = t.Random("gamma", [Width], 0.5, 1.5);
        var beta = t.Random("beta", [Width], -0.3, 0.3);
        var y = t.Node("LayerNormalization", [x, gamma, beta], AttributeValue.Int("axis", -1), AttributeValue.Float("epsilon", 1e-5f));
        var model = t.Output(y).Build();
        var g = Values(model, gamma);
        var b = Values(model, beta);
        var (batch, seed, relevance) = Run(model, LrpComposite.Transformer(), [Rows, Tokens, Width], [Rows, Tokens, Width]);
        for (int r = 0; r < Rows; r++)
        {
            var xs = Row(batch, r);
            var rs = Row(seed, r);
            var expected = new double[xs.Length];
            for (int token = 0; token < Tokens; token++)
            {
                var v = xs.Skip(token * Width).Take(Width).ToArray();
                double mean = v.Average(), inverseStd = 1 / Math.Sqrt(v.Select(e => (e - mean) * (e - mean)).Average() + 1e-5);
                var outputs = v.Select((e, i) => (g[i] * (e - mean) * inverseStd) + b[i]).ToArray();
                var big = outputs.Select((o, i) => g[i] * rs[(token * Width) + i] / Stab(o)).ToArray();
                double bigMean = big.Average();
                for (int i = 0; i < Width; i++)
                {
                    expected[(token * Width) + i] = v[i] * (big[i] - bigMean) * inverseStd;
                }

                // Conservation of the rule: Σ R_x = Σ (y − β) ⊙ R / stab(y).
                double conserved = outputs.Select((o, i) => (o - b[i]) * rs[(token * Width) + i] / Stab(o)).Sum();
                Assert.AreEqual(conserved, expected.Skip(token * Width).Take(Width).Sum(), 1e-9, "the reference itself");
            }

            AssertClose(expected, Row(relevance, r), $"row {r}");
        }
    }

    [TestMethod]
    public void Softmax_rule_is_attn_lrps_taylor_decomposition()
    {
        // s = softmax(x) over the last axis; R_x = x ⊙ (R − s ⊙ Σ_j R_j).
        var t = new TestGraph();
        var x = t.Input("x", -1, Tokens, Width);
        var model = t.Output(t.Node("Softmax", [x], AttributeValue.Int("axis", -1))).Build();
        var (batch, seed, relevance) = Run(model, LrpComposite.Transformer(), [Rows, Tokens, Width], [Rows, Tokens, Width]);
        for (int r = 0; r < Rows; r++)
        {
            var xs = Row(batch, r);
            var rs = Row(seed, r);
            var expected = new double[xs.Length];
            for (int token = 0; token < Tokens; token++)
            {
                var v = xs.Skip(token * Width).Take(Width).ToArray();
                var rv = rs.Skip(token * Width).Take(Width).ToArray();
                double total = v.Sum(Math.Exp), relevanceSum = rv.Sum();
                for (int i = 0; i < Width; i++)
                {
                    expected[(token * Width) + i] = v[i] * (rv[i] - (Math.Exp(v[i]) / total * relevanceSum));
                }
            }

            AssertClose(expected, Row(relevance, r), $"row {r}");
        }
    }

    [TestMethod]
    public void Uniform_rule_gives_each_operand_of_a_run_time_product_half_of_the_epsilon_rule()
    {
        // z = x·xᵀ (A = x, B = Transpose(x)), s = R / (2·stab(z)); R_A = A ⊙ s·Bᵀ and R_B = B ⊙ Aᵀ·s, both landing on x:
        // R_x[a, k] = Σ_j x[a, k]·x[j, k]·s[a, j] + Σ_i x[i, k]·x[a, k]·s[i, a].
        var t = new TestGraph();
        var x = t.Input("x", -1, Tokens, Width);
        var model = t.Output(t.Node("MatMul", [x, t.Node("Transpose", [x], AttributeValue.Ints("perm", [0, 2, 1]))])).Build();
        foreach (var composite in new[] { LrpComposite.AttnLrp(), LrpComposite.Epsilon().WithProductRule(LrpRules.Uniform()) })
        {
            var (batch, seed, relevance) = Run(model, composite, [Rows, Tokens, Width], [Rows, Tokens, Tokens]);
            for (int r = 0; r < Rows; r++)
            {
                var xs = Row(batch, r);
                var rs = Row(seed, r);
                double X(int i, int k) => xs[(i * Width) + k];
                var s = new double[Tokens, Tokens];
                for (int i = 0; i < Tokens; i++)
                {
                    for (int j = 0; j < Tokens; j++)
                    {
                        double z = Enumerable.Range(0, Width).Sum(k => X(i, k) * X(j, k));
                        s[i, j] = rs[(i * Tokens) + j] / (2 * Stab(z));
                    }
                }

                var expected = new double[xs.Length];
                for (int a = 0; a < Tokens; a++)
                {
                    for (int k = 0; k < Width; k++)
                    {
                        expected[(a * Width) + k] = Enumerable.Range(0, Tokens).Sum(j => (X(a, k) * X(j, k) * s[a, j]) + (X(j, k) * X(a, k) * s[j, a]));
                    }
                }

                Assert.AreEqual(Enumerable.Range(0, Tokens * Tokens).Sum(e => rs[e] * ZOf(xs, e) / Stab(ZOf(xs, e))), expected.Sum(), 1e-9, "the reference conserves");
                AssertClose(expected, Row(relevance, r), $"{composite.Name}, row {r}");
            }
        }
    }

    [TestMethod]
    public void Attention_head_rule_treats_the_attention_probabilities_as_constants()
    {
        // A = Softmax(x·xᵀ) (read through an Identity), z = A·x; AH: R_x = x ⊙ Aᵀ·(R / stab(z)); nothing flows through A.
        var t = new TestGraph();
        var x = t.Input("x", -1, Tokens, Width);
        var scores = t.Node("MatMul", [x, t.Node("Transpose", [x], AttributeValue.Ints("perm", [0, 2, 1]))]);
        var attention = t.Node("Identity", [t.Node("Softmax", [scores], AttributeValue.Int("axis", -1))]);
        var model = t.Output(t.Node("MatMul", [attention, x])).Build();
        foreach (var composite in new[] { LrpComposite.Transformer(), LrpComposite.EpsilonPlus().WithProductRule(LrpRules.AttentionHead()) })
        {
            var (batch, seed, relevance) = Run(model, composite, [Rows, Tokens, Width], [Rows, Tokens, Width]);
            for (int r = 0; r < Rows; r++)
            {
                var xs = Row(batch, r);
                var rs = Row(seed, r);
                double X(int i, int k) => xs[(i * Width) + k];
                var a = new double[Tokens, Tokens];
                for (int i = 0; i < Tokens; i++)
                {
                    var row = Enumerable.Range(0, Tokens).Select(j => Enumerable.Range(0, Width).Sum(k => X(i, k) * X(j, k))).ToArray();
                    double max = row.Max(), total = row.Sum(v => Math.Exp(v - max));
                    for (int j = 0; j < Tokens; j++)
                    {
                        a[i, j] = Math.Exp(row[j] - max) / total;
                    }
                }

                var expected = new double[xs.Length];
                for (int j = 0; j < Tokens; j++)
                {
                    for (int k = 0; k < Width; k++)
                    {
                        expected[(j * Width) + k] = X(j, k) * Enumerable.Range(0, Tokens).Sum(i =>
                            a[i, j] * rs[(i * Width) + k] / Stab(Enumerable.Range(0, Tokens).Sum(l => a[i, l] * X(l, k))));
                    }
                }

                AssertClose(expected, Row(relevance, r), $"{composite.Name}, row {r}");
            }
        }
    }

    [TestMethod]
    public void Gelu_passes_relevance_unchanged()
    {
        // Gelu (opset 20): the gate Φ(x) is a constant of the rule, so R_x = x·Φ(x)·R/stab(x·Φ(x)) = R (AttnLRP's identity rule).
        var t = new TestGraph(opset: 20);
        var x = t.Input("x", -1, Tokens, Width);
        var model = t.Output(t.Node("Gelu", [x])).Build();
        Assert.AreSame(LrpRules.Pass, LrpComposite.Transformer().RuleFor("Gelu", "n", false));
        var (_, seed, relevance) = Run(model, LrpComposite.Transformer(), [Rows, Tokens, Width], [Rows, Tokens, Width]);
        for (int r = 0; r < Rows; r++)
        {
            AssertClose(Row(seed, r), Row(relevance, r), $"row {r}");
        }
    }

    [TestMethod]
    public void Products_of_run_time_tensors_get_the_product_rule_and_bad_assignments_are_refused()
    {
        Assert.IsInstanceOfType<AttentionHeadRule>(LrpComposite.EpsilonPlus().ProductRule);
        Assert.IsInstanceOfType<UniformRule>(LrpComposite.AttnLrp().ProductRule);
        Assert.IsInstanceOfType<AttentionHeadRule>(LrpComposite.Transformer().RuleFor("MatMul", "n", false, runtimeProduct: true));
        Assert.IsInstanceOfType<EpsilonRule>(LrpComposite.Transformer().RuleFor("MatMul", "n", false));
        Assert.IsInstanceOfType<LayerNormRule>(LrpComposite.Transformer().RuleFor("LayerNormalization", "n", false));
        Assert.AreSame(LrpRules.Pass, LrpComposite.EpsilonPlus().RuleFor("LayerNormalization", "n", false));
        Assert.ThrowsExactly<LrpRuleException>(() => LrpComposite.EpsilonPlus().WithProductRule(LrpRules.Softmax));
        Assert.ThrowsExactly<LrpRuleException>(() => LrpComposite.EpsilonPlus().WithOperatorRule("Relu", LrpRules.LayerNorm()));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LrpRules.Uniform(-1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LrpRules.LayerNorm(double.PositiveInfinity));

        // Without a product rule, a product of two run-time tensors is refused naming the node.
        var t = new TestGraph();
        var x = t.Input("x", -1, Tokens, Width);
        var model = t.Output(t.Node("MatMul", [x, t.Node("Transpose", [x], AttributeValue.Ints("perm", [0, 2, 1]))])).Build();
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.Epsilon().WithProductRule(null) });
        var e = Assert.ThrowsExactly<LrpRuleException>(() => lrp.Explain(GradientCheck.RandomTensor(new Random(1), [Rows, Tokens, Width]), GradientCheck.RandomTensor(new Random(2), [Rows, Tokens, Tokens])));
        Assert.AreEqual("MatMul", e.OpType);
    }

    private static double ZOf(double[] xs, int e)
    {
        int i = e / Tokens, j = e % Tokens;
        return Enumerable.Range(0, Width).Sum(k => xs[(i * Width) + k] * xs[(j * Width) + k]);
    }

    private static (FloatTensor Batch, FloatTensor Seed, FloatTensor Relevance) Run(OnnxModel model, LrpComposite composite, long[] inputShape, long[] outputShape)
    {
        var batch = GradientCheck.RandomTensor(new Random(5), inputShape);
        var seed = GradientCheck.RandomTensor(new Random(6), outputShape);
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = composite });
        return (batch, seed, lrp.Explain(batch, seed).Relevance);
    }

    private static double[] Values(OnnxModel model, string initializer) =>
        TensorProtos.ToDoubles(model.Graph.Initializer.Single(i => i.Name == initializer));

    private static double[] Row(FloatTensor t, int r) => t.Row(r).ToArray().Select(v => (double)v).ToArray();

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.HasCount(expected.Length, actual);
        double scale = expected.Max(Math.Abs);
        Assert.IsGreaterThan(1e-3, scale, $"{what}: the expected relevance should not be trivially zero");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], 1e-4 * scale, $"{what}, element {i}");
        }
    }
}
