using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Hardening;

/// <summary>A finite but huge input (every pixel 3e38) overflows the fixture CNN's logits to NaN: refused naming row and stage.</summary>
[TestClass]
public sealed class NonFiniteOutputTests
{
    private static FloatTensor CleanThenHuge()
    {
        var batch = TestAssets.FashionMnistBatch(2);
        batch.Row(1).Fill(3e38f);
        return batch;
    }

    [TestMethod]
    public void Gradient_methods_refuse_the_row_whose_forward_output_overflows()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        using var explainer = new GradientExplainer(model);
        var e = Assert.ThrowsExactly<NonFiniteResultException>(() => explainer.Explain(CleanThenHuge()));
        Assert.AreEqual(1, e.Row);
        Assert.AreEqual(ComputationStage.ForwardOutput, e.Stage);
        Assert.AreEqual("logits", e.Tensor);
        StringAssert.Contains(e.Message, "Row 1");

        // The clean row alone is explained.
        Assert.AreEqual(1, explainer.Explain(TestAssets.FashionMnistBatch(1)).Attributions.BatchSize);
    }

    [TestMethod]
    public void Cam_and_perturbation_methods_refuse_it_too()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        using (var cam = new CamExplainer(model))
        {
            var e = Assert.ThrowsExactly<NonFiniteResultException>(() => cam.Explain(CleanThenHuge()));
            Assert.AreEqual(1, e.Row);
        }

        using var rise = new Rise(model, new RiseOptions { Masks = 4 });
        var f = Assert.ThrowsExactly<NonFiniteResultException>(() => rise.Explain(CleanThenHuge()));
        Assert.AreEqual(1, f.Row);
        Assert.AreEqual(ComputationStage.ForwardOutput, f.Stage);
    }

    [TestMethod]
    public void The_gradient_session_names_a_non_finite_gradient()
    {
        // y = x · w with w = 3e38: y finite for x = 1e-38, but ∂y/∂x·seed = w · 10 overflows to +∞ for a seed of 10.
        var g = new TestGraph();
        var y = g.Node("Mul", [g.Input("x", -1, 2), g.Constant("w", [2], [3e38f, 1f])]);
        g.Output(y);
        var gradientModel = GradientModel.Build(g.Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        using var session = new GradientSession(gradientModel);
        var x = new FloatTensor([1e-38f, 1f, 1e-38f, 1f], 2, 2);
        var seed = new FloatTensor([1f, 1f, 10f, 1f], 2, 2);
        var e = Assert.ThrowsExactly<NonFiniteResultException>(() => session.Run(x, seed));
        Assert.AreEqual(ComputationStage.Gradient, e.Stage);
        Assert.AreEqual(1, e.Row);
        Assert.AreEqual("x", e.Tensor);
    }

    [TestMethod]
    public void A_map_that_overflows_is_refused_at_the_map_stage()
    {
        // y = x · 1e20: output and gradient (1e20) are finite, but SmoothGrad² averages g² = 1e40, beyond float32.
        var g = new TestGraph();
        var y = g.Node("Mul", [g.Input("x", -1, 2), g.Constant("w", [2], [1e20f, 1f])]);
        g.Output(y);
        using var explainer = new GradientExplainer(g.Build(), new GradientOptions { Method = GradientMethod.SmoothGradSquared, Samples = 2 });
        var e = Assert.ThrowsExactly<NonFiniteResultException>(() => explainer.Explain(new FloatTensor([1f, 2f, 1f, 2f], 2, 2), [1, 0]));
        Assert.AreEqual(ComputationStage.Map, e.Stage);
        Assert.AreEqual(1, e.Row, "row 0 explains class 1 (gradient 1), row 1 class 0 (gradient 1e20)");
    }
}
