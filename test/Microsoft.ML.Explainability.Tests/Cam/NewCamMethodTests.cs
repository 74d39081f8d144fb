using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Cam;

/// <summary>
/// The CAM methods of issue 16 (KPCA-CAM, FEM, Finer-CAM, SS-CAM, IS-CAM, Smooth Grad-CAM++) and the Ablation-CAM fill,
/// each against a computation written here from the reference's formula, on small tensors or a small graph whose
/// activations and logits the test computes itself.
/// </summary>
[TestClass]
public sealed class NewCamMethodTests
{
    private const int C = 3, H = 3, W = 4, Cells = H * W;

    private static FloatTensor RandomActivations(int seed, int rows = 2)
    {
        var random = new Random(seed);
        var a = new float[rows * C * Cells];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)Math.Max(0, (random.NextDouble() * 2) - 0.5);
        }

        return new FloatTensor(a, rows, C, H, W);
    }

    private static double[] Channel(FloatTensor a, int row, int k) =>
        Enumerable.Range(0, Cells).Select(p => (double)a.Data[(((row * C) + k) * Cells) + p]).ToArray();

    [TestMethod]
    public void Fem_weights_are_the_share_of_cells_above_mean_plus_two_sigma()
    {
        // By hand: channel 0 = nine 0s and one 10 (μ = 1, σ = 3, threshold 7: one cell above, w = 0.1); channel 1 is
        // constant (σ = 0, nothing strictly above μ, w = 0). Map = 0.1·A⁰.
        var data = new float[2 * 10];
        data[9] = 10;
        for (int p = 10; p < 20; p++)
        {
            data[p] = 4;
        }

        var raw = CamMaps.Raw(ExplanationMethods.Fem, new FloatTensor(data, 1, 2, 2, 5), null);
        CollectionAssert.AreEqual(new float[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, raw.Data);

        // 2×2 cells can never exceed μ + 2σ (Samuelson's inequality): refused rather than an all-zero map.
        Assert.ThrowsExactly<ArgumentException>(() => CamMaps.Raw(ExplanationMethods.Fem, new FloatTensor([1, 0, 0, 0], 1, 1, 2, 2), null));

        // Random activations with one spike per channel: the k-sigma rule written out.
        var a = RandomActivations(3);
        for (int r = 0; r < 2; r++)
        {
            for (int k = 0; k < C; k++)
            {
                a.Data[(((r * C) + k) * Cells) + ((k + r) % Cells)] = 4 + k;
            }
        }

        raw = CamMaps.Raw(ExplanationMethods.Fem, a, null);
        for (int r = 0; r < 2; r++)
        {
            var w = Enumerable.Range(0, C).Select(k =>
            {
                var ak = Channel(a, r, k);
                double mean = ak.Average(), sigma = Math.Sqrt(ak.Average(v => (v - mean) * (v - mean)));
                return ak.Count(v => v > mean + (2 * sigma)) / (double)Cells;
            }).ToArray();
            Assert.IsTrue(w.Any(v => v > 0), "the random case should have cells above the threshold");
            for (int p = 0; p < Cells; p++)
            {
                double expected = Enumerable.Range(0, C).Sum(k => w[k] * Channel(a, r, k)[p]);
                Assert.AreEqual(expected, raw.Data[(r * Cells) + p], 1e-5, $"row {r} cell {p}");
            }
        }
    }

    [TestMethod]
    public void KpcaCam_is_the_top_kernel_principal_component_of_the_centred_sigmoid_kernel()
    {
        var a = RandomActivations(8);
        var raw = CamMaps.Raw(ExplanationMethods.KpcaCam, a, null);
        for (int r = 0; r < 2; r++)
        {
            // X: cells × C, columns centred; K = tanh(XXᵀ/C + 1), centred; top eigenpair by shifted power iteration.
            var x = new double[Cells, C];
            for (int k = 0; k < C; k++)
            {
                var ak = Channel(a, r, k);
                double mean = ak.Average();
                for (int p = 0; p < Cells; p++)
                {
                    x[p, k] = ak[p] - mean;
                }
            }

            var kernel = new double[Cells, Cells];
            for (int i = 0; i < Cells; i++)
            {
                for (int j = 0; j < Cells; j++)
                {
                    kernel[i, j] = Math.Tanh((Enumerable.Range(0, C).Sum(k => x[i, k] * x[j, k]) / C) + 1);
                }
            }

            var one = new double[Cells];
            double all = 0;
            for (int i = 0; i < Cells; i++)
            {
                one[i] = Enumerable.Range(0, Cells).Average(j => kernel[i, j]);
                all += one[i] / Cells;
            }

            var centred = new double[Cells, Cells];
            double shift = 0;
            for (int i = 0; i < Cells; i++)
            {
                for (int j = 0; j < Cells; j++)
                {
                    centred[i, j] = kernel[i, j] - one[i] - one[j] + all;
                }

                shift = Math.Max(shift, Enumerable.Range(0, Cells).Sum(j => Math.Abs(centred[i, j])));
            }

            var v = Enumerable.Range(0, Cells).Select(i => 1.0 + (0.01 * i)).ToArray();
            double lambda = 0;
            for (int it = 0; it < 200000; it++)
            {
                var next = Enumerable.Range(0, Cells).Select(i => Enumerable.Range(0, Cells).Sum(j => centred[i, j] * v[j]) + (shift * v[i])).ToArray();
                double norm = Math.Sqrt(next.Sum(t => t * t));
                v = next.Select(t => t / norm).ToArray();
                lambda = norm - shift;
                if (it > 100 && it % 100 == 0 && Math.Abs(lambda - Rayleigh(centred, v)) < 1e-13)
                {
                    break;
                }
            }

            lambda = Rayleigh(centred, v);
            Assert.IsGreaterThan(0, lambda);
            var expected = v.Select(t => t * Math.Sqrt(lambda)).ToArray();
            if (Math.Abs(expected.Min()) > Math.Abs(expected.Max()))
            {
                expected = expected.Select(t => -t).ToArray();
            }

            for (int p = 0; p < Cells; p++)
            {
                Assert.AreEqual(expected[p], raw.Data[(r * Cells) + p], 1e-4 * Math.Max(1e-3, expected.Max(Math.Abs)), $"row {r} cell {p}");
            }

            Assert.IsGreaterThan(Math.Abs(raw.Row(r).ToArray().Min()), raw.Row(r).ToArray().Max(), "sign rule: the largest-magnitude value is positive");
        }
    }

    private static double Rayleigh(double[,] m, double[] v)
    {
        int n = v.Length;
        return Enumerable.Range(0, n).Sum(i => v[i] * Enumerable.Range(0, n).Sum(j => m[i, j] * v[j]));
    }

    /// <summary>pytorch-grad-cam's FinerWeightedTarget written out: Σⱼ pⱼ(y_m − α yⱼ)/(Σⱼ pⱼ + 1e-9), p = softmax(y).</summary>
    internal static double FinerScore(double[] y, int m, int[] comparison, double alpha)
    {
        var p = CamTestModel.Softmax(y);
        return comparison.Sum(j => p[j] * (y[m] - (alpha * y[j]))) / (comparison.Sum(j => p[j]) + 1e-9);
    }

    [TestMethod]
    public void FinerCam_explains_the_weighted_difference_on_a_small_graph()
    {
        var net = new CamTestModel(relu: true);
        var x = GradientCheck.RandomTensor(new Random(5), [2, CamTestModel.Cin, CamTestModel.Size, CamTestModel.Size]);
        using var finer = new CamExplainer(net.Model, new CamOptions { Method = ExplanationMethods.FinerCam, TargetLayer = net.Layer });
        var result = finer.Explain(x, [-1, 2]);
        for (int r = 0; r < 2; r++)
        {
            var a = net.Activations(x, r);
            var y = net.Logits(a);
            int m = r == 0 ? Array.IndexOf(y, y.Max()) : 2;
            Assert.AreEqual(m, result.Targets![r], $"row {r} target");
            var comparison = Enumerable.Range(0, CamTestModel.Classes).Where(j => j != m).OrderBy(j => Math.Abs(y[j] - y[m])).Take(3).ToArray();
            Assert.AreEqual(FinerScore(y, m, comparison, 1), result.TargetScores[r], 1e-4, $"row {r} score");

            // Grad-CAM of s: the layer gradient is Σᵢ ∂s/∂yᵢ · fcᵢₖ / cells everywhere, so wₖ is that value.
            var ds = Enumerable.Range(0, CamTestModel.Classes).Select(i =>
            {
                var plus = (double[])y.Clone();
                var minus = (double[])y.Clone();
                plus[i] += 1e-5;
                minus[i] -= 1e-5;
                return (FinerScore(plus, m, comparison, 1) - FinerScore(minus, m, comparison, 1)) / 2e-5;
            }).ToArray();
            var w = Enumerable.Range(0, CamTestModel.Cout).Select(k => Enumerable.Range(0, CamTestModel.Classes).Sum(i => ds[i] * net.Fc[(i * CamTestModel.Cout) + k]) / CamTestModel.Cells).ToArray();
            for (int p = 0; p < CamTestModel.Cells; p++)
            {
                double expected = CamTestModel.WeightedSum(a, w, p);
                Assert.AreEqual(expected, result.RawMaps.Data[(r * CamTestModel.Cells) + p], 1e-5 + (1e-4 * Math.Abs(expected)), $"row {r} cell {p}");
            }
        }
    }

    [TestMethod]
    public void AblationCam_fills_by_name_on_a_layer_with_negative_activations()
    {
        // The layer is the Conv output (no ReLU), consumed linearly: replacing channel k by f changes the logit by
        // fc[c, k]·(f − mean(Aᵏ)). pytorch-grad-cam's fill is min − 1e7 (the layer's minimum is negative), the paper's 0.
        var net = new CamTestModel(relu: false);
        var x = GradientCheck.RandomTensor(new Random(9), [2, CamTestModel.Cin, CamTestModel.Size, CamTestModel.Size]);
        long[] targets = [1, 4];
        foreach (var fill in new[] { AblationFill.PyTorchGradCam, AblationFill.Zero })
        {
            using var cam = new CamExplainer(net.Model, new CamOptions { Method = ExplanationMethods.AblationCam, TargetLayer = net.Layer, AblationFill = fill, Execution = new ExecutionOptions { BatchSize = 3 } });
            var raw = cam.Explain(x, targets).RawMaps;
            for (int r = 0; r < 2; r++)
            {
                var a = net.Activations(x, r);
                int c = (int)targets[r];
                double y = net.Logits(a)[c], min = a.Min(ak => ak.Min());
                Assert.IsLessThan(0, min, "the layer must have negative values for this test");
                double f = fill == AblationFill.Zero ? 0 : min - 1e7;
                var w = Enumerable.Range(0, CamTestModel.Cout).Select(k => -(net.Fc[(c * CamTestModel.Cout) + k] * (f - a[k].Average())) / y).ToArray();
                for (int p = 0; p < CamTestModel.Cells; p++)
                {
                    double expected = CamTestModel.WeightedSum(a, w, p);
                    Assert.AreEqual(expected, raw.Data[(r * CamTestModel.Cells) + p], 2e-3 * Math.Max(1, Math.Abs(expected)), $"{fill} row {r} cell {p}");
                }
            }
        }
    }

    /// <summary>torch-cam's Score-CAM masks: each channel min-max normalised with ε = 1e-8 (the layer equals the input size here).</summary>
    private static double[][] TorchCamMasks(double[][] a) =>
        a.Select(ak =>
        {
            double min = ak.Min(), max = ak.Max() - min + 1e-8;
            return ak.Select(v => (v - min) / max).ToArray();
        }).ToArray();

    private static float[] Masked(FloatTensor x, int row, double[] mask, double factor)
    {
        var result = new float[CamTestModel.Cin * CamTestModel.Cells];
        for (int ch = 0; ch < CamTestModel.Cin; ch++)
        {
            for (int p = 0; p < CamTestModel.Cells; p++)
            {
                result[(ch * CamTestModel.Cells) + p] = (float)(factor * mask[p] * x.Data[(((row * CamTestModel.Cin) + ch) * CamTestModel.Cells) + p]);
            }
        }

        return result;
    }

    [TestMethod]
    public void IsCam_and_noiseless_SsCam_weights_match_a_direct_computation()
    {
        var net = new CamTestModel(relu: true);
        var x = GradientCheck.RandomTensor(new Random(12), [2, CamTestModel.Cin, CamTestModel.Size, CamTestModel.Size]);
        long[] targets = [0, 3];
        using var isCam = new CamExplainer(net.Model, new CamOptions { Method = ExplanationMethods.IsCam, TargetLayer = net.Layer, Execution = new ExecutionOptions { BatchSize = 3 } });
        using var ssCam = new CamExplainer(net.Model, new CamOptions { Method = ExplanationMethods.SsCam, TargetLayer = net.Layer, NoiseLevel = 0, Samples = 3 });
        var isMaps = isCam.Explain(x, targets).RawMaps;
        var ssMaps = ssCam.Explain(x, targets).RawMaps;
        for (int r = 0; r < 2; r++)
        {
            var a = net.Activations(x, r);
            int c = (int)targets[r];
            double baseline = net.Logits(a)[c];
            var masks = TorchCamMasks(a);

            // IS-CAM: 10 samples with cumulative factors 1/10, 3/10, 6/10, …, 55/10.
            var integrated = new double[CamTestModel.Cout];
            double factor = 0;
            for (int s = 1; s <= 10; s++)
            {
                factor += s / 10.0;
                for (int k = 0; k < CamTestModel.Cout; k++)
                {
                    integrated[k] += (net.Logits(Masked(x, r, masks[k], factor))[c] - baseline) / 10;
                }
            }

            // SS-CAM without noise: torch-cam's Score-CAM, softmax of y(Mᵏ ⊙ x) − y(x).
            var plain = Enumerable.Range(0, CamTestModel.Cout).Select(k => net.Logits(Masked(x, r, masks[k], 1))[c] - baseline).ToArray();
            var wIs = CamTestModel.Softmax(integrated);
            var wSs = CamTestModel.Softmax(plain);
            for (int p = 0; p < CamTestModel.Cells; p++)
            {
                double eIs = CamTestModel.WeightedSum(a, wIs, p), eSs = CamTestModel.WeightedSum(a, wSs, p);
                Assert.AreEqual(eIs, isMaps.Data[(r * CamTestModel.Cells) + p], 1e-4 * Math.Max(1, Math.Abs(eIs)), $"IS-CAM row {r} cell {p}");
                Assert.AreEqual(eSs, ssMaps.Data[(r * CamTestModel.Cells) + p], 1e-4 * Math.Max(1, Math.Abs(eSs)), $"SS-CAM row {r} cell {p}");
            }
        }
    }

    [TestMethod]
    public void SsCam_noise_is_seeded_and_changes_the_weights()
    {
        var net = new CamTestModel(relu: true);
        var x = GradientCheck.RandomTensor(new Random(13), [1, CamTestModel.Cin, CamTestModel.Size, CamTestModel.Size]);
        FloatTensor Run(int seed, double? noise)
        {
            using var cam = new CamExplainer(net.Model, new CamOptions { Method = ExplanationMethods.SsCam, TargetLayer = net.Layer, Samples = 5, NoiseLevel = noise, Seed = seed });
            return cam.Explain(x, [1]).RawMaps;
        }

        var first = Run(1, null);
        CollectionAssert.AreEqual(first.Data, Run(1, null).Data, "same seed, same map");
        CollectionAssert.AreNotEqual(first.Data, Run(2, null).Data, "another seed draws other noise");
        CollectionAssert.AreNotEqual(first.Data, Run(1, 0).Data, "σ = 2 noise changes the weights");
    }

    [TestMethod]
    public void SmoothGradCamPlusPlus_matches_the_closed_form_when_the_layer_gradient_is_constant()
    {
        // After the ReLU the layer gradient is fc[c, k]/cells at every cell and for every noisy input, so D₂ = g², D₃ = g³
        // and wₖ = cells · g²/(2g² + g³·ΣA + 1e-8) · ReLU(g).
        var net = new CamTestModel(relu: true);
        var x = GradientCheck.RandomTensor(new Random(14), [2, CamTestModel.Cin, CamTestModel.Size, CamTestModel.Size]);
        long[] targets = [2, 0];
        using var cam = new CamExplainer(net.Model, new CamOptions { Method = ExplanationMethods.SmoothGradCamPlusPlus, TargetLayer = net.Layer, Execution = new ExecutionOptions { BatchSize = 3 } });
        var raw = cam.Explain(x, targets).RawMaps;
        for (int r = 0; r < 2; r++)
        {
            var a = net.Activations(x, r);
            int c = (int)targets[r];
            var w = Enumerable.Range(0, CamTestModel.Cout).Select(k =>
            {
                double g = net.Fc[(c * CamTestModel.Cout) + k] / (double)CamTestModel.Cells;
                return CamTestModel.Cells * (g * g / ((2 * g * g) + (g * g * g * a[k].Sum()) + 1e-8)) * Math.Max(0, g);
            }).ToArray();
            Assert.IsTrue(w.Any(v => v > 0), "some channel should have a positive gradient");
            for (int p = 0; p < CamTestModel.Cells; p++)
            {
                double expected = CamTestModel.WeightedSum(a, w, p);
                Assert.AreEqual(expected, raw.Data[(r * CamTestModel.Cells) + p], 1e-4 * Math.Max(1, Math.Abs(expected)), $"row {r} cell {p}");
            }
        }
    }
}
