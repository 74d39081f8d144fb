using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Attribution;

/// <summary>FullGrad on a tiny Conv → ReLU → Conv(stride 2) → BatchNorm → ReLU → GAP → Gemm network, against gradients derived by hand.</summary>
[TestClass]
public sealed class FullGradTests
{
    private const int S = 6, C1 = 2, C2 = 3, Half = 3, Classes = 2;

    [TestMethod]
    public void FullGrad_matches_a_direct_computation_of_the_input_and_bias_terms()
    {
        var random = new Random(8);
        float[] Values(int n, double low = -1, double high = 1) => Enumerable.Range(0, n).Select(_ => (float)(low + ((high - low) * random.NextDouble()))).ToArray();
        var w1 = Values(C1 * 9);
        var b1 = Values(C1);
        var w2 = Values(C2 * C1 * 4);
        var b2 = Values(C2);
        var gamma = Values(C2, 0.5, 1.5);
        var beta = Values(C2);
        var mu = Values(C2, -0.3, 0.3);
        var variance = Values(C2, 0.5, 2);
        var fc = Values(Classes * C2);
        const float eps = 1e-5f;

        var t = new TestGraph();
        var xName = t.Input("x", -1, 1, S, S);
        var z1 = t.Node("Conv", [xName, t.Constant("w1", [C1, 1, 3, 3], w1), t.Constant("b1", [C1], b1)], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var a1 = t.Node("Relu", [z1]);
        var z2 = t.Node("Conv", [a1, t.Constant("w2", [C2, C1, 2, 2], w2), t.Constant("b2", [C2], b2)], AttributeValue.Ints("strides", [2, 2]));
        var u = t.Node("BatchNormalization", [z2, t.Constant("gamma", [C2], gamma), t.Constant("beta", [C2], beta), t.Constant("mu", [C2], mu), t.Constant("var", [C2], variance)], AttributeValue.Float("epsilon", eps));
        var a2 = t.Node("Relu", [u]);
        var gap = t.Node("GlobalAveragePool", [a2]);
        var flat = t.Node("Flatten", [gap]);
        var logits = t.Node("Gemm", [flat, t.Constant("fc", [Classes, C2], fc), t.Random("fcb", [Classes])], AttributeValue.Int("transB", 1));
        var model = t.Output(logits).Build();

        var x = GradientCheck.RandomTensor(new Random(9), [3, 1, S, S]);
        long[] targets = [0, 1, 1];
        using var fullGrad = new FullGrad(model);
        CollectionAssert.AreEqual(new[] { z1, z2, u }, fullGrad.Layers.Select(l => l.Tensor).ToArray(), "Conv, Conv and BatchNormalization carry spatial biases");
        var result = fullGrad.Explain(x, targets);
        CollectionAssert.AreEqual(new long[] { 3, S, S }, result.Maps.Shape);
        CollectionAssert.AreEqual(targets, result.Targets);

        for (int r = 0; r < 3; r++)
        {
            int target = (int)targets[r];
            // Forward.
            var pre1 = new double[C1, S, S];
            for (int c = 0; c < C1; c++)
            {
                for (int i = 0; i < S; i++)
                {
                    for (int j = 0; j < S; j++)
                    {
                        double s = b1[c];
                        for (int di = 0; di < 3; di++)
                        {
                            for (int dj = 0; dj < 3; dj++)
                            {
                                int y = i + di - 1, z = j + dj - 1;
                                if (y is >= 0 and < S && z is >= 0 and < S)
                                {
                                    s += w1[(c * 9) + (di * 3) + dj] * x[r, 0, y, z];
                                }
                            }
                        }

                        pre1[c, i, j] = s;
                    }
                }
            }

            var pre2 = new double[C2, Half, Half];
            var bn = new double[C2, Half, Half];
            for (int k = 0; k < C2; k++)
            {
                for (int i = 0; i < Half; i++)
                {
                    for (int j = 0; j < Half; j++)
                    {
                        double s = b2[k];
                        for (int c = 0; c < C1; c++)
                        {
                            for (int di = 0; di < 2; di++)
                            {
                                for (int dj = 0; dj < 2; dj++)
                                {
                                    s += w2[(((k * C1) + c) * 4) + (di * 2) + dj] * Math.Max(0, pre1[c, (2 * i) + di, (2 * j) + dj]);
                                }
                            }
                        }

                        pre2[k, i, j] = s;
                        bn[k, i, j] = (gamma[k] * (s - mu[k]) / Math.Sqrt(variance[k] + eps)) + beta[k];
                    }
                }
            }

            // Backward by hand.
            var gU = new double[C2, Half, Half];
            var gZ2 = new double[C2, Half, Half];
            var gZ1 = new double[C1, S, S];
            for (int k = 0; k < C2; k++)
            {
                for (int i = 0; i < Half; i++)
                {
                    for (int j = 0; j < Half; j++)
                    {
                        gU[k, i, j] = bn[k, i, j] > 0 ? fc[(target * C2) + k] / 9.0 : 0;
                        gZ2[k, i, j] = gU[k, i, j] * gamma[k] / Math.Sqrt(variance[k] + eps);
                        for (int c = 0; c < C1; c++)
                        {
                            for (int di = 0; di < 2; di++)
                            {
                                for (int dj = 0; dj < 2; dj++)
                                {
                                    int y = (2 * i) + di, z = (2 * j) + dj;
                                    gZ1[c, y, z] += pre1[c, y, z] > 0 ? gZ2[k, i, j] * w2[(((k * C1) + c) * 4) + (di * 2) + dj] : 0;
                                }
                            }
                        }
                    }
                }
            }

            var gX = new double[S, S];
            for (int c = 0; c < C1; c++)
            {
                for (int i = 0; i < S; i++)
                {
                    for (int j = 0; j < S; j++)
                    {
                        for (int di = 0; di < 3; di++)
                        {
                            for (int dj = 0; dj < 3; dj++)
                            {
                                int y = i + di - 1, z = j + dj - 1;
                                if (y is >= 0 and < S && z is >= 0 and < S)
                                {
                                    gX[y, z] += gZ1[c, i, j] * w1[(c * 9) + (di * 3) + dj];
                                }
                            }
                        }
                    }
                }
            }

            // pytorch-grad-cam's FullGrad: each (channel) map |·| min-max normalised, resized to the input, summed.
            var total = new double[S, S];
            AddNormalised(total, Map(S, (i, j) => Math.Abs(x[r, 0, i, j] * gX[i, j])));
            for (int c = 0; c < C1; c++)
            {
                AddNormalised(total, Map(S, (i, j) => Math.Abs(b1[c] * gZ1[c, i, j])));
            }

            for (int k = 0; k < C2; k++)
            {
                double effective = beta[k] - (mu[k] * gamma[k] / Math.Sqrt(variance[k] + eps));
                Add(total, NormaliseAndResize(Map(Half, (i, j) => Math.Abs(b2[k] * gZ2[k, i, j]))));
                Add(total, NormaliseAndResize(Map(Half, (i, j) => Math.Abs(effective * gU[k, i, j]))));
            }

            var flatTotal = total.Cast<double>().ToArray();
            double min = flatTotal.Min(), max = flatTotal.Max() - min;
            for (int p = 0; p < S * S; p++)
            {
                Assert.AreEqual(flatTotal[p], result.RawMaps.Data[(r * S * S) + p], 1e-4 * Math.Max(1, Math.Abs(flatTotal[p])), $"row {r} raw pixel {p}");
                Assert.AreEqual((flatTotal[p] - min) / (1e-7 + max), result.Maps.Data[(r * S * S) + p], 1e-4, $"row {r} map pixel {p}");
            }
        }
    }

    private static double[,] Map(int size, Func<int, int, double> f)
    {
        var m = new double[size, size];
        for (int i = 0; i < size; i++)
        {
            for (int j = 0; j < size; j++)
            {
                m[i, j] = f(i, j);
            }
        }

        return m;
    }

    /// <summary>m ← (m − min)/(1e-7 + max − min), then added (already at the input size).</summary>
    private static void AddNormalised(double[,] total, double[,] m)
    {
        var values = m.Cast<double>().ToArray();
        double min = values.Min(), range = values.Max() - min;
        for (int i = 0; i < S; i++)
        {
            for (int j = 0; j < S; j++)
            {
                total[i, j] += (m[i, j] - min) / (1e-7 + range);
            }
        }
    }

    private static void Add(double[,] total, double[,] m)
    {
        for (int i = 0; i < S; i++)
        {
            for (int j = 0; j < S; j++)
            {
                total[i, j] += m[i, j];
            }
        }
    }

    /// <summary>Min-max normalised, then cv2.resize bilinear 3×3 → 6×6 with half-pixel centres, clamped at the edges.</summary>
    private static double[,] NormaliseAndResize(double[,] m)
    {
        var values = m.Cast<double>().ToArray();
        double min = values.Min(), range = values.Max() - min;
        var normalised = Map(Half, (i, j) => (m[i, j] - min) / (1e-7 + range));
        double Tap(int o, out int low, out int high)
        {
            double s = Math.Clamp(((o + 0.5) * Half / S) - 0.5, 0, Half - 1);
            low = (int)Math.Floor(s);
            high = Math.Min(low + 1, Half - 1);
            return s - low;
        }

        return Map(S, (i, j) =>
        {
            double fy = Tap(i, out var y0, out var y1), fx = Tap(j, out var x0, out var x1);
            double top = normalised[y0, x0] + (fx * (normalised[y0, x1] - normalised[y0, x0]));
            double bottom = normalised[y1, x0] + (fx * (normalised[y1, x1] - normalised[y1, x0]));
            return top + (fy * (bottom - top));
        });
    }
}
