using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>Pixel flipping (MoRF/LeRF, AOPC) and ROAD with its noisy linear imputation.</summary>
[TestClass]
public sealed class PixelFlippingAndRoadTests
{
    private static readonly LinearFixture Linear = new();

    [TestMethod]
    public void Random_attribution_gives_MoRF_and_LeRF_curves_that_coincide_within_noise()
    {
        var x = LinearFixture.Images(24);
        var targets = Linear.Predicted(x);
        using var scorer = new ModelScorer(Linear.Model, options: new ExecutionOptions { BatchSize = 64 });
        var options = new PixelFlippingOptions { Steps = 10, Baseline = new BaselineOptions { Kind = BaselineKind.UniformNoise, Seed = 3 } };
        var random = PixelFlipping.Run(scorer, x, LinearFixture.RandomAttribution(x.Shape, 21), targets, options);

        // Input × weight is exact for the zero baseline (removing pixel i changes the logit by −x_i·w_i).
        var exact = PixelFlipping.Run(scorer, x, Linear.InputTimesWeight(x, targets), targets, new PixelFlippingOptions { Steps = 10, Baseline = new BaselineOptions { Kind = BaselineKind.Zero } });

        var differences = random.AopcMorf.Zip(random.AopcLerf, (m, l) => m - l).ToArray();
        var stats = SummaryStatistics.Of(differences);
        Assert.IsTrue(stats.ConfidenceLow < 0 && stats.ConfidenceHigh > 0, $"random: MoRF − LeRF AOPC {stats.Mean:G4}, 95 % CI [{stats.ConfidenceLow:G4}, {stats.ConfidenceHigh:G4}] should contain 0");
        double spread = random.Morf.Curves.SelectMany(c => c).Select(v => Math.Abs(v - random.Morf.MeanCurve[0])).Max();
        for (int k = 0; k < random.Morf.MeanCurve.Count; k++)
        {
            Assert.AreEqual(random.Morf.MeanCurve[k], random.Lerf.MeanCurve[k], 0.25 * spread, $"mean curves at step {k}");
        }

        // The exact attribution separates the orders: every sample's MoRF AOPC exceeds its LeRF AOPC.
        for (int n = 0; n < x.BatchSize; n++)
        {
            Assert.IsGreaterThan(exact.AopcLerf[n], exact.AopcMorf[n], $"sample {n}");
        }

        Assert.AreEqual(exact.Morf.Curves[0][0], exact.Lerf.Curves[0][0], 1e-6, "both start at f(x)");
        Assert.AreEqual(0, PixelFlippingResult.Aopc([3.0, 3.0, 3.0]));
        Assert.AreEqual(1.0, PixelFlippingResult.Aopc([3.0, 2.0, 1.0]), 1e-12, "(0 + 1 + 2) / 3");
    }

    [TestMethod]
    public void Linear_imputation_reproduces_a_ramp_and_adds_noise_of_the_given_spread()
    {
        const int H = 12, W = 10;
        var ramp = Enumerable.Range(0, H * W).Select(p => (float)((0.5 * (p / W)) - (0.25 * (p % W)) + 1)).ToArray();
        var removed = new bool[H * W];
        foreach (var (i, j) in new[] { (4, 4), (4, 5), (5, 4), (5, 5), (6, 5), (2, 7), (9, 2), (9, 3) })
        {
            removed[(i * W) + j] = true;
        }

        var plane = (float[])ramp.Clone();
        foreach (var p in Enumerable.Range(0, H * W).Where(p => removed[p]))
        {
            plane[p] = 100;
        }

        NoisyLinearImputer.Impute(plane, removed, H, W, 0, new Random(1));
        for (int p = 0; p < plane.Length; p++)
        {
            Assert.AreEqual(ramp[p], plane[p], 1e-4, $"pixel {p} (removed: {removed[p]})");
        }

        // A removed border block of a constant image is constant; noise has the requested standard deviation.
        var block = new bool[H * W];
        for (int p = 0; p < block.Length; p++)
        {
            block[p] = p % W < 6;
        }

        var constant = Enumerable.Repeat(2f, H * W).ToArray();
        NoisyLinearImputer.Impute(constant, block, H, W, 0.05, new Random(4));
        var imputed = Enumerable.Range(0, H * W).Where(p => block[p]).Select(p => constant[p] - 2.0).ToArray();
        double std = Math.Sqrt(imputed.Average(v => v * v));
        Assert.AreEqual(0.05, std, 0.012);
        Assert.AreEqual(0, imputed.Average(), 0.02);
    }

    [TestMethod]
    public void Road_separates_MoRF_from_LeRF_for_the_exact_attribution()
    {
        var x = LinearFixture.Images(6);
        var targets = Linear.Predicted(x);
        using var scorer = new ModelScorer(Linear.Model);
        var options = new RoadOptions { Percentages = [0.1, 0.3, 0.5, 0.7], Score = ScoreKind.Logit, Seed = 2 };
        var exact = Road.Run(scorer, x, Linear.InputTimesWeight(x, targets), targets, options);
        var again = Road.Run(scorer, x, Linear.InputTimesWeight(x, targets), targets, options);
        for (int n = 0; n < 6; n++)
        {
            Assert.IsLessThan(exact.MeanLerf[n], exact.MeanMorf[n], $"sample {n}");
            CollectionAssert.AreEqual(exact.Morf.Curves[n].ToArray(), again.Morf.Curves[n].ToArray(), "seeded noise is reproducible");
        }

        CollectionAssert.AreEqual(new[] { 78 / 784.0, 235 / 784.0, 392 / 784.0, 549 / 784.0 }, exact.Morf.Fractions.ToArray());
    }

    [TestMethod]
    public void Progress_is_reported_per_sample_and_cancellation_stops_the_run()
    {
        var x = LinearFixture.Images(3);
        using var scorer = new ModelScorer(Linear.Model);
        var log = new ProgressLog();
        DeletionInsertion.Insertion(scorer, x, LinearFixture.RandomAttribution(x.Shape, 1), null, new DeletionInsertionOptions { Steps = 4 }, log);
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, log.Reports.Select(r => r.Completed).ToArray());
        Assert.IsTrue(log.Reports.All(r => r.Total == 3 && r.Metric == "insertion"));

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => PixelFlipping.Run(scorer, x, LinearFixture.RandomAttribution(x.Shape, 1), cancellationToken: cancelled.Token));
    }
}
