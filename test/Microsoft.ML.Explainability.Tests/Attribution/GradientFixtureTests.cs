using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Attribution;

/// <summary>Every gradient method, integrated gradients and Guided Grad-CAM on the four fixture models: shapes and value ranges.</summary>
[TestClass]
public sealed class GradientFixtureTests
{
    [TestMethod]
    [DataRow("fmnist_cnn.onnx")]
    [DataRow("fmnist_resnet.onnx")]
    [DataRow("fmnist_mobilenet.onnx")]
    [DataRow("fmnist_deit.onnx")]
    public void Every_gradient_method_runs_on_the_fixture_models(string file)
    {
        var model = OnnxModel.Load(TestAssets.ModelPath(file));
        var x = TestAssets.FashionMnistBatch(2);
        long[] targets = [-1, 3]; // class 3 for a pullover: a plausible class with positive Grad-CAM evidence (for an implausible one the map may be all ≤ 0)
        var execution = new ExecutionOptions { BatchSize = 16 };
        try
        {
            foreach (var method in Enum.GetValues<GradientMethod>())
            {
                using var explainer = new GradientExplainer(model, new GradientOptions { Method = method, Samples = 4, Execution = execution });
                var result = explainer.Explain(x, targets);
                Check(result, x, $"{file} {method}");
                if (method is GradientMethod.Saliency or GradientMethod.SmoothGradSquared)
                {
                    Assert.IsTrue(result.Attributions.Data.All(v => v >= 0), $"{file} {method}: negative values");
                }

                if (method == GradientMethod.VarGrad)
                {
                    Assert.IsTrue(result.Attributions.Data.All(v => v >= -1e-6f), $"{file} {method}: negative variance");
                }
            }

            using var ig = new IntegratedGradients(model, new IntegratedGradientsOptions { Steps = 8, Execution = execution });
            var igResult = ig.Explain(x, targets);
            Check(igResult, x, $"{file} IG");
            Assert.IsTrue(igResult.ConvergenceDelta!.All(float.IsFinite));

            using var ggc = new GuidedGradCam(model);
            Check(ggc.Explain(x, targets), x, $"{file} Guided Grad-CAM");
        }
        catch (UnsupportedOperatorException e) when (file == "fmnist_deit.onnx")
        {
            Assert.Inconclusive($"{file}: backward rule missing ({e.OpType}).");
        }
    }

    private static void Check(AttributionResult result, FloatTensor x, string what)
    {
        CollectionAssert.AreEqual(x.Shape, result.Attributions.Shape, what);
        Assert.AreEqual(3L, result.Targets![1], what);
        Assert.IsTrue(result.Targets[0] is >= 0 and < 10, what);
        Assert.IsTrue(result.Attributions.Data.All(float.IsFinite), $"{what}: non-finite attributions");
        for (int r = 0; r < 2; r++)
        {
            Assert.IsTrue(result.Attributions.Row(r).ToArray().Any(v => v != 0), $"{what}: row {r} is all zeros");
        }
    }
}
