using System.Diagnostics;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Attribution;

/// <summary>
/// Every attribution method on the CNTK ResNet-18 featurizer (opset 8, batch fixed at 1 in the file, input
/// Input247 [1, 3, 224, 224], output Pooling395_Output_0 [1, 512, 1, 1]): batch 2, the target one output feature
/// given as a seed; output shapes, value ranges and finiteness.
/// </summary>
[TestClass]
public sealed class ResNet18FeaturizerTests
{
    private const int Size = 224;

    /// <summary>Two structured images in the featurizer's 0–255 range: a bright square (left / right) on a noisy darker background.</summary>
    private static FloatTensor Images()
    {
        var random = new Random(17);
        var data = new float[2 * 3 * Size * Size];
        for (int r = 0; r < 2; r++)
        {
            int x0 = r == 0 ? 30 : 120;
            for (int c = 0; c < 3; c++)
            {
                for (int y = 0; y < Size; y++)
                {
                    for (int x = 0; x < Size; x++)
                    {
                        bool square = y is >= 60 and < 160 && x >= x0 && x < x0 + 80;
                        data[(((((r * 3) + c) * Size) + y) * Size) + x] = (square ? 200f + (c * 20) : 40f) + (float)(random.NextDouble() * 30);
                    }
                }
            }
        }

        return new FloatTensor(data, 2, 3, Size, Size);
    }

    [TestMethod]
    public void Every_method_runs_on_the_ResNet18_featurizer_with_one_output_feature_as_target()
    {
        var model = OnnxModel.Load(TestAssets.ResNet18Path);
        Assert.AreEqual(8, model.Opset);
        var x = Images();

        // Target: per row, the feature with the largest value (so the explained score is not a dead ReLU channel).
        using var forward = new Forward(GradientModel.Prepare(model));
        var features = forward.Run("Pooling395_Output_0", new Dictionary<string, FloatTensor> { ["Input247"] = x });
        CollectionAssert.AreEqual(new long[] { 2, 512, 1, 1 }, features.Shape);
        var seed = FloatTensor.Zeros(2, 512, 1, 1);
        for (int r = 0; r < 2; r++)
        {
            var row = features.Row(r).ToArray();
            seed[r, Array.IndexOf(row, row.Max()), 0, 0] = 1;
        }

        var execution = new ExecutionOptions { BatchSize = 64 };
        var clock = Stopwatch.StartNew();
        void Log(string what) => Console.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");

        // CAM family at the automatic layer (the last 7×7 block, 512 channels): Grad-CAM end to end through CamExplainer;
        // the other gradient weightings from the same activations and gradients through CamMaps (CamExplainer's own
        // arithmetic), which saves a shape probe and a session per method.
        using (var gradCam = new CamExplainer(model, new CamOptions { Execution = execution }))
        {
            Assert.AreEqual("ReLU393_Output_0", gradCam.Layer.Name);
            var camResult = gradCam.Explain(x, seed);
            CheckCam(camResult.Maps, camResult.RawMaps, camResult.Targets, 7, "GradCam");
            using var session = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = "Pooling395_Output_0", Seed = SeedKind.Given, WithRespectTo = [gradCam.Layer.Name], Activations = [gradCam.Layer.Name] }), execution);
            var layerResult = session.Run(x, seed);
            var a = layerResult.Outputs[gradCam.Layer.Name];
            var g = layerResult.Gradients[gradCam.Layer.Name];
            var gradCamAgain = CamMaps.Raw(ExplanationMethods.GradCam, a, g);
            for (int i = 0; i < gradCamAgain.Length; i++)
            {
                Assert.AreEqual(camResult.RawMaps.Data[i], gradCamAgain.Data[i], 1e-4 * Math.Max(1, Math.Abs(gradCamAgain.Data[i])), "CamExplainer and CamMaps agree");
            }

            foreach (var method in ExplanationMethods.All.Where(m => m.Family == MethodFamily.Cam && m != ExplanationMethods.GradCam && m != ExplanationMethods.RandomCam && !m.CreateWeighting().RunsModel))
            {
                var raw = CamMaps.Raw(method, a, g);
                CheckCam(CamMaps.PostProcess(raw, Size, Size), raw, null, 7, method.ToString());
            }

            Log("CAM gradient weightings and Eigen-CAM");
        }

        // Score-CAM and Ablation-CAM need one forward pass per channel and image: 512 per image at the automatic layer.
        // To stay fast they run at the end of the first stage (64 channels, 56×56) on the first image: 64 passes each.
        foreach (var method in new[] { ExplanationMethods.ScoreCam, ExplanationMethods.AblationCam })
        {
            using var cam = new CamExplainer(model, new CamOptions { Method = method, TargetLayer = "ReLU283_Output_0", Execution = execution });
            Assert.AreEqual(64, cam.Layer.Channels, $"{method}: the 64-channel layer keeps this test fast");
            var result = cam.Explain(x.Rows(0, 1), seed.Rows(0, 1));
            CheckCam(result.Maps, result.RawMaps, result.Targets, 56, method.ToString(), rows: 1);
            Log(method.ToString());
        }

        foreach (var method in Enum.GetValues<GradientMethod>())
        {
            using var explainer = new GradientExplainer(model, new GradientOptions { Method = method, Samples = 2, Execution = execution });
            var result = explainer.Explain(x, seed);
            CheckAttributions(result, x.Shape, method.ToString());
            if (method is GradientMethod.Saliency or GradientMethod.SmoothGradSquared)
            {
                Assert.IsTrue(result.Attributions.Data.All(v => v >= 0), $"{method}: negative values");
            }

            Log(method.ToString());
        }

        using (var ig = new IntegratedGradients(model, new IntegratedGradientsOptions { Steps = 2, Execution = execution }))
        {
            var result = ig.Explain(x, seed);
            CheckAttributions(result, x.Shape, "integrated gradients");
            Assert.IsTrue(result.ConvergenceDelta!.All(float.IsFinite));
            Log("integrated gradients");
        }

        using (var guidedGradCam = new GuidedGradCam(model, new CamOptions { Execution = execution }))
        {
            CheckAttributions(guidedGradCam.Explain(x, seed), x.Shape, "Guided Grad-CAM");
            Log("Guided Grad-CAM");
        }

        using (var fullGrad = new FullGrad(model, new FullGradOptions { Execution = execution }))
        {
            Assert.IsGreaterThanOrEqualTo(20, fullGrad.Layers.Count, "ResNet-18 has 20 BatchNormalization layers");
            var result = fullGrad.Explain(x, seed);
            CollectionAssert.AreEqual(new long[] { 2, Size, Size }, result.Maps.Shape);
            Assert.IsNull(result.Targets);
            Assert.IsTrue(result.RawMaps.Data.All(v => float.IsFinite(v) && v >= 0), "FullGrad: raw maps finite and non-negative");
            for (int r = 0; r < 2; r++)
            {
                var map = result.Maps.Row(r).ToArray();
                Assert.IsTrue(map.All(v => v is >= 0 and <= 1), $"FullGrad row {r}: map outside [0, 1]");
                Assert.IsGreaterThan(0.99f, map.Max(), $"FullGrad row {r}");
            }

            Log("FullGrad");
        }

        using (var occlusion = new Occlusion(model, new OcclusionOptions { WindowHeight = 112, WindowWidth = 112, StrideY = 112, StrideX = 112, Execution = execution }))
        {
            CheckAttributions(occlusion.Explain(x, seed), x.Shape, "occlusion");
            Log("occlusion");
        }

        using (var rise = new Rise(model, new RiseOptions { Masks = 8, Execution = execution }))
        {
            var result = rise.Explain(x, seed);
            CheckAttributions(result, [2, 1, Size, Size], "RISE");
            Log("RISE");
        }
    }

    private static void CheckCam(FloatTensor maps, FloatTensor raw, long[]? targets, int grid, string what, int rows = 2)
    {
        CollectionAssert.AreEqual(new long[] { rows, Size, Size }, maps.Shape, what);
        CollectionAssert.AreEqual(new long[] { rows, grid, grid }, raw.Shape, what);
        Assert.IsNull(targets, $"{what}: a seed has no class targets");
        Assert.IsTrue(raw.Data.All(float.IsFinite), $"{what}: non-finite raw map");
        Assert.IsTrue(maps.Data.All(v => v is >= 0 and <= 1), $"{what}: map outside [0, 1]");
        for (int r = 0; r < rows; r++)
        {
            Assert.IsGreaterThan(0.9f, maps.Row(r).ToArray().Max(), $"{what} row {r}: the normalised map should reach ~1");
        }
    }

    private static void CheckAttributions(AttributionResult result, long[] shape, string what)
    {
        CollectionAssert.AreEqual(shape, result.Attributions.Shape, what);
        Assert.IsNull(result.Targets, $"{what}: a seed has no class targets");
        Assert.AreEqual(2, result.TargetScores.Length, what);
        Assert.IsTrue(result.TargetScores.All(s => float.IsFinite(s) && s > 0), $"{what}: the explained feature is positive");
        Assert.IsTrue(result.Attributions.Data.All(float.IsFinite), $"{what}: non-finite attributions");
        for (int r = 0; r < 2; r++)
        {
            Assert.IsTrue(result.Attributions.Row(r).ToArray().Any(v => v != 0), $"{what}: row {r} is all zeros");
        }
    }
}
