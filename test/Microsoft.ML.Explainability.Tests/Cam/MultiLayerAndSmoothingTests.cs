using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Cam;

/// <summary>
/// Several target layers (mean and product aggregation), EigenSmooth, AugSmooth, Seg-Eigen-CAM and RefineCAM, each
/// against a computation written here from pytorch-grad-cam's code: by hand on tiny maps, or on <see cref="CamTestModel"/>
/// whose activations, gradients and logits the test computes itself. Its layers are 5×5 like the input, so every resize
/// to the input is the identity and the post-processing is ReLU and min-max only.
/// </summary>
[TestClass]
public sealed class MultiLayerAndSmoothingTests
{
    private const int K = CamTestModel.Cout, Cells = CamTestModel.Cells, Size = CamTestModel.Size;

    [TestMethod]
    public void Mean_and_product_aggregation_of_two_layers_of_different_sizes_by_hand()
    {
        // Layer a: 1×2 raw [−1, 3] → ReLU [0, 3] → min-max [0, 1] → half-pixel resize to 1×4 [0, 0.25, 0.75, 1].
        // Layer b: 1×4 raw [2, 0, 1, −5] → ReLU [2, 0, 1, 0] → min-max [1, 0, 0.5, 0] (no resize).
        var a = new FloatTensor([-1, 3], 1, 1, 2);
        var b = new FloatTensor([2, 0, 1, -5], 1, 1, 4);

        // Mean (aggregate_multi_layers): [0.5, 0.125, 0.625, 0.5] → min-max [0.75, 0, 1, 0.75].
        var mean = CamMaps.Aggregate([a, b], 1, 4, LayerAggregation.Mean);
        AssertClose([0.75, 0, 1, 0.75], mean.Data, 1e-5, "mean");

        // Product (RefineCAM): [0·1, 0.25·0, 0.75·0.5, 1·0] = [0, 0, 0.375, 0] → min-max [0, 0, 1, 0].
        var product = CamMaps.Aggregate([a, b], 1, 4, LayerAggregation.Product);
        AssertClose([0, 0, 1, 0], product.Data, 1e-5, "product");

        // One layer under Mean is the single-layer post-processing.
        CollectionAssert.AreEqual(CamMaps.PostProcess(b, 1, 4).Data, CamMaps.Aggregate([b], 1, 4, LayerAggregation.Mean).Data);
    }

    [TestMethod]
    public void GradCam_over_two_layers_is_the_mean_of_the_normalised_layer_maps()
    {
        var net = new CamTestModel(relu: true);
        var x = Input(2, seed: 5);
        long[] classes = [1, 3];
        using var cam = new CamExplainer(net.Model, new CamOptions { TargetLayers = [net.ConvOutput, net.Layer] });
        CollectionAssert.AreEqual(new[] { net.ConvOutput, net.Layer }, cam.Layers.Select(l => l.Name).ToArray());
        var result = cam.Explain(x, classes);
        for (int r = 0; r < 2; r++)
        {
            var (conv, relu) = (ConvActivations(net, x, r), net.Activations(x, r));
            var rawConv = GradCamMap(conv, ConvGradient(net, conv, classes[r]));
            var rawRelu = GradCamMap(relu, ReluGradient(net, classes[r]));
            AssertClose(rawConv, result.LayerRawMaps[0].Row(r).ToArray(), 1e-4, $"conv raw, row {r}");
            AssertClose(rawRelu, result.LayerRawMaps[1].Row(r).ToArray(), 1e-4, $"relu raw, row {r}");
            var expected = MinMax(Enumerable.Range(0, Cells).Select(p => (MinMax(Relu(rawConv))[p] + MinMax(Relu(rawRelu))[p]) / 2).ToArray());
            AssertClose(expected, result.Maps.Row(r).ToArray(), 1e-5, $"mean map, row {r}");
        }

        // The core interface reports every layer's raw map.
        var explanation = ((IExplainer)cam).Explain(new ExplanationRequest(x) { Targets = classes });
        CollectionAssert.AreEqual(result.LayerRawMaps[1].Data, explanation.Extras[CamExplainer.LayerMapExtra + net.Layer].Data);
        CollectionAssert.AreEqual(result.RawMaps.Data, explanation.LayerMaps!.Data);
    }

    [TestMethod]
    public void RefineCam_is_the_product_of_the_layers_GradCamPlusPlus_maps()
    {
        var net = new CamTestModel(relu: true, seed: 8);
        var x = Input(2, seed: 6);
        long[] classes = [0, 4];
        using var cam = new CamExplainer(net.Model, new CamOptions { Method = ExplanationMethods.RefineCam, TargetLayers = [net.ConvOutput, net.Layer] });
        var result = cam.Explain(x, classes);
        for (int r = 0; r < 2; r++)
        {
            var (conv, relu) = (ConvActivations(net, x, r), net.Activations(x, r));
            var mapConv = SingleLayer(WeightedMap(conv, GradCamPlusPlusWeights(conv, ConvGradient(net, conv, classes[r]))));
            var mapRelu = SingleLayer(WeightedMap(relu, GradCamPlusPlusWeights(relu, ReluGradient(net, classes[r]))));
            var expected = MinMax(Enumerable.Range(0, Cells).Select(p => mapConv[p] * mapRelu[p]).ToArray());
            Assert.IsTrue(expected.Count(v => v > 0) > 1, "the product should keep several cells");
            AssertClose(expected, result.Maps.Row(r).ToArray(), 1e-5, $"RefineCAM row {r}");
        }
    }

    [TestMethod]
    public void EigenSmooth_projects_the_weighted_activations_on_their_first_principal_component()
    {
        var net = new CamTestModel(relu: true, seed: 13);
        var x = Input(2, seed: 9);
        long[] classes = [2, 0];
        using var gradCam = new CamExplainer(net.Model, new CamOptions { EigenSmooth = true });
        using var hiRes = new CamExplainer(net.Model, new CamOptions { Method = ExplanationMethods.HiResCam, EigenSmooth = true });
        var smoothed = gradCam.Explain(x, classes);
        var hiResSmoothed = hiRes.Explain(x, classes);
        for (int r = 0; r < 2; r++)
        {
            var a = net.Activations(x, r);
            var g = ReluGradient(net, classes[r]);
            var w = Enumerable.Range(0, K).Select(k => g[k].Average()).ToArray();
            AssertClose(Projection(a.Select((ak, k) => ak.Select(v => w[k] * v).ToArray()).ToArray()), smoothed.RawMaps.Row(r).ToArray(), 1e-4, $"Grad-CAM row {r}");
            AssertClose(Projection(a.Select((ak, k) => ak.Select((v, p) => g[k][p] * v).ToArray()).ToArray()), hiResSmoothed.RawMaps.Row(r).ToArray(), 1e-4, $"HiResCAM row {r}");
        }

        // Maps that already are projections, and FEM (pytorch-grad-cam ignores eigen_smooth there), refuse it by name.
        foreach (var method in new[] { ExplanationMethods.EigenCam, ExplanationMethods.SegEigenCam, ExplanationMethods.KpcaCam, ExplanationMethods.Fem })
        {
            var error = Assert.ThrowsExactly<ArgumentException>(() => new CamExplainer(net.Model, new CamOptions { Method = method, EigenSmooth = true }));
            StringAssert.Contains(error.Message, method.DisplayName);
        }
    }

    [TestMethod]
    public void AugSmooth_averages_the_maps_of_flipped_and_scaled_inputs_with_the_flip_undone()
    {
        var net = new CamTestModel(relu: true, seed: 17);
        var x = Input(2, seed: 12);
        long[] classes = [1, 2];
        using var cam = new CamExplainer(net.Model, new CamOptions { AugSmooth = true });
        var result = cam.Explain(x, classes);
        CollectionAssert.AreEqual(classes, result.Targets);
        for (int r = 0; r < 2; r++)
        {
            var expected = new double[Cells];
            var withoutInverse = new double[Cells];
            foreach (var flip in new[] { false, true })
            {
                foreach (var factor in new[] { 0.9f, 1f, 1.1f })
                {
                    var augmented = new float[CamTestModel.Cin * Cells];
                    for (int c = 0; c < CamTestModel.Cin; c++)
                    {
                        for (int i = 0; i < Size; i++)
                        {
                            for (int j = 0; j < Size; j++)
                            {
                                augmented[(c * Cells) + (i * Size) + j] = x[r, c, i, flip ? Size - 1 - j : j] * factor;
                            }
                        }
                    }

                    var a = net.Activations(new FloatTensor(augmented, 1, CamTestModel.Cin, Size, Size), 0);
                    var map = SingleLayer(GradCamMap(a, ReluGradient(net, classes[r])));
                    for (int i = 0; i < Size; i++)
                    {
                        for (int j = 0; j < Size; j++)
                        {
                            expected[(i * Size) + j] += map[(i * Size) + (flip ? Size - 1 - j : j)] / 6;
                            withoutInverse[(i * Size) + j] += map[(i * Size) + j] / 6;
                        }
                    }
                }
            }

            AssertClose(expected, result.Maps.Row(r).ToArray(), 1e-5, $"row {r}");
            Assert.IsTrue(expected.Zip(withoutInverse).Any(t => Math.Abs(t.First - t.Second) > 1e-2), "undoing the flip makes a difference here, so the test can fail on a missing inverse");

            // The unaugmented copy's raw map is reported.
            AssertClose(GradCamMap(net.Activations(x, r), ReluGradient(net, classes[r])), result.RawMaps.Row(r).ToArray(), 1e-4, $"raw row {r}");
        }
    }

    [TestMethod]
    public void SegEigenCam_is_the_sign_corrected_projection_of_absolute_gradient_times_activation()
    {
        var random = new Random(4);
        const int channels = 3, h = 3, w = 4, cells = h * w;
        var a = new FloatTensor([.. Enumerable.Range(0, 2 * channels * cells).Select(_ => (float)(random.NextDouble() * 2))], 2, channels, h, w);
        var g = new FloatTensor([.. Enumerable.Range(0, 2 * channels * cells).Select(_ => (float)((random.NextDouble() * 2) - 1))], 2, channels, h, w);
        var raw = CamMaps.Raw(ExplanationMethods.SegEigenCam, a, g);
        for (int r = 0; r < 2; r++)
        {
            var weighted = Enumerable.Range(0, channels).Select(k => Enumerable.Range(0, cells).Select(p =>
            {
                int i = (((r * channels) + k) * cells) + p;
                return Math.Abs((double)g.Data[i]) * a.Data[i];
            }).ToArray()).ToArray();
            var expected = Projection(weighted);
            Assert.IsTrue(expected.Max() >= -expected.Min(), "Eq. 13: the largest-magnitude value is positive");
            AssertClose(expected, raw.Row(r).ToArray(), 1e-4, $"row {r}");
        }

        // |G|, not G: flipping the gradients' signs leaves the map unchanged.
        var negated = new FloatTensor([.. g.Data.Select(v => -v)], g.Shape.ToArray());
        AssertClose(raw.Data.Select(v => (double)v).ToArray(), CamMaps.Raw(ExplanationMethods.SegEigenCam, a, negated).Data, 1e-6, "sign of G");
    }

    [TestMethod]
    public void Layer_lists_are_checked()
    {
        var net = new CamTestModel(relu: true);
        Assert.ThrowsExactly<ArgumentException>(() => new CamExplainer(net.Model, new CamOptions { TargetLayers = [net.Layer, net.Layer] }));
        Assert.ThrowsExactly<ArgumentException>(() => new CamExplainer(net.Model, new CamOptions { TargetLayer = net.Layer, TargetLayers = [net.ConvOutput] }));
        Assert.ThrowsExactly<UnknownTensorException>(() => new CamExplainer(net.Model, new CamOptions { TargetLayers = [net.Layer, "no_such_tensor"] }));
        var several = new MethodSettings { TargetLayers = [net.ConvOutput, net.Layer] };
        var error = Assert.ThrowsExactly<ArgumentException>(() => ExplanationMethods.GuidedGradCam.CreateExplainer(net.Model, several));
        StringAssert.Contains(error.Message, "one target layer");
        using var explainer = ExplanationMethods.GradCam.CreateExplainer(net.Model, several);
        Assert.AreEqual(2, ((CamExplainer)explainer).Layers.Count);
    }

    private static FloatTensor Input(int rows, int seed)
    {
        var random = new Random(seed);
        return new FloatTensor([.. Enumerable.Range(0, rows * CamTestModel.Cin * Cells).Select(_ => (float)((random.NextDouble() * 2) - 1))], rows, CamTestModel.Cin, Size, Size);
    }

    /// <summary>The Conv's output (the ReLU layer's input) of one row.</summary>
    private static double[][] ConvActivations(CamTestModel net, FloatTensor x, int row) => net.Activations(x, row, beforeRelu: true);

    /// <summary>∂y_c/∂A at the ReLU output: GlobalAveragePool then Gemm, so Fc[c, k]/25 everywhere.</summary>
    private static double[][] ReluGradient(CamTestModel net, long c) =>
        [.. Enumerable.Range(0, K).Select(k => Enumerable.Repeat((double)net.Fc[(c * K) + k] / Cells, Cells).ToArray())];

    /// <summary>∂y_c/∂(conv output): the ReLU passes Fc[c, k]/25 where the conv output is positive.</summary>
    private static double[][] ConvGradient(CamTestModel net, double[][] conv, long c) =>
        [.. Enumerable.Range(0, K).Select(k => conv[k].Select(v => v > 0 ? (double)net.Fc[(c * K) + k] / Cells : 0).ToArray())];

    private static double[] GradCamMap(double[][] a, double[][] g) => WeightedMap(a, [.. g.Select(gk => gk.Average())]);

    private static double[] WeightedMap(double[][] a, double[] w) =>
        [.. Enumerable.Range(0, Cells).Select(p => Enumerable.Range(0, K).Sum(k => w[k] * a[k][p]))];

    /// <summary>pytorch-grad-cam's closed-form Grad-CAM++ weights.</summary>
    private static double[] GradCamPlusPlusWeights(double[][] a, double[][] g) =>
        [.. Enumerable.Range(0, K).Select(k =>
        {
            double sumA = a[k].Sum();
            return g[k].Sum(d => d == 0 ? 0 : Math.Max(d, 0) * d * d / ((2 * d * d) + (sumA * d * d * d) + 1e-6));
        })];

    /// <summary>A single-layer CAM's post-processing at the input's size (ReLU, min-max, ReLU, min-max).</summary>
    private static double[] SingleLayer(double[] raw) => MinMax(Relu(MinMax(Relu(raw))));

    private static double[] Relu(double[] m) => [.. m.Select(v => Math.Max(v, 0))];

    private static double[] MinMax(double[] m)
    {
        double min = m.Min(), max = m.Max() - min;
        return [.. m.Select(v => (v - min) / (1e-7 + max))];
    }

    /// <summary>
    /// get_2d_projection with the sign rule, written out: X [cells, C] with centred columns, v the top eigenvector of
    /// XᵀX by power iteration, p = Xv, flipped when |min p| &gt; |max p|.
    /// </summary>
    private static double[] Projection(double[][] values)
    {
        int c = values.Length, cells = values[0].Length;
        var x = values.Select(col => col.Select(v => v - col.Average()).ToArray()).ToArray();
        var m = new double[c, c];
        for (int i = 0; i < c; i++)
        {
            for (int j = 0; j < c; j++)
            {
                m[i, j] = Enumerable.Range(0, cells).Sum(p => x[i][p] * x[j][p]);
            }
        }

        var v = Enumerable.Range(0, c).Select(i => 1.0 + (0.1 * i)).ToArray();
        for (int iteration = 0; iteration < 5000; iteration++)
        {
            var next = Enumerable.Range(0, c).Select(i => Enumerable.Range(0, c).Sum(j => m[i, j] * v[j])).ToArray();
            double norm = Math.Sqrt(next.Sum(t => t * t));
            v = [.. next.Select(t => t / norm)];
        }

        var projection = Enumerable.Range(0, cells).Select(p => Enumerable.Range(0, c).Sum(k => x[k][p] * v[k])).ToArray();
        return Math.Abs(projection.Min()) > Math.Abs(projection.Max()) ? [.. projection.Select(t => -t)] : projection;
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        double scale = Math.Max(1, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], tolerance * scale, $"{what}, cell {i}");
        }
    }
}
