using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Attribution;

/// <summary>CamExplainer end to end: the CAM identity on a GAP + linear head, fixture models, target layers, bad inputs.</summary>
[TestClass]
public sealed class CamExplainerTests
{
    private const int Cin = 2, Cout = 4, Size = 5, Classes = 3;

    /// <summary>Conv(3×3, pad 1) → Relu → GlobalAveragePool → Flatten → Gemm(transB), with the weights returned for an independent computation.</summary>
    private static (OnnxModel Model, float[] ConvW, float[] ConvB, float[] Fc, float[] FcB) GapLinearModel()
    {
        var random = new Random(21);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var convW = Values(Cout * Cin * 9);
        var convB = Values(Cout);
        var fc = Values(Classes * Cout);
        var fcB = Values(Classes);
        var t = new TestGraph();
        var x = t.Input("x", -1, Cin, Size, Size);
        var conv = t.Node("Conv", [x, t.Constant("w", [Cout, Cin, 3, 3], convW), t.Constant("b", [Cout], convB)], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var relu = t.Node("Relu", [conv]);
        var gap = t.Node("GlobalAveragePool", [relu]);
        var flat = t.Node("Flatten", [gap]);
        var logits = t.Node("Gemm", [flat, t.Constant("fc", [Classes, Cout], fc), t.Constant("fcb", [Classes], fcB)], AttributeValue.Int("transB", 1));
        return (t.Output(logits).Build(), convW, convB, fc, fcB);
    }

    /// <summary>ReLU(conv(x)) computed directly: [N, Cout, Size, Size].</summary>
    private static double[] Activations(FloatTensor x, float[] w, float[] b)
    {
        int n = x.BatchSize;
        var a = new double[n * Cout * Size * Size];
        for (int r = 0; r < n; r++)
        {
            for (int o = 0; o < Cout; o++)
            {
                for (int i = 0; i < Size; i++)
                {
                    for (int j = 0; j < Size; j++)
                    {
                        double s = b[o];
                        for (int c = 0; c < Cin; c++)
                        {
                            for (int di = 0; di < 3; di++)
                            {
                                for (int dj = 0; dj < 3; dj++)
                                {
                                    int y = i + di - 1, z = j + dj - 1;
                                    if (y >= 0 && y < Size && z >= 0 && z < Size)
                                    {
                                        s += w[(((((o * Cin) + c) * 3) + di) * 3) + dj] * x[r, c, y, z];
                                    }
                                }
                            }
                        }

                        a[(((((r * Cout) + o) * Size) + i) * Size) + j] = Math.Max(0, s);
                    }
                }
            }
        }

        return a;
    }

    [TestMethod]
    public void GradCam_equals_CAM_on_a_global_average_pool_linear_head()
    {
        var (model, convW, convB, fc, fcB) = GapLinearModel();
        var x = GradientCheck.RandomTensor(new Random(3), [3, Cin, Size, Size]);
        var a = Activations(x, convW, convB);
        int cells = Size * Size;
        using var cam = new CamExplainer(model);
        Assert.AreEqual("Relu_1_out0", cam.Layer.Name, "automatic choice: the last grid before the GAP");

        foreach (var targets in new long[]?[] { [2, 0, 1], null })
        {
            var result = cam.Explain(x, targets);
            for (int r = 0; r < 3; r++)
            {
                // Expected class: the given one, or argmax of the logits fc·mean(A) + b computed here.
                var logits = Enumerable.Range(0, Classes).Select(c => fcB[c] + Enumerable.Range(0, Cout).Sum(k => fc[(c * Cout) + k] * Enumerable.Range(0, cells).Average(p => a[(((r * Cout) + k) * cells) + p]))).ToArray();
                long target = targets?[r] ?? Array.IndexOf(logits, logits.Max());
                Assert.AreEqual(target, result.Targets![r], $"row {r} target");
                for (int p = 0; p < cells; p++)
                {
                    double expected = Enumerable.Range(0, Cout).Sum(k => fc[(target * Cout) + k] * a[(((r * Cout) + k) * cells) + p]) / cells;
                    Assert.AreEqual(expected, result.RawMaps.Data[(r * cells) + p], 1e-5 + (1e-4 * Math.Abs(expected)), $"row {r} cell {p}");
                }
            }

            CollectionAssert.AreEqual(new long[] { 3, Size, Size }, result.RawMaps.Shape);
            CollectionAssert.AreEqual(new long[] { 3, Size, Size }, result.Maps.Shape);
        }
    }

    /// <summary>Logits of the GAP + linear model computed directly from its activations [N, Cout, Size, Size].</summary>
    private static double[] Logits(double[] a, int row, float[] fc, float[] fcB)
    {
        int cells = Size * Size;
        return Enumerable.Range(0, Classes).Select(c => fcB[c] + Enumerable.Range(0, Cout).Sum(k => fc[(c * Cout) + k] * Enumerable.Range(0, cells).Average(p => a[(((row * Cout) + k) * cells) + p]))).ToArray();
    }

    [TestMethod]
    public void ScoreCam_and_AblationCam_weights_match_a_direct_computation()
    {
        // The layer is 5×5 like the input, so Score-CAM's aligned-corner upsampling is the identity.
        var (model, convW, convB, fc, fcB) = GapLinearModel();
        var x = GradientCheck.RandomTensor(new Random(6), [2, Cin, Size, Size]);
        var a = Activations(x, convW, convB);
        int cells = Size * Size;
        long[] targets = [0, 2];
        using var score = new CamExplainer(model, new CamOptions { Method = ExplanationMethods.ScoreCam, Execution = new ExecutionOptions { BatchSize = 3 } });
        using var ablation = new CamExplainer(model, new CamOptions { Method = ExplanationMethods.AblationCam, Execution = new ExecutionOptions { BatchSize = 3 } });
        var scoreMaps = score.Explain(x, targets).RawMaps;
        var ablationMaps = ablation.Explain(x, targets).RawMaps;
        for (int r = 0; r < 2; r++)
        {
            int c = (int)targets[r];
            double y = Logits(a, r, fc, fcB)[c];
            var scoreWeights = new double[Cout];
            var ablationWeights = new double[Cout];
            double rowMin = Enumerable.Range(0, Cout * cells).Min(i => a[(r * Cout * cells) + i]);
            for (int k = 0; k < Cout; k++)
            {
                var ak = Enumerable.Range(0, cells).Select(p => a[(((r * Cout) + k) * cells) + p]).ToArray();
                double min = ak.Min(), max = ak.Max();
                var masked = new float[Cin * cells];
                for (int ch = 0; ch < Cin; ch++)
                {
                    for (int p = 0; p < cells; p++)
                    {
                        masked[(ch * cells) + p] = (float)(x.Data[(((r * Cin) + ch) * cells) + p] * ((ak[p] - min) / (max - min + 1e-8)));
                    }
                }

                scoreWeights[k] = Logits(Activations(new FloatTensor(masked, 1, Cin, Size, Size), convW, convB), 0, fc, fcB)[c];
                // Ablation: channel k replaced by 0 (ReLU layer with a zero minimum) or by min − 1e7.
                double fill = rowMin == 0 ? 0 : rowMin - 1e7;
                double ablated = y + (fc[(c * Cout) + k] * (fill - ak.Average()));
                ablationWeights[k] = (y - ablated) / y;
            }

            double top = scoreWeights.Max();
            var exp = scoreWeights.Select(v => Math.Exp(v - top)).ToArray();
            scoreWeights = exp.Select(v => v / exp.Sum()).ToArray();
            for (int p = 0; p < cells; p++)
            {
                double expectedScore = Enumerable.Range(0, Cout).Sum(k => scoreWeights[k] * a[(((r * Cout) + k) * cells) + p]);
                double expectedAblation = Enumerable.Range(0, Cout).Sum(k => ablationWeights[k] * a[(((r * Cout) + k) * cells) + p]);
                Assert.AreEqual(expectedScore, scoreMaps.Data[(r * cells) + p], 1e-4 * Math.Max(1, Math.Abs(expectedScore)), $"Score-CAM row {r} cell {p}");
                Assert.AreEqual(expectedAblation, ablationMaps.Data[(r * cells) + p], 1e-3 * Math.Max(1, Math.Abs(expectedAblation)), $"Ablation-CAM row {r} cell {p}");
            }
        }
    }

    [TestMethod]
    public void A_given_seed_equal_to_a_one_hot_row_gives_the_class_explanation()
    {
        var (model, _, _, _, _) = GapLinearModel();
        var x = GradientCheck.RandomTensor(new Random(4), [2, Cin, Size, Size]);
        using var cam = new CamExplainer(model, new CamOptions { Method = ExplanationMethods.LayerCam });
        var byClass = cam.Explain(x, [1, 2]);
        var seed = new FloatTensor([0, 1, 0, 0, 0, 1], 2, Classes);
        var bySeed = cam.Explain(x, seed);
        Assert.IsNull(bySeed.Targets);
        for (int i = 0; i < byClass.RawMaps.Length; i++)
        {
            Assert.AreEqual(byClass.RawMaps.Data[i], bySeed.RawMaps.Data[i], 1e-6);
        }
    }

    /// <remarks>
    /// "On the object" is checked two ways. Strictly, the upsampled map's arg-max pixel has a raw value &gt; 0: faithful
    /// Grad-CAM reaches this for only ~70–80% of the images on these 7×7 layers, because a 4× bilinear upsampling puts
    /// the maximum at the centre (or, for a border cell, the clamped edge) of a 4×4 block, which often lands in a gap of
    /// the garment (between trouser legs, a sandal's straps, a collar on the top edge). With the ±1-pixel tolerance of
    /// that upsampling (the arg-max pixel or one of its 8 neighbours is a garment pixel) the 90% bar holds.
    /// </remarks>
    [TestMethod]
    [DataRow("fmnist_cnn.onnx")]
    [DataRow("fmnist_resnet.onnx")]
    public void GradCam_maximum_falls_on_the_garment_for_at_least_90_percent_of_100_images(string file)
    {
        var (images, _) = TestAssets.FashionMnist(100);
        using var cam = new CamExplainer(OnnxModel.Load(TestAssets.ModelPath(file)));
        var result = cam.Explain(TestAssets.FashionMnistBatch(100));
        int strict = 0, within = 0;
        for (int r = 0; r < 100; r++)
        {
            var map = result.Maps.Row(r);
            int best = 0;
            for (int p = 1; p < map.Length; p++)
            {
                best = map[p] > map[best] ? p : best;
            }

            strict += images[r][best] > 0 ? 1 : 0; // raw pixel brighter than the black background
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

        Console.WriteLine($"{file}: Grad-CAM maximum on the object for {strict}/100 images (exact pixel), {within}/100 (within 1 pixel)");
        Assert.IsGreaterThanOrEqualTo(90, within, $"{file}: Grad-CAM's maximum is within a pixel of the object for only {within}/100 images.");
        Assert.IsGreaterThanOrEqualTo(60, strict, $"{file}: Grad-CAM's maximum is exactly on the object for only {strict}/100 images.");
    }

    [TestMethod]
    [DataRow("fmnist_cnn.onnx")]
    [DataRow("fmnist_resnet.onnx")]
    [DataRow("fmnist_mobilenet.onnx")]
    [DataRow("fmnist_deit.onnx")]
    public void Every_cam_method_runs_on_the_fixture_models(string file)
    {
        var model = OnnxModel.Load(TestAssets.ModelPath(file));
        var batch = TestAssets.FashionMnistBatch(2);
        var layer = TargetLayers.Automatic(model);
        Assert.AreEqual("target_act", layer.Name, $"{file}: automatic target layer {layer}");
        foreach (var method in ExplanationMethods.All.Where(m => m.Family == MethodFamily.Cam && m != ExplanationMethods.RandomCam))
        {
            using var cam = new CamExplainer(model, new CamOptions { Method = method, Execution = new ExecutionOptions { BatchSize = 64 } });
            CamResult result;
            try
            {
                result = cam.Explain(batch, [-1, 3]);
            }
            catch (UnsupportedOperatorException e) when (file == "fmnist_deit.onnx")
            {
                Assert.Inconclusive($"{method} on {file}: backward rule missing ({e.OpType}).");
                return;
            }
            catch (TargetLayerException e) when (method == ExplanationMethods.Fem && layer.Height * layer.Width <= 5)
            {
                // FEM's 2-sigma masks are empty on a grid of ≤ 5 cells (MobileNet's 2×2): refused, not an all-zero map.
                StringAssert.Contains(e.Message, "FEM");
                continue;
            }

            CollectionAssert.AreEqual(new long[] { 2, 28, 28 }, result.Maps.Shape, $"{file} {method}");
            CollectionAssert.AreEqual(new long[] { 2, layer.Height, layer.Width }, result.RawMaps.Shape, $"{file} {method}");
            Assert.AreEqual(3L, result.Targets![1]);
            Assert.IsTrue(result.RawMaps.Data.All(float.IsFinite), $"{file} {method}: non-finite raw map");
            Assert.IsTrue(result.Maps.Data.All(v => v >= 0 && v <= 1), $"{file} {method}: map outside [0, 1]");
            for (int r = 0; r < 2; r++)
            {
                Assert.IsGreaterThan(0.9f, result.Maps.Row(r).ToArray().Max(), $"{file} {method} row {r}: the normalised map should reach ~1 (is the raw map all ≤ 0?)");
            }
        }
    }

    [TestMethod]
    public void Candidate_layers_are_listed_with_their_grids()
    {
        var cnn = TargetLayers.List(OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx")));
        Assert.IsTrue(cnn.All(l => l.Layout == LayerLayout.ChannelsFirst && l.Height * l.Width > 1), string.Join("\n", cnn));
        Assert.IsTrue(cnn.Any(l => l.Name == "target_act"), string.Join("\n", cnn));
        Assert.IsTrue(cnn.Any(l => l.Height == 28), "early full-resolution maps are candidates");

        var deit = TargetLayers.List(OnnxModel.Load(TestAssets.ModelPath("fmnist_deit.onnx")));
        var act = deit.Single(l => l.Name == "target_act");
        Assert.AreEqual((LayerLayout.Tokens, 2, 7, 7, 64), (act.Layout, act.PrefixTokens, act.Height, act.Width, act.Channels));
        Assert.IsFalse(deit.Any(l => l.Layout == LayerLayout.ChannelsFirst && l.Height > 28), "attention matrices [N, heads, T, T] are not image grids");
    }

    [TestMethod]
    public void Token_grid_override_is_checked_and_used()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_deit.onnx"));
        var layer = TargetLayers.Resolve(model, "target_act", new TokenGrid(2, 7, 7));
        Assert.AreEqual(49, layer.GridSize);
        var wide = TargetLayers.Resolve(model, "target_act", new TokenGrid(3, 8, 6));
        Assert.AreEqual((3, 8, 6), (wide.PrefixTokens, wide.Height, wide.Width));
        var e = Assert.ThrowsExactly<TargetLayerException>(() => TargetLayers.Resolve(model, "target_act", new TokenGrid(1, 7, 7)));
        StringAssert.Contains(e.Message, "target_act");
    }

    [TestMethod]
    public void Bad_layers_targets_and_inputs_are_refused_clearly()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var unknown = Assert.ThrowsExactly<UnknownTensorException>(() => new CamExplainer(model, new CamOptions { TargetLayer = "no_such_tensor" }));
        Assert.AreEqual("no_such_tensor", unknown.TensorName);

        // The global average pool's output [N, C, 1, 1] has no grid; the logits are not a feature map at all.
        var gap = TargetLayers.List(model).Count; // listing does not throw
        Assert.IsGreaterThan(0, gap);
        var pooled = model.Index().TensorNames.First(n => model.Index().ProducerOf(n) is { } p && model.Index().OpType(p.NodeIndex) == "GlobalAveragePool");
        var noGrid = Assert.ThrowsExactly<TargetLayerException>(() => new CamExplainer(model, new CamOptions { TargetLayer = pooled }));
        StringAssert.Contains(noGrid.Message, pooled);
        StringAssert.Contains(noGrid.Message, "1×1");
        Assert.ThrowsExactly<TargetLayerException>(() => new CamExplainer(model, new CamOptions { TargetLayer = "logits" }));

        using var cam = new CamExplainer(model);
        var batch = TestAssets.FashionMnistBatch(3);
        var range = Assert.ThrowsExactly<InputMismatchException>(() => cam.Explain(batch, [0, 10, 1]));
        StringAssert.Contains(range.Message, "row 1");
        Assert.ThrowsExactly<InputMismatchException>(() => cam.Explain(batch, [0, 1]));
        Assert.ThrowsExactly<InputMismatchException>(() => cam.Explain(batch, [0, -2, 1]));

        batch.Data[(2 * 784) + 100] = float.NaN;
        var nan = Assert.ThrowsExactly<NonFiniteInputException>(() => cam.Explain(batch));
        Assert.AreEqual(2, nan.Row);
        Assert.AreEqual(100, nan.Index);
        batch.Data[(2 * 784) + 100] = float.PositiveInfinity;
        Assert.IsInstanceOfType<ArgumentException>(Assert.ThrowsExactly<NonFiniteInputException>(() => cam.Explain(batch)));
        Assert.ThrowsExactly<InputMismatchException>(() => cam.Explain(new FloatTensor(new float[2 * 27 * 27], 2, 1, 27, 27)));
    }
}
