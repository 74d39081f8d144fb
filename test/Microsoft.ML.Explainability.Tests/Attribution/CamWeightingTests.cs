using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Attribution;

/// <summary>
/// Each CAM weighting against a direct computation of its published formula on small tensors, and the
/// post-processing against values worked out by hand for cv2.resize.
/// </summary>
[TestClass]
public sealed class CamWeightingTests
{
    private const int N = 2, C = 3, H = 3, W = 4, Cells = H * W;

    private static (FloatTensor A, FloatTensor G) Tensors(int seed = 11)
    {
        var random = new Random(seed);
        var a = new float[N * C * Cells];
        var g = new float[N * C * Cells];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)Math.Max(0, (random.NextDouble() * 2) - 0.5); // ReLU-like, some exact zeros
            g[i] = (float)((random.NextDouble() * 2) - 1);
        }

        g[5] = 0; // a zero gradient (Grad-CAM++ sets α = 0 there)
        return (new FloatTensor(a, N, C, H, W), new FloatTensor(g, N, C, H, W));
    }

    private static double At(FloatTensor t, int n, int k, int p) => t.Data[(((n * C) + k) * Cells) + p];

    private static void AssertMaps(Func<int, int, double> expected, FloatTensor actual, string what)
    {
        CollectionAssert.AreEqual(new long[] { N, H, W }, actual.Shape, what);
        for (int n = 0; n < N; n++)
        {
            for (int p = 0; p < Cells; p++)
            {
                double e = expected(n, p);
                Assert.AreEqual(e, actual.Data[(n * Cells) + p], 1e-5 * Math.Max(1, Math.Abs(e)), $"{what}: row {n} cell {p}");
            }
        }
    }

    private static Func<int, int, double> WeightedSum(FloatTensor a, Func<int, int, double> weight) =>
        (n, p) => Enumerable.Range(0, C).Sum(k => weight(n, k) * At(a, n, k, p));

    [TestMethod]
    public void GradCam_weights_are_the_spatial_mean_of_the_gradients()
    {
        var (a, g) = Tensors();
        var expected = WeightedSum(a, (n, k) => Enumerable.Range(0, Cells).Average(p => At(g, n, k, p)));
        AssertMaps(expected, CamMaps.Raw(ExplanationMethods.GradCam, a, g), "Grad-CAM");
    }

    [TestMethod]
    public void HiResCam_elementwise_and_LayerCam_sum_products_over_channels()
    {
        var (a, g) = Tensors();
        AssertMaps((n, p) => Enumerable.Range(0, C).Sum(k => At(g, n, k, p) * At(a, n, k, p)), CamMaps.Raw(ExplanationMethods.HiResCam, a, g), "HiResCAM");
        AssertMaps((n, p) => Enumerable.Range(0, C).Sum(k => Math.Max(0, At(g, n, k, p) * At(a, n, k, p))), CamMaps.Raw(ExplanationMethods.GradCamElementWise, a, g), "Grad-CAM element-wise");
        AssertMaps((n, p) => Enumerable.Range(0, C).Sum(k => Math.Max(0, At(g, n, k, p)) * At(a, n, k, p)), CamMaps.Raw(ExplanationMethods.LayerCam, a, g), "LayerCAM");
    }

    [TestMethod]
    public void XGradCam_weights_normalise_by_the_activation_sum()
    {
        var (a, g) = Tensors();
        var expected = WeightedSum(a, (n, k) =>
            Enumerable.Range(0, Cells).Sum(p => At(a, n, k, p) * At(g, n, k, p)) / (Enumerable.Range(0, Cells).Sum(p => At(a, n, k, p)) + 1e-7));
        AssertMaps(expected, CamMaps.Raw(ExplanationMethods.XGradCam, a, g), "XGrad-CAM");
    }

    [TestMethod]
    public void GradCamPlusPlus_uses_the_closed_form_alphas()
    {
        var (a, g) = Tensors();
        double Weight(int n, int k)
        {
            double sumA = Enumerable.Range(0, Cells).Sum(p => At(a, n, k, p));
            double w = 0;
            for (int p = 0; p < Cells; p++)
            {
                double d = At(g, n, k, p);
                double alpha = d == 0 ? 0 : Math.Pow(d, 2) / ((2 * Math.Pow(d, 2)) + (sumA * Math.Pow(d, 3)) + 1e-6);
                w += (d > 0 ? d : 0) * alpha;
            }

            return w;
        }

        AssertMaps(WeightedSum(a, Weight), CamMaps.Raw(ExplanationMethods.GradCamPlusPlus, a, g), "Grad-CAM++");
    }

    [TestMethod]
    public void Hand_computed_GradCam_on_a_two_by_two_tensor()
    {
        // One image, two channels, 2×2 grid. Grad-CAM weights: mean(G0) = 0.25, mean(G1) = -0.5.
        var a = new FloatTensor([1, 2, 3, 4, /* k=1 */ 0, 1, 0, 1], 1, 2, 2, 2);
        var g = new FloatTensor([1, 0, 0, 0, /* k=1 */ -0.5f, -0.5f, -0.5f, -0.5f], 1, 2, 2, 2);
        var raw = CamMaps.Raw(ExplanationMethods.GradCam, a, g);
        CollectionAssert.AreEqual(new float[] { 0.25f, 0.0f, 0.75f, 0.5f }, raw.Data);
        // HiResCAM: G⊙A summed: [1 + 0, 0 - 0.5, 0 + 0, 0 - 0.5].
        CollectionAssert.AreEqual(new float[] { 1f, -0.5f, 0f, -0.5f }, CamMaps.Raw(ExplanationMethods.HiResCam, a, g).Data);
    }

    [TestMethod]
    public void EigenCam_projects_a_rank_one_activation_on_its_direction_with_its_largest_value_positive()
    {
        // A[k, p] = mean_k + u_p·s_k: centred, the matrix is (u − ū)sᵀ, whose first right singular vector is ±s/|s|;
        // the projection is ±(u − ū)|s| (|s| = 1), oriented so that its largest-magnitude value is positive: u − ū has
        // max 3 − 0.4167 = 2.58 and min −2.42, so it keeps its sign.
        double[] u = [3, -1, 0.5, 2, -2, 0];
        double[] s = [0.6, 0.8, 0.0];
        double[] mean = [1, 2, 0.5];
        var data = new float[3 * 6];
        for (int k = 0; k < 3; k++)
        {
            for (int p = 0; p < 6; p++)
            {
                data[(k * 6) + p] = (float)(mean[k] + (u[p] * s[k]));
            }
        }

        var raw = CamMaps.Raw(ExplanationMethods.EigenCam, new FloatTensor(data, 1, 3, 2, 3), null);
        double uMean = u.Average();
        for (int p = 0; p < 6; p++)
        {
            Assert.AreEqual(u[p] - uMean, raw.Data[p], 1e-4, $"cell {p}");
        }

        // Negating the spatial pattern negates u − ū, whose largest magnitude is then negative: the rule flips it back.
        for (int k = 0; k < 3; k++)
        {
            for (int p = 0; p < 6; p++)
            {
                data[(k * 6) + p] = (float)(mean[k] - (u[p] * s[k]));
            }
        }

        raw = CamMaps.Raw(ExplanationMethods.EigenCam, new FloatTensor(data, 1, 3, 2, 3), null);
        for (int p = 0; p < 6; p++)
        {
            Assert.AreEqual(u[p] - uMean, raw.Data[p], 1e-4, $"negated pattern, cell {p}");
        }

        // A pattern whose largest magnitude is a negative value comes out with that value positive.
        double[] v = [-3, 1, 0.5, 1, 0.5, 0];
        for (int k = 0; k < 3; k++)
        {
            for (int p = 0; p < 6; p++)
            {
                data[(k * 6) + p] = (float)(mean[k] + (v[p] * s[k]));
            }
        }

        raw = CamMaps.Raw(ExplanationMethods.EigenCam, new FloatTensor(data, 1, 3, 2, 3), null);
        for (int p = 0; p < 6; p++)
        {
            Assert.AreEqual(-(v[p] - v.Average()), raw.Data[p], 1e-4, $"negative extreme, cell {p}");
        }
    }

    [TestMethod]
    public void EigenCam_matches_power_iteration_on_random_activations_and_EigenGradCam_uses_the_product()
    {
        var (a, g) = Tensors(5);
        var eigen = CamMaps.Raw(ExplanationMethods.EigenCam, a, null);
        var eigenGrad = CamMaps.Raw(ExplanationMethods.EigenGradCam, a, g);
        var product = new FloatTensor(a.Data.Select((v, i) => v * g.Data[i]).ToArray(), a.Shape);
        foreach (var (source, map, name) in new[] { (a, eigen, "Eigen-CAM"), (product, eigenGrad, "Eigen-Grad-CAM") })
        {
            for (int n = 0; n < N; n++)
            {
                var expected = PowerIterationProjection(source, n);
                var actual = Enumerable.Range(0, Cells).Select(p => (double)map.Data[(n * Cells) + p]).ToArray();
                // Up to sign: compare |cosine| and norms.
                double dot = expected.Zip(actual, (x, y) => x * y).Sum();
                double ne = Math.Sqrt(expected.Sum(x => x * x)), na = Math.Sqrt(actual.Sum(x => x * x));
                Assert.AreEqual(1, Math.Abs(dot) / (ne * na), 1e-4, $"{name} row {n} direction");
                Assert.AreEqual(ne, na, 1e-4 * ne, $"{name} row {n} norm");
            }
        }
    }

    /// <summary>The centred (cells × C) matrix's projection on its top right singular vector, by power iteration on XᵀX.</summary>
    private static double[] PowerIterationProjection(FloatTensor t, int n)
    {
        var x = new double[Cells, C];
        for (int k = 0; k < C; k++)
        {
            double m = Enumerable.Range(0, Cells).Average(p => At(t, n, k, p));
            for (int p = 0; p < Cells; p++)
            {
                x[p, k] = At(t, n, k, p) - m;
            }
        }

        var v = new double[] { 1, 0.5, 0.25 };
        for (int it = 0; it < 2000; it++)
        {
            var xv = Enumerable.Range(0, Cells).Select(p => Enumerable.Range(0, C).Sum(k => x[p, k] * v[k])).ToArray();
            var next = Enumerable.Range(0, C).Select(k => Enumerable.Range(0, Cells).Sum(p => x[p, k] * xv[p])).ToArray();
            double norm = Math.Sqrt(next.Sum(z => z * z));
            v = next.Select(z => z / norm).ToArray();
        }

        return Enumerable.Range(0, Cells).Select(p => Enumerable.Range(0, C).Sum(k => x[p, k] * v[k])).ToArray();
    }

    [TestMethod]
    public void PostProcess_matches_cv2_resize_with_half_pixel_centres()
    {
        // [[0, 1], [2, 3]] → ReLU, /3 → 4×4. cv2 (half-pixel, clamped) samples the source at −0.25→0, 0.25, 0.75,
        // 1.25→1 along each axis, so the result is (2·r_i + c_j)/3 with r = c = [0, 0.25, 0.75, 1].
        var raw = new FloatTensor([0, 1, 2, 3], 1, 2, 2);
        var map = CamMaps.PostProcess(raw, 4, 4);
        double[] t = [0, 0.25, 0.75, 1];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                Assert.AreEqual(((2 * t[i]) + t[j]) / 3, map.Data[(i * 4) + j], 1e-6, $"({i}, {j})");
            }
        }

        // Negative values are cut by the ReLU; an all-negative map becomes all zeros.
        var negative = CamMaps.PostProcess(new FloatTensor([-1, -2, -3, -4], 1, 2, 2), 3, 3);
        Assert.IsTrue(negative.Data.All(v => v == 0));
    }

    [TestMethod]
    public void Raw_refuses_ScoreCam_and_missing_gradients()
    {
        var (a, g) = Tensors();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CamMaps.Raw(ExplanationMethods.ScoreCam, a, g));
        Assert.ThrowsExactly<ArgumentException>(() => CamMaps.Raw(ExplanationMethods.GradCam, a, null));
    }
}
