using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Attribution;

/// <summary>Integrated gradients: quadrature, exactness on a linear model, completeness on the fixture CNN.</summary>
[TestClass]
public sealed class IntegratedGradientsTests
{
    [TestMethod]
    public void Gauss_Legendre_nodes_and_weights_are_the_textbook_ones()
    {
        var (a2, w2) = Quadrature.GaussLegendre(2);
        Assert.AreEqual((1 - (1 / Math.Sqrt(3))) / 2, a2[0], 1e-14);
        Assert.AreEqual((1 + (1 / Math.Sqrt(3))) / 2, a2[1], 1e-14);
        Assert.AreEqual(0.5, w2[0], 1e-14);
        var (a3, w3) = Quadrature.GaussLegendre(3);
        Assert.AreEqual((1 - Math.Sqrt(0.6)) / 2, a3[0], 1e-14);
        Assert.AreEqual(0.5, a3[1], 1e-14);
        Assert.AreEqual(4.0 / 9, w3[1], 1e-14);
        Assert.AreEqual(5.0 / 18, w3[2], 1e-14);
        // n nodes integrate degree 2n − 1 exactly: ∫₀¹ α⁹ = 0.1 with 5 nodes; weights sum to 1 for 50.
        var (a5, w5) = Quadrature.GaussLegendre(5);
        Assert.AreEqual(0.1, a5.Zip(w5, (a, w) => w * Math.Pow(a, 9)).Sum(), 1e-14);
        Assert.AreEqual(1, Quadrature.GaussLegendre(50).Weights.Sum(), 1e-13);
        var (t, tw) = Quadrature.Trapezoid(5);
        CollectionAssert.AreEqual(new[] { 0, 0.25, 0.5, 0.75, 1 }, t);
        CollectionAssert.AreEqual(new[] { 0.125, 0.25, 0.25, 0.25, 0.125 }, tw);
    }

    [TestMethod]
    [DataRow(IntegrationRule.GaussLegendre, 1)]
    [DataRow(IntegrationRule.RiemannTrapezoid, 2)]
    public void On_a_linear_model_attributions_are_the_weight_times_the_input_difference(IntegrationRule rule, int steps)
    {
        var (model, w) = GradientMethodTests.LinearModel();
        var x = GradientCheck.RandomTensor(new Random(4), [2, 2, 3, 3]);
        var baseline = GradientCheck.RandomTensor(new Random(5), [1, 2, 3, 3]);
        using var ig = new IntegratedGradients(model, new IntegratedGradientsOptions { Rule = rule, Steps = steps, Baseline = baseline });
        var result = ig.Explain(x, [1, 3]);
        for (int r = 0; r < 2; r++)
        {
            for (int k = 0; k < 18; k++)
            {
                double expected = w[(result.Targets![r] * 18) + k] * (x.Data[(r * 18) + k] - baseline.Data[k]);
                Assert.AreEqual(expected, result.Attributions.Data[(r * 18) + k], 1e-5, $"row {r} element {k}");
            }

            Assert.AreEqual(0, result.ConvergenceDelta![r], 1e-4);
        }
    }

    /// <remarks>
    /// Along the path the gradient of a ReLU/MaxPool network is piecewise constant, so every rule converges only as
    /// O(1/n) at the kinks: with the black-image baseline Gauss–Legendre stays within 1% at 64 steps; with the zero baseline
    /// (smaller differences f(x) − f(b), down to ~1.2) one of four rows misses by 1.5% at 64 steps and needs 128; the
    /// trapezoid rule misses by 1.4% at 64 steps and needs ~256.
    /// </remarks>
    [TestMethod]
    [DataRow(IntegrationRule.GaussLegendre, 64, true)]
    [DataRow(IntegrationRule.GaussLegendre, 128, false)]
    [DataRow(IntegrationRule.RiemannTrapezoid, 256, true)]
    public void Attributions_are_complete_within_one_percent_on_the_fixture_cnn(IntegrationRule rule, int steps, bool blackBaseline)
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(4);
        // Baseline: a black image (−0.8102 after normalisation) or zeros (the default); targets: predicted ones.
        var black = new FloatTensor(Enumerable.Repeat(blackBaseline ? (0 - TestAssets.Mean) / TestAssets.Std : 0f, 784).ToArray(), 1, 1, 28, 28);
        using var ig = new IntegratedGradients(model, new IntegratedGradientsOptions { Steps = steps, Rule = rule, Baseline = blackBaseline ? black : null, Execution = new ExecutionOptions { BatchSize = 128 } });
        var result = ig.Explain(x);

        // f(x) and f(baseline) from a plain ONNX Runtime forward pass, independent of the explainer.
        using var forward = new Forward(model);
        var fx = forward.Run("logits", new Dictionary<string, FloatTensor> { ["input"] = x });
        var fb = forward.Run("logits", new Dictionary<string, FloatTensor> { ["input"] = black });
        for (int r = 0; r < 4; r++)
        {
            var logits = fx.Row(r).ToArray();
            long target = Array.IndexOf(logits, logits.Max());
            Assert.AreEqual(target, result.Targets![r]);
            double difference = logits[target] - fb.Data[target];
            double total = result.Attributions.Row(r).ToArray().Sum(v => (double)v);
            Console.WriteLine($"{rule} {steps} steps, black baseline {blackBaseline}, row {r}: Σ IG = {total:G6}, f(x) − f(b) = {difference:G6}");
            Assert.AreEqual(difference, total, 0.01 * Math.Abs(difference), $"row {r}: Σ attributions {total} vs f(x) − f(b) {difference}");
            Assert.AreEqual(total - difference, result.ConvergenceDelta![r], 1e-3 * Math.Abs(difference));
        }
    }
}
