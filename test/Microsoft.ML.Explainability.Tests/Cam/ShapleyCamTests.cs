using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Cam;

/// <summary>Shapley-CAM through the registry: w = mean(G − ½·H·A), with H·A from reverse over reverse.</summary>
[TestClass]
public sealed class ShapleyCamTests
{
    /// <summary>
    /// The fixture CNN reaches its logits from the last convolution through ReLU, pooling and Gemm only, so the Hessian
    /// of a logit with respect to that layer is 0 and Shapley-CAM must equal Grad-CAM (as pytorch-grad-cam's does,
    /// where the unused Hessian becomes 0).
    /// </summary>
    [TestMethod]
    public void OnAPiecewiseLinearHeadShapleyCamEqualsGradCam()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var batch = TestAssets.FashionMnistBatch(3);
        using var shapley = new CamExplainer(model, new CamOptions { Method = ExplanationMethods.ShapleyCam });
        using var gradCam = new CamExplainer(model, new CamOptions { Method = ExplanationMethods.GradCam, TargetLayer = shapley.Layer.Name });
        var a = shapley.Explain(batch, [1, 4, -1]);
        var b = gradCam.Explain(batch, [1, 4, -1]);
        CollectionAssert.AreEqual(b.Targets, a.Targets);
        for (int i = 0; i < a.RawMaps.Data.Length; i++)
        {
            Assert.AreEqual(b.RawMaps.Data[i], a.RawMaps.Data[i], 1e-5 * (1 + Math.Abs(b.RawMaps.Data[i])), $"raw map element {i}");
        }
    }
}
