using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp.Rules;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Lrp;

/// <summary>
/// The LRP treatment of the non-linear operators on CNN relevance paths, each against an explicit float64 computation
/// written in the test: mean/sum reductions (Norm), Pad/Split/Concat (relevance moves with its value), grouped and
/// depthwise convolutions (the linear rules on the dense block-diagonal matrix), gated activations (SiLU as Sigmoid +
/// Mul, GELU as exported with Erf, HardSwish, x·HardSigmoid(x), Clip as ReLU6: Pass) and a squeeze-excitation gate
/// (Gate: all relevance to the feature map). And the one operator table: every differentiable operator has an entry.
/// </summary>
[TestClass]
public sealed class LrpOperatorRuleTests
{
    private const double Tolerance = 1e-4;

    [TestMethod]
    public void Every_differentiable_operator_has_an_LRP_entry()
    {
        var missing = GradientRuleRegistry.Default.SupportedOperators.Where(op => LrpOperatorTable.KindOf(op) is null).Order(StringComparer.Ordinal).ToArray();
        Assert.IsEmpty(missing, $"operators the engine differentiates with no entry in LrpOperatorTable: {string.Join(", ", missing)}");
        foreach (var (op, kind) in LrpOperatorTable.Entries)
        {
            var rule = LrpOperatorTable.DefaultRule(kind);
            if (rule is not null)
            {
                Assert.IsTrue(rule.CanApplyTo(op), $"the default rule {rule.Name} of {op} ({kind}) must apply to it");
            }
        }

        Assert.AreEqual(LrpOperatorKind.MeanPooling, LrpOperatorTable.KindOf("ReduceMean"));
        Assert.AreSame(LrpRules.Norm, LrpComposite.EpsilonPlus().RuleFor("ReduceMean", "n", false));
        Assert.AreSame(LrpRules.Gradient, LrpComposite.EpsilonPlus().RuleFor("Pad", "n", false));
        Assert.IsNull(LrpComposite.EpsilonPlus().RuleFor("Softmax", "n", false));
    }

    [TestMethod]
    [DataRow("ReduceMean", false, 17)]
    [DataRow("ReduceMean", true, 18)]
    [DataRow("ReduceSum", true, 17)]
    public void Spatial_reductions_split_relevance_in_proportion_to_each_value(string op, bool keepDims, int opset)
    {
        // y[c] = mean or sum over (h, w) of x[c, h, w]; Norm: R_x = x·R_c / stab(Σ_hw x). Inputs positive and negative.
        // ReduceMean takes its axes as an attribute below opset 18 and as an input from 18 on; ReduceSum as an input from 13.
        var t = new TestGraph(opset);
        var x = t.Input("x", -1, 3, 4, 4);
        var y = op == "ReduceMean" && opset < 18
            ? t.Node(op, [x], AttributeValue.Ints("axes", [-2, -1]), AttributeValue.Int("keepdims", keepDims ? 1 : 0))
            : t.Node(op, [x, t.Int64s("axes", 2, 3)], AttributeValue.Int("keepdims", keepDims ? 1 : 0));
        var model = t.Output(y).Build();
        var batch = GradientCheck.RandomTensor(new Random(1), [2, 3, 4, 4], -0.5, 1);
        var seed = GradientCheck.RandomTensor(new Random(2), keepDims ? [2, 3, 1, 1] : [2, 3]);
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus() });
        var relevance = lrp.Explain(batch, seed).Relevance;
        for (int row = 0; row < 2; row++)
        {
            var xs = batch.Row(row).ToArray();
            var expected = xs.Select((v, i) => v * (double)seed.Row(row)[i / 16] / LrpReference.Stab(xs.Skip(i / 16 * 16).Take(16).Sum(w => (double)w))).ToArray();
            AssertClose(expected, relevance.Row(row).ToArray(), $"{op} row {row}");
        }
    }

    [TestMethod]
    public void Pad_split_and_concat_move_relevance_with_the_values()
    {
        // x [2, 3, 3] → Pad by 1 on H and W (pads from a Concat of constants) → Split channels → Concat swapped: y[c] = pad(x)[1 − c].
        var t = new TestGraph();
        var x = t.Input("x", -1, 2, 3, 3);
        var pads = t.Node("Concat", [t.Int64s("begin", 0, 0, 1, 1), t.Int64s("end", 0, 0, 1, 1)], AttributeValue.Int("axis", 0));
        var padded = t.Node("Pad", [x, pads]);
        var parts = t.Node("Split", [padded, t.Int64s("sizes", 1, 1)], 2, AttributeValue.Int("axis", 1));
        var y = t.Node("Concat", [parts[1], parts[0]], AttributeValue.Int("axis", 1));
        var model = t.Output(y).Build();
        var batch = GradientCheck.RandomTensor(new Random(3), [2, 2, 3, 3]);
        var seed = GradientCheck.RandomTensor(new Random(4), [2, 2, 5, 5]);
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus() });
        var relevance = lrp.Explain(batch, seed).Relevance;
        for (int row = 0; row < 2; row++)
        {
            var r = seed.Row(row).ToArray();
            var expected = new double[18];
            for (int c = 0; c < 2; c++)
            {
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        expected[(((c * 3) + i) * 3) + j] = r[((((1 - c) * 5) + i + 1) * 5) + j + 1];
                    }
                }
            }

            AssertClose(expected, relevance.Row(row).ToArray(), $"row {row}");
        }
    }

    [TestMethod]
    [DataRow(2, 1, "epsilon")]
    [DataRow(2, 1, "zplus")]
    [DataRow(4, 2, "alpha2beta1")]
    [DataRow(4, 2, "zplus")]
    public void Grouped_and_depthwise_convolutions_match_the_block_diagonal_reference(int groups, int stride, string ruleName)
    {
        // Conv 4→4 channels in `groups` groups (4: depthwise), 3×3, pads 1, on 5×5; the reference is the dense
        // convolution whose weights are zero between channels of different groups.
        const int channels = 4;
        int perGroup = channels / groups;
        int outSize = ((5 + 2 - 3) / stride) + 1;
        var t = new TestGraph(seed: 12);
        var x = t.Input("x", -1, channels, 5, 5);
        var w = t.Random("w", [channels, perGroup, 3, 3]);
        var b = t.Random("b", [channels], -0.3, 0.3);
        var y = t.Node("Conv", [x, w, b], AttributeValue.Int("group", groups), AttributeValue.Ints("kernel_shape", [3, 3]), AttributeValue.Ints("pads", [1, 1, 1, 1]), AttributeValue.Ints("strides", [stride, stride]));
        var model = t.Output(y).Build();
        var stored = TensorProtos.ToDoubles(model.Graph.Initializer.First(i => i.Name == "w"));
        var bias = TensorProtos.ToDoubles(model.Graph.Initializer.First(i => i.Name == "b"));
        var dense = new double[channels * channels * 9];
        for (int o = 0; o < channels; o++)
        {
            int g = o / perGroup;
            for (int c = 0; c < perGroup; c++)
            {
                for (int k = 0; k < 9; k++)
                {
                    dense[(((o * channels) + (g * perGroup) + c) * 9) + k] = stored[(((o * perGroup) + c) * 9) + k];
                }
            }
        }

        var reference = new LrpReference(dense, bias, LrpReference.ConvMatrix(channels, channels, 3, 5, 5, stride, 1, 1, 1, outSize, outSize), LrpReference.ChannelBias(channels, outSize * outSize));
        LrpRule rule = ruleName switch { "epsilon" => LrpRules.Epsilon(0.05), "zplus" => LrpRules.ZPlus, _ => LrpRules.AlphaBeta(2, 1) };
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.Create("test", rule, rule) });
        var batch = GradientCheck.RandomTensor(new Random(5), [2, channels, 5, 5]);
        var seed = GradientCheck.RandomTensor(new Random(6), [2, channels, outSize, outSize]);
        var relevance = lrp.Explain(batch, seed).Relevance;
        for (int row = 0; row < 2; row++)
        {
            var xs = batch.Row(row).ToArray().Select(v => (double)v).ToArray();
            var rs = seed.Row(row).ToArray().Select(v => (double)v).ToArray();
            var expected = ruleName switch
            {
                "epsilon" => reference.Epsilon(xs, rs, 0.05),
                "zplus" => reference.ZPlus(xs, rs),
                _ => reference.AlphaBeta(xs, rs, 2, 1),
            };
            AssertClose(expected, relevance.Row(row).ToArray(), $"groups {groups}, {ruleName}, row {row}");
        }
    }

    public static IEnumerable<object[]> Activations => new[] { "silu", "gelu-erf", "hardswish", "x-hardsigmoid", "relu6", "hardsigmoid" }.Select(a => new object[] { a });

    [TestMethod]
    [DynamicData(nameof(Activations))]
    public void Gated_and_clipped_activations_pass_relevance_between_dense_layers(string activation)
    {
        // x [5] → Gemm 5→4 (ε) → activation → Gemm 4→3 (ε): R_x = ε(Gemm1; x, ε(Gemm2; act(h), R)), the activation passing R.
        var t = new TestGraph(seed: 7);
        var x = t.Input("x", -1, 5);
        var h = t.Node("Gemm", [x, t.Random("w1", [4, 5]), t.Random("b1", [4], -0.2, 0.2)], AttributeValue.Int("transB", 1));
        Func<double, double> f;
        string a;
        switch (activation)
        {
            case "silu":
                a = t.Node("Mul", [h, t.Node("Sigmoid", [h])]);
                f = v => v / (1 + Math.Exp(-v));
                break;
            case "gelu-erf":
                // As torch.onnx exports nn.GELU below opset 20: 0.5·(x·(1 + erf(x / √2))).
                var erf = t.Node("Erf", [t.Node("Div", [h, t.Constant("sqrt2", [], [1.4142135f])])]);
                a = t.Node("Mul", [t.Node("Mul", [h, t.Node("Add", [erf, t.Constant("one", [], [1f])])]), t.Constant("half", [], [0.5f])]);
                f = v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2)));
                break;
            case "hardswish":
                a = t.Node("HardSwish", [h]);
                f = v => v * Math.Clamp((v / 6) + 0.5, 0, 1);
                break;
            case "x-hardsigmoid":
                a = t.Node("Mul", [h, t.Node("HardSigmoid", [h], AttributeValue.Float("alpha", 1f / 6))]);
                f = v => v * Math.Clamp((v / 6) + 0.5, 0, 1);
                break;
            case "relu6":
                a = t.Node("Clip", [h, t.Constant("lo", [], [0f]), t.Constant("hi", [], [6f])]);
                f = v => Math.Clamp(v, 0, 6);
                break;
            default:
                a = t.Node("HardSigmoid", [h]);
                f = v => Math.Clamp((0.2 * v) + 0.5, 0, 1);
                break;
        }

        var y = t.Node("Gemm", [a, t.Random("w2", [3, 4]), t.Random("b2", [3], -0.2, 0.2)], AttributeValue.Int("transB", 1));
        var model = t.Output(y).Build();
        var p = model.Graph.Initializer.ToDictionary(i => i.Name, TensorProtos.ToDoubles);
        var gemm1 = new LrpReference(p["w1"], p["b1"], LrpReference.GemmMatrix(5, 4, true, 1), v => v ?? new double[4]);
        var gemm2 = new LrpReference(p["w2"], p["b2"], LrpReference.GemmMatrix(4, 3, true, 1), v => v ?? new double[3]);
        var batch = GradientCheck.RandomTensor(new Random(8), [3, 5], -2, 2);
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus(epsilon: 0.01) });
        var result = lrp.Explain(batch, [0, 1, 2]);
        for (int row = 0; row < 3; row++)
        {
            var xs = batch.Row(row).ToArray().Select(v => (double)v).ToArray();
            var hs = LrpReference.MatVec(LrpReference.GemmMatrix(5, 4, true, 1)(p["w1"]), xs).Select((v, j) => v + p["b1"][j]).ToArray();
            var r = new double[3];
            r[row] = 1;
            var expected = gemm1.Epsilon(xs, gemm2.Epsilon(hs.Select(f).ToArray(), r, 0.01), 0.01);
            AssertClose(expected, result.Relevance.Row(row).ToArray(), $"{activation} row {row}");
        }
    }

    [TestMethod]
    public void Squeeze_excitation_gate_sends_all_relevance_to_the_feature_map()
    {
        // x [3, 4, 4]; g = HardSigmoid(Conv1×1(GlobalAveragePool(x))) [3, 1, 1]; y = x·g → ReduceMean over (2, 3) → Gemm 3→2.
        // Gate: R_x = R_y (the gate branch gets none); R_y from the Norm rule of the mean: y·R_c / stab(Σ y).
        var t = new TestGraph(seed: 9);
        var x = t.Input("x", -1, 3, 4, 4);
        var squeezed = t.Node("Conv", [t.Node("GlobalAveragePool", [x]), t.Random("se_w", [3, 3, 1, 1]), t.Random("se_b", [3])]);
        var gate = t.Node("HardSigmoid", [squeezed], AttributeValue.Float("alpha", 1f / 6));
        var excited = t.Node("Mul", [gate, x]);
        var pooled = t.Node("ReduceMean", [excited], AttributeValue.Ints("axes", [2, 3]), AttributeValue.Int("keepdims", 0));
        var y = t.Node("Gemm", [pooled, t.Random("w", [2, 3]), t.Random("b", [2], -0.1, 0.1)], AttributeValue.Int("transB", 1));
        var model = t.Output(y).Build();
        var p = model.Graph.Initializer.ToDictionary(i => i.Name, TensorProtos.ToDoubles);
        var batch = GradientCheck.RandomTensor(new Random(10), [2, 3, 4, 4], -1, 2);
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus() });
        var result = lrp.Explain(batch, [1, 0]);
        for (int row = 0; row < 2; row++)
        {
            var xs = batch.Row(row).ToArray().Select(v => (double)v).ToArray();
            var mean = Enumerable.Range(0, 3).Select(c => xs.Skip(c * 16).Take(16).Average()).ToArray();
            var g = Enumerable.Range(0, 3).Select(o => Math.Clamp(((Enumerable.Range(0, 3).Sum(c => p["se_w"][(o * 3) + c] * mean[c]) + p["se_b"][o]) / 6) + 0.5, 0, 1)).ToArray();
            var ys = xs.Select((v, i) => v * g[i / 16]).ToArray();
            var pooledValues = Enumerable.Range(0, 3).Select(c => ys.Skip(c * 16).Take(16).Average()).ToArray();
            var dense = new LrpReference(p["w"], p["b"], LrpReference.GemmMatrix(3, 2, true, 1), v => v ?? new double[2]);
            var r = new double[2];
            r[row == 0 ? 1 : 0] = 1;
            var rPooled = dense.Epsilon(pooledValues, r, 1e-6);
            var expected = ys.Select((v, i) => v * rPooled[i / 16] / LrpReference.Stab(ys.Skip(i / 16 * 16).Take(16).Sum())).ToArray();
            AssertClose(expected, result.Relevance.Row(row).ToArray(), $"row {row}");
        }
    }

    /// <summary>erf by its Maclaurin series (exact to double precision for the arguments used here).</summary>
    private static double Erf(double v)
    {
        // erf(v) = 2/√π Σ (−1)ⁿ v^(2n+1) / (n! (2n+1)), converging fast for the |v| ≤ 3 used here.
        double sum = 0, term = v;
        for (int n = 0; n < 60; n++)
        {
            sum += term / ((2 * n) + 1);
            term *= -v * v / (n + 1);
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
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
