using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Cam;

/// <summary>The issue-16 CAM methods on the fixture ResNet: where their maximum falls on 100 Fashion-MNIST test images.</summary>
[TestClass]
public sealed class NewCamFixtureTests
{
    /// <summary>Share of the 100 images whose upsampled map's arg-max pixel or one of its 8 neighbours is a garment pixel (as the Grad-CAM test counts it).</summary>
    internal static int WithinOnePixel(FloatTensor maps, byte[][] images)
    {
        int within = 0;
        for (int r = 0; r < maps.BatchSize; r++)
        {
            var map = maps.Row(r);
            int best = 0;
            for (int p = 1; p < map.Length; p++)
            {
                best = map[p] > map[best] ? p : best;
            }

            bool near = false;
            for (int i = Math.Max(0, (best / 28) - 1); i <= Math.Min(27, (best / 28) + 1); i++)
            {
                for (int j = Math.Max(0, (best % 28) - 1); j <= Math.Min(27, (best % 28) + 1); j++)
                {
                    near |= images[r][(i * 28) + j] > 0;
                }
            }

            within += near ? 1 : 0;
        }

        return within;
    }

    /// <remarks>
    /// IS-CAM (10·64 forward passes per image) and SS-CAM (35·64) are measured but not run here, to keep the suite fast:
    /// on 100 images they reached 98/100 (106 s) and 99/100 (334 s) on 2 cores; they run on two images of every fixture
    /// in CamExplainerTests.Every_cam_method_runs_on_the_fixture_models.
    /// </remarks>
    [TestMethod]
    [DataRow("kpca-cam")]
    [DataRow("fem")]
    [DataRow("finer-cam")]
    [DataRow("smooth-grad-cam-plus-plus")]
    [DataRow("seg-eigen-cam")]
    [DataRow("refine-cam")]
    [DataRow("shapley-cam")]
    public void Maximum_lies_within_one_pixel_of_the_garment_on_the_fixture_resnet(string name)
    {
        var (images, _) = TestAssets.FashionMnist(100);
        using var cam = new CamExplainer(OnnxModel.Load(TestAssets.ModelPath("fmnist_resnet.onnx")), new CamOptions { Method = ExplanationMethods.Find(name), Execution = new ExecutionOptions { BatchSize = 256 } });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        int within = WithinOnePixel(cam.Explain(TestAssets.FashionMnistBatch(100)).Maps, images);
        Console.WriteLine($"{name}: maximum within 1 px of the garment for {within}/100 images ({watch.Elapsed.TotalSeconds:F1} s, layer {cam.Layer})");
        Assert.IsGreaterThanOrEqualTo(90, within, $"{name}: maximum within a pixel of the object for only {within}/100 images.");
    }

    /// <summary>
    /// Grad-CAM (mean) and RefineCAM (product) over the last two stages of the fixture ResNet (14×14 and 7×7). Grad-CAM
    /// reaches 97/100 (each layer alone 94 and 95). RefineCAM does not reach 90: its base method, Grad-CAM++, puts the
    /// 14×14 layer's maximum near the garment for only 23/100 images (98 at 7×7), and the product keeps 76/100 — the 7×7
    /// layer denoises the 14×14 one, which is what RefineCAM claims, so that is what is asserted for it.
    /// </summary>
    [TestMethod]
    [DataRow("grad-cam")]
    [DataRow("refine-cam")]
    public void Maximum_of_a_two_layer_cam_lies_within_one_pixel_of_the_garment(string name)
    {
        var (images, _) = TestAssets.FashionMnist(100);
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_resnet.onnx"));
        var automatic = TargetLayers.Automatic(model);
        var finer = TargetLayers.List(model).Last(l => l.Height > automatic.Height);
        using var cam = new CamExplainer(model, new CamOptions { Method = ExplanationMethods.Find(name), TargetLayers = [finer.Name, automatic.Name], Execution = new ExecutionOptions { BatchSize = 256 } });
        var result = cam.Explain(TestAssets.FashionMnistBatch(100));
        CollectionAssert.AreEqual(new long[] { 100, finer.Height, finer.Width }, result.LayerRawMaps[0].Shape);
        int within = WithinOnePixel(result.Maps, images);
        var perLayer = result.LayerRawMaps.Select(raw => WithinOnePixel(CamMaps.PostProcess(raw, 28, 28), images)).ToArray();
        Console.WriteLine($"{name} over {finer.Name} ({finer.Height}×{finer.Width}) and {automatic.Name}: maximum within 1 px of the garment for {within}/100 images (each layer alone: {string.Join(", ", perLayer)})");
        if (name == "refine-cam")
        {
            Assert.IsTrue(within > perLayer[0] + 30, $"RefineCAM: the product ({within}/100) should beat its 14×14 layer alone ({perLayer[0]}/100) clearly.");
        }
        else
        {
            Assert.IsGreaterThanOrEqualTo(90, within, $"{name}: maximum within a pixel of the object for only {within}/100 images.");
        }
    }
}
