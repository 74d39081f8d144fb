using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Attribution;

/// <summary>Occlusion and RISE on models whose answer is known.</summary>
[TestClass]
public sealed class PerturbationTests
{
    private const int C = 2, H = 6, W = 7, Classes = 3;

    /// <summary>logits = Flatten(x)·Wᵀ + b: an occluded window changes class t's score by exactly Σ_window w_t·(x − baseline).</summary>
    private static (OnnxModel Model, float[] Weights) LinearModel()
    {
        var random = new Random(11);
        var weights = Enumerable.Range(0, Classes * C * H * W).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var t = new TestGraph();
        var x = t.Input("x", -1, C, H, W);
        var flat = t.Node("Flatten", [x]);
        var logits = t.Node("Gemm", [flat, t.Constant("w", [Classes, C * H * W], weights), t.Random("b", [Classes])], AttributeValue.Int("transB", 1));
        return (t.Output(logits).Build(), weights);
    }

    [TestMethod]
    public void Occlusion_on_a_linear_model_is_the_mean_hand_computed_drop_of_the_windows_covering_each_pixel()
    {
        var (model, weights) = LinearModel();
        var x = GradientCheck.RandomTensor(new Random(2), [2, C, H, W]);
        const float baseline = 0.25f;
        const int wh = 3, ww = 3, sy = 2, sx = 2;
        using var occlusion = new Occlusion(model, new OcclusionOptions { WindowHeight = wh, WindowWidth = ww, StrideY = sy, StrideX = sx, BaselineValue = baseline, Execution = new ExecutionOptions { BatchSize = 5 } });
        long[] targets = [2, 0];
        var result = occlusion.Explain(x, targets);
        CollectionAssert.AreEqual(x.Shape, result.Attributions.Shape);

        // Windows start at 0, 2, 4 (rows: ⌈(6 − 3)/2⌉ + 1 = 3) and 0, 2, 4, 6 (columns: ⌈(7 − 3)/2⌉ + 1 = 3 → 0, 2, 4; 4 + 3 = 7 fits).
        int[] rows = [0, 2, 4], cols = [0, 2, 4];
        for (int r = 0; r < 2; r++)
        {
            int t = (int)targets[r];
            var sum = new double[H * W];
            var count = new int[H * W];
            foreach (var y0 in rows)
            {
                foreach (var x0 in cols)
                {
                    double drop = 0;
                    for (int c = 0; c < C; c++)
                    {
                        for (int y = y0; y < Math.Min(H, y0 + wh); y++)
                        {
                            for (int xx = x0; xx < Math.Min(W, x0 + ww); xx++)
                            {
                                drop += weights[(t * C * H * W) + (((c * H) + y) * W) + xx] * (x[r, c, y, xx] - baseline);
                            }
                        }
                    }

                    for (int y = y0; y < Math.Min(H, y0 + wh); y++)
                    {
                        for (int xx = x0; xx < Math.Min(W, x0 + ww); xx++)
                        {
                            sum[(y * W) + xx] += drop;
                            count[(y * W) + xx]++;
                        }
                    }
                }
            }

            for (int p = 0; p < H * W; p++)
            {
                double expected = sum[p] / count[p];
                for (int c = 0; c < C; c++)
                {
                    Assert.AreEqual(expected, result.Attributions.Data[(((r * C) + c) * H * W) + p], 1e-4, $"row {r} channel {c} pixel {p}");
                }
            }
        }
    }

    [TestMethod]
    public void Occlusion_clips_the_last_window_and_leaves_uncovered_pixels_at_zero()
    {
        var (model, weights) = LinearModel();
        var x = GradientCheck.RandomTensor(new Random(3), [1, C, H, W]);
        // Columns: ⌈(7 − 2)/3⌉ + 1 = 3 windows at 0, 3, 6; the last is clipped to column 6; columns 2 and 5 are never covered.
        CollectionAssert.AreEqual(new[] { 0, 3, 6 }, Occlusion.Starts(W, 2, 3));
        using var occlusion = new Occlusion(model, new OcclusionOptions { WindowHeight = H, WindowWidth = 2, StrideY = 1, StrideX = 3 });
        var a = occlusion.Explain(x, [1]).Attributions;
        for (int y = 0; y < H; y++)
        {
            Assert.AreEqual(0f, a[0, 0, y, 2]);
            Assert.AreEqual(0f, a[0, 1, y, 5]);
        }

        // Column 6 alone: its drop is Σ over channels and rows of w·x at column 6 (baseline 0).
        double drop = 0;
        for (int c = 0; c < C; c++)
        {
            for (int y = 0; y < H; y++)
            {
                drop += weights[(1 * C * H * W) + (((c * H) + y) * W) + 6] * x[0, c, y, 6];
            }
        }

        Assert.AreEqual(drop, a[0, 0, 3, 6], 1e-4);
        Assert.ThrowsExactly<InputMismatchException>(() => new Occlusion(model, new OcclusionOptions { WindowHeight = H + 1 }));
    }

    /// <summary>y = mean of x over rows 4–7 and columns 4–7 of a 16×16 image: RISE's saliency should concentrate there.</summary>
    [TestMethod]
    public void Rise_concentrates_on_the_region_a_model_averages()
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 1, 16, 16);
        var region = t.Node("Slice", [x, t.Int64s("starts", 4, 4), t.Int64s("ends", 8, 8), t.Int64s("axes", 2, 3)]);
        var flat = t.Node("Flatten", [region]);
        var mean = t.Node("ReduceMean", [flat], AttributeValue.Ints("axes", [1]), AttributeValue.Int("keepdims", 1));
        var model = t.Output(mean).Build();
        var ones = new FloatTensor(Enumerable.Repeat(1f, 2 * 256).ToArray(), 2, 1, 16, 16);
        const double p = 0.5;
        var options = new RiseOptions { Masks = 3000, GridSize = 4, KeepProbability = p, Seed = 7, Execution = new ExecutionOptions { BatchSize = 256 } };
        using var rise = new Rise(model, options);
        var result = rise.Explain(ones);
        CollectionAssert.AreEqual(new long[] { 2, 1, 16, 16 }, result.Attributions.Shape);
        CollectionAssert.AreEqual(new long[] { 0, 0 }, result.Targets);
        var s = result.Attributions;
        Assert.IsTrue(s.Data.All(float.IsFinite));

        // Expectation: S(q) = E[mean_R(M)·M(q)]/p. Far from R the two are independent: p·p/p = p; inside R they are
        // positively correlated, so S is larger; the two rows (same image, same masks) agree exactly.
        double inside = 0, far = 0;
        int farCount = 0;
        for (int yy = 0; yy < 16; yy++)
        {
            for (int xx = 0; xx < 16; xx++)
            {
                Assert.AreEqual(s[0, 0, yy, xx], s[1, 0, yy, xx], "same masks for every row");
                if (yy is >= 4 and < 8 && xx is >= 4 and < 8)
                {
                    inside += s[0, 0, yy, xx] / 16.0;
                }
                else if (yy >= 13 || xx >= 13)
                {
                    far += s[0, 0, yy, xx];
                    farCount++;
                }
            }
        }

        far /= farCount;
        Console.WriteLine($"RISE: mean saliency inside the region {inside:F3}, far from it {far:F3} (p = {p})");
        Assert.AreEqual(p, far, 0.05, "far from the region the saliency is ≈ p");
        Assert.IsGreaterThan(far + 0.1, inside, "the saliency concentrates on the averaged region");
        int best = Enumerable.Range(0, 256).MaxBy(i => s.Data[i]);
        Assert.IsTrue(best / 16 is >= 3 and < 9 && best % 16 is >= 3 and < 9, $"maximum at ({best / 16}, {best % 16}) is not on the region");

        // The masks: the same sequence for the same seed, values in [0, 1], mean ≈ p.
        var masks = rise.Masks(16, 16, 200);
        CollectionAssert.AreEqual(masks.Data, rise.Masks(16, 16, 200).Data);
        Assert.IsTrue(masks.Data.All(v => v is >= 0 and <= 1));
        Assert.AreEqual(p, masks.Data.Average(), 0.05);
        using var again = new Rise(model, options);
        CollectionAssert.AreEqual(s.Data, again.Explain(ones).Attributions.Data, "seeded: repeatable");
    }

    [TestMethod]
    public void Rise_saliency_is_the_score_weighted_mask_sum_over_n_p()
    {
        // A linear model: S = Σᵢ y(x ⊙ Mᵢ)·Mᵢ/(N·p), checked against the masks the explainer reports.
        var (model, weights) = LinearModel();
        var x = GradientCheck.RandomTensor(new Random(4), [1, C, H, W]);
        var options = new RiseOptions { Masks = 40, GridSize = 3, KeepProbability = 0.4, Seed = 3, Execution = new ExecutionOptions { BatchSize = 7 } };
        using var rise = new Rise(model, options);
        var result = rise.Explain(x, [1]);
        var masks = rise.Masks(H, W, 40);
        using var forward = new Forward(model);
        var bias = forward.Run("Gemm_1_out0", new Dictionary<string, FloatTensor> { ["x"] = FloatTensor.Zeros(1, C, H, W) }).Data[1];
        var expected = new double[H * W];
        for (int i = 0; i < 40; i++)
        {
            double y = bias;
            for (int c = 0; c < C; c++)
            {
                for (int q = 0; q < H * W; q++)
                {
                    y += weights[(1 * C * H * W) + (c * H * W) + q] * x.Data[(c * H * W) + q] * masks.Data[(i * H * W) + q];
                }
            }

            for (int q = 0; q < H * W; q++)
            {
                expected[q] += y * masks.Data[(i * H * W) + q] / (40 * 0.4);
            }
        }

        for (int q = 0; q < H * W; q++)
        {
            Assert.AreEqual(expected[q], result.Attributions.Data[q], 1e-3, $"pixel {q}");
        }
    }
}
