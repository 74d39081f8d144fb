using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Attribution;

/// <summary>Saliency, input × gradient, SmoothGrad family, Guided Backprop, Deconvnet on models with a known gradient.</summary>
[TestClass]
public sealed class GradientMethodTests
{
    private const int Classes = 4;
    private static readonly long[] ImageShape = [2, 3, 3];

    /// <summary>y = W·flatten(x) + b: ∂y_c/∂x = W[c], independent of x.</summary>
    internal static (OnnxModel Model, float[] W) LinearModel()
    {
        var random = new Random(8);
        var w = Enumerable.Range(0, Classes * 18).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var t = new TestGraph();
        var flat = t.Node("Flatten", [t.Input("x", -1, 2, 3, 3)]);
        var y = t.Node("Gemm", [flat, t.Constant("w", [Classes, 18], w), t.Random("b", [Classes])], AttributeValue.Int("transB", 1));
        return (t.Output(y).Build(), w);
    }

    private static FloatTensor Batch(int rows, int seed = 1) => GradientCheck.RandomTensor(new Random(seed), [rows, .. ImageShape]);

    [TestMethod]
    public void Saliency_and_input_times_gradient_on_a_linear_model()
    {
        var (model, w) = LinearModel();
        var x = Batch(2);
        long[] targets = [3, 1];
        using var signed = new GradientExplainer(model, new GradientOptions { Absolute = false });
        using var absolute = new GradientExplainer(model);
        using var inputX = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.InputXGradient });
        using var reduced = new GradientExplainer(model, new GradientOptions { ReduceChannels = true });
        var s = signed.Explain(x, targets).Attributions;
        var a = absolute.Explain(x, targets).Attributions;
        var ixg = inputX.Explain(x, targets).Attributions;
        var max = reduced.Explain(x, targets).Attributions;
        CollectionAssert.AreEqual(new long[] { 2, 1, 3, 3 }, max.Shape);
        for (int r = 0; r < 2; r++)
        {
            for (int k = 0; k < 18; k++)
            {
                float g = w[(targets[r] * 18) + k];
                Assert.AreEqual(g, s.Data[(r * 18) + k], 1e-6, "signed saliency");
                Assert.AreEqual(Math.Abs(g), a.Data[(r * 18) + k], 1e-6, "absolute saliency");
                Assert.AreEqual(g * x.Data[(r * 18) + k], ixg.Data[(r * 18) + k], 1e-6, "input × gradient");
            }

            for (int p = 0; p < 9; p++)
            {
                float expected = Math.Max(Math.Abs(w[(targets[r] * 18) + p]), Math.Abs(w[(targets[r] * 18) + 9 + p]));
                Assert.AreEqual(expected, max.Data[(r * 9) + p], 1e-6, "max over channels");
            }
        }
    }

    [TestMethod]
    public void SmoothGrad_family_on_a_linear_model_averages_a_constant_gradient()
    {
        var (model, w) = LinearModel();
        var x = Batch(3);
        long[] targets = [0, 2, 3];
        foreach (var method in new[] { GradientMethod.SmoothGrad, GradientMethod.SmoothGradSquared, GradientMethod.VarGrad })
        {
            using var explainer = new GradientExplainer(model, new GradientOptions { Method = method, Samples = 5, NoiseLevel = 0.3, Execution = new ExecutionOptions { BatchSize = 4 } });
            var result = explainer.Explain(x, targets).Attributions;
            for (int r = 0; r < 3; r++)
            {
                for (int k = 0; k < 18; k++)
                {
                    double g = w[(targets[r] * 18) + k];
                    double expected = method switch { GradientMethod.SmoothGrad => g, GradientMethod.SmoothGradSquared => g * g, _ => 0 };
                    Assert.AreEqual(expected, result.Data[(r * 18) + k], 1e-5, $"{method} row {r} element {k}");
                }
            }
        }
    }

    [TestMethod]
    public void SmoothGrad_noise_is_seeded_and_independent_of_batching()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(2);
        FloatTensor Run(int seed, int batchSize)
        {
            using var e = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.SmoothGrad, Samples = 6, Seed = seed, Execution = new ExecutionOptions { BatchSize = batchSize } });
            return e.Explain(x).Attributions;
        }

        var a = Run(7, 12);
        var b = Run(7, 5);
        var c = Run(8, 12);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.AreEqual(a.Data[i], b.Data[i], 1e-5 * Math.Max(1, Math.Abs(a.Data[i])), $"element {i}");
        }

        Assert.IsTrue(a.Data.Zip(c.Data).Any(p => Math.Abs(p.First - p.Second) > 1e-4), "another seed gives other noise");
        // Noise changes the gradient of a ReLU network: SmoothGrad differs from the plain gradient.
        using var plain = new GradientExplainer(model, new GradientOptions { Absolute = false });
        var g = plain.Explain(x).Attributions;
        Assert.IsTrue(a.Data.Zip(g.Data).Any(p => Math.Abs(p.First - p.Second) > 1e-3));
    }

    [TestMethod]
    public void Guided_backprop_and_deconvnet_equal_the_gradient_on_a_network_without_relu()
    {
        var t = new TestGraph(seed: 5);
        var x = t.Input("x", -1, 1, 6, 6);
        var h = t.Node("Tanh", [t.Node("Conv", [x, t.Random("w1", [3, 1, 3, 3]), t.Random("b1", [3])], AttributeValue.Ints("pads", [1, 1, 1, 1]))]);
        h = t.Node("Sigmoid", [t.Node("Conv", [h, t.Random("w2", [4, 3, 3, 3])])]);
        var y = t.Node("Gemm", [t.Node("Flatten", [t.Node("GlobalAveragePool", [h])]), t.Random("fc", [Classes, 4])], AttributeValue.Int("transB", 1));
        var model = t.Output(y).Build();
        var batch = GradientCheck.RandomTensor(new Random(2), [3, 1, 6, 6]);
        using var gradient = new GradientExplainer(model, new GradientOptions { Absolute = false });
        using var guided = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.GuidedBackprop });
        using var deconv = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.Deconvnet });
        var g = gradient.Explain(batch, [0, 1, 2]).Attributions;
        Assert.IsTrue(g.Data.Any(v => Math.Abs(v) > 1e-4));
        foreach (var other in new[] { guided.Explain(batch, [0, 1, 2]).Attributions, deconv.Explain(batch, [0, 1, 2]).Attributions })
        {
            for (int i = 0; i < g.Length; i++)
            {
                Assert.AreEqual(g.Data[i], other.Data[i], 1e-6 + (1e-5 * Math.Abs(g.Data[i])), $"element {i}");
            }
        }
    }

    [TestMethod]
    public void Guided_backprop_and_deconvnet_modify_the_relu_gradient_as_published()
    {
        // y = W·ReLU(x): the gradient is W[c]·[x > 0]; Guided Backprop ReLU(W[c])·[x > 0]; Deconvnet ReLU(W[c]).
        var w = new float[] { 1, -2, 3, -4, 0.5f, -0.5f, /* class 1 */ -1, 2, -3, 4, -0.5f, 0.5f };
        var t = new TestGraph();
        var y = t.Node("Gemm", [t.Node("Relu", [t.Input("x", -1, 6)]), t.Constant("w", [2, 6], w)], AttributeValue.Int("transB", 1));
        var model = t.Output(y).Build();
        var x = new FloatTensor([1, 1, -1, -1, 2, -2, /* row 1 */ -1, 1, 1, -1, 0.5f, 0.5f], 2, 6);
        long[] targets = [0, 1];
        using var plain = new GradientExplainer(model, new GradientOptions { Absolute = false });
        using var guided = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.GuidedBackprop });
        using var deconv = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.Deconvnet });
        var gp = plain.Explain(x, targets).Attributions.Data;
        var gb = guided.Explain(x, targets).Attributions.Data;
        var dc = deconv.Explain(x, targets).Attributions.Data;
        for (int r = 0; r < 2; r++)
        {
            for (int k = 0; k < 6; k++)
            {
                float weight = w[(targets[r] * 6) + k];
                bool open = x.Data[(r * 6) + k] > 0;
                Assert.AreEqual(open ? weight : 0, gp[(r * 6) + k], $"gradient {r},{k}");
                Assert.AreEqual(open ? Math.Max(weight, 0) : 0, gb[(r * 6) + k], $"guided {r},{k}");
                Assert.AreEqual(Math.Max(weight, 0), dc[(r * 6) + k], $"deconvnet {r},{k}");
            }
        }
    }

    [TestMethod]
    public void Guided_GradCam_is_guided_backprop_times_the_upsampled_map_and_batches()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(3);
        using var ggc = new GuidedGradCam(model);
        var combined = ggc.Explain(x, [-1, 2, -1]);
        using var cam = new CamExplainer(model);
        using var guided = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.GuidedBackprop });
        var maps = cam.Explain(x, [-1, 2, -1]).Maps;
        var gb = guided.Explain(x, combined.Targets).Attributions;
        for (int i = 0; i < gb.Length; i++)
        {
            Assert.AreEqual(gb.Data[i] * maps.Data[i], combined.Attributions.Data[i], 1e-6 + (1e-5 * Math.Abs(gb.Data[i])), $"element {i}");
        }

        // Row by row gives the same as the batch (pytorch-grad-cam's Guided Backprop handles one image at a time).
        var single = ggc.Explain(x.Rows(1, 1), [2]);
        for (int i = 0; i < 784; i++)
        {
            Assert.AreEqual(combined.Attributions.Data[784 + i], single.Attributions.Data[i], 1e-5 * Math.Max(1, Math.Abs(single.Attributions.Data[i])));
        }
    }

    [TestMethod]
    public void Bad_inputs_are_refused_by_gradient_explainers()
    {
        var (model, _) = LinearModel();
        using var saliency = new GradientExplainer(model);
        using var ig = new IntegratedGradients(model);
        var x = Batch(3);
        Assert.ThrowsExactly<InputMismatchException>(() => saliency.Explain(x, [0, 4, 1]));
        Assert.ThrowsExactly<InputMismatchException>(() => ig.Explain(x, [0, 1]));
        x.Data[20] = float.NegativeInfinity;
        Assert.AreEqual(1, Assert.ThrowsExactly<NonFiniteInputException>(() => saliency.Explain(x)).Row);
        Assert.AreEqual(1, Assert.ThrowsExactly<NonFiniteInputException>(() => ig.Explain(x)).Row);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GradientExplainer(model, new GradientOptions { Method = GradientMethod.VarGrad, Samples = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new IntegratedGradients(model, new IntegratedGradientsOptions { Rule = IntegrationRule.RiemannTrapezoid, Steps = 1 }));
        using var badBaseline = new IntegratedGradients(model, new IntegratedGradientsOptions { Baseline = FloatTensor.Zeros(2, 2, 3, 3) });
        Assert.ThrowsExactly<InputMismatchException>(() => badBaseline.Explain(Batch(3)));
    }
}
