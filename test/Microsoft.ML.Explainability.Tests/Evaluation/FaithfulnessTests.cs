using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>Faithfulness metrics on a linear model whose exact attribution (input × weight) is known.</summary>
[TestClass]
public sealed class FaithfulnessTests
{
    private static readonly LinearFixture Linear = new();

    [TestMethod]
    public void Deletion_curve_of_the_linear_model_matches_the_logits_computed_by_hand()
    {
        var x = LinearFixture.Images(3);
        var targets = Linear.Predicted(x);
        var exact = Linear.InputTimesWeight(x, targets);
        using var scorer = new ModelScorer(Linear.Model);
        var curves = DeletionInsertion.Deletion(scorer, x, exact, targets, new DeletionInsertionOptions { Steps = 8, Score = ScoreKind.Logit });
        Assert.HasCount(9, curves.Fractions);
        for (int n = 0; n < 3; n++)
        {
            var order = Enumerable.Range(0, 784).OrderByDescending(i => exact.Row(n)[i]).ToArray();
            for (int k = 0; k <= 8; k++)
            {
                var removed = order.Take((int)Math.Round(k * 784 / 8.0)).ToHashSet();
                var row = x.Row(n).ToArray();
                foreach (var p in removed)
                {
                    row[p] = 0;
                }

                Assert.AreEqual(Linear.Logit(row, targets[n]), curves.Curves[n][k], 1e-3, $"sample {n}, step {k}");
            }
        }

        Assert.AreEqual(27L, scorer.ForwardPasses, "9 steps × 3 samples; targets given, so no prediction pass");
    }

    [TestMethod]
    public void Exact_attribution_beats_a_random_one_on_deletion_and_insertion()
    {
        var x = LinearFixture.Images(8);
        var targets = Linear.Predicted(x);
        var exact = Linear.InputTimesWeight(x, targets);
        var random = LinearFixture.RandomAttribution(x.Shape, 11);
        using var scorer = new ModelScorer(Linear.Model, options: new ExecutionOptions { BatchSize = 64 });
        foreach (var kind in new[] { ScoreKind.Logit, ScoreKind.Probability })
        {
            var options = new DeletionInsertionOptions { Steps = 20, Score = kind };
            var deletionExact = DeletionInsertion.Deletion(scorer, x, exact, targets, options);
            var deletionRandom = DeletionInsertion.Deletion(scorer, x, random, targets, options);
            var insertionExact = DeletionInsertion.Insertion(scorer, x, exact, targets, options);
            var insertionRandom = DeletionInsertion.Insertion(scorer, x, random, targets, options);
            for (int n = 0; n < 8; n++)
            {
                Assert.IsLessThan(deletionRandom.Auc[n], deletionExact.Auc[n], $"{kind} deletion, sample {n}");
                Assert.IsGreaterThan(insertionRandom.Auc[n], insertionExact.Auc[n], $"{kind} insertion, sample {n}");
            }

            // Both curves start and end at the unperturbed input and the baseline.
            Assert.AreEqual(deletionExact.Curves[0][0], insertionExact.Curves[0][^1], 1e-5);
            Assert.AreEqual(deletionExact.Curves[0][^1], insertionExact.Curves[0][0], 1e-5);
        }
    }

    [TestMethod]
    public void Blur_and_mean_baselines_are_what_deleted_pixels_become()
    {
        var x = LinearFixture.Images(2);
        var mean = Baselines.Create(x, new BaselineOptions { Kind = BaselineKind.Mean });
        Assert.AreEqual(x.Row(1).ToArray().Average(), mean.Row(1)[17], 1e-5);
        var constant = new FloatTensor(Enumerable.Repeat(0.25f, 784).ToArray(), 1, 1, 28, 28);
        var blurred = Baselines.Create(constant, new BaselineOptions { Kind = BaselineKind.Blur, BlurSigma = 3 });
        Assert.IsTrue(blurred.Data.All(v => Math.Abs(v - 0.25f) < 1e-6), "blurring a constant image keeps it");
        var blur = Baselines.Create(x, new BaselineOptions { Kind = BaselineKind.Blur, BlurSigma = 2 });
        Assert.AreEqual(x.Row(0).ToArray().Average(), blur.Row(0).ToArray().Average(), 0.02, "a normalised blur keeps the mean up to edge effects");

        // Deleting everything leaves f(baseline).
        var targets = Linear.Predicted(x);
        using var scorer = new ModelScorer(Linear.Model);
        var curves = DeletionInsertion.Deletion(scorer, x, Linear.InputTimesWeight(x, targets), targets, new DeletionInsertionOptions { Steps = 4, Score = ScoreKind.Logit, Baseline = new BaselineOptions { Kind = BaselineKind.Blur, BlurSigma = 2 } });
        Assert.AreEqual(Linear.Logit(blur.Row(1), targets[1]), curves.Curves[1][^1], 1e-3);
    }

    [TestMethod]
    public void Faithfulness_correlation_is_one_for_the_exact_attribution_and_near_zero_for_a_random_one()
    {
        var x = LinearFixture.Images(6);
        var targets = Linear.Predicted(x);
        using var scorer = new ModelScorer(Linear.Model);
        var options = new FaithfulnessCorrelationOptions { Runs = 40, SubsetFraction = 0.2, Seed = 5 };
        var exact = FaithfulnessCorrelation.Run(scorer, x, Linear.InputTimesWeight(x, targets), targets, options);
        var random = FaithfulnessCorrelation.Run(scorer, x, LinearFixture.RandomAttribution(x.Shape, 2), targets, options);
        foreach (var r in exact)
        {
            Assert.AreEqual(1, r, 1e-4);
        }

        Assert.IsLessThan(0.5, Math.Abs(random.Average()));
        Assert.IsTrue(random.Zip(exact).All(p => p.First < p.Second));
    }

    [TestMethod]
    public void Infidelity_is_zero_for_the_gradient_and_lower_for_the_exact_attribution_than_for_a_random_one()
    {
        var x = LinearFixture.Images(5);
        var targets = Linear.Predicted(x);
        using var scorer = new ModelScorer(Linear.Model);
        // 200 draws: with fewer, the fitted scale β of a random attribution absorbs part of the Monte Carlo noise.
        var options = new InfidelityOptions { Samples = 200, NoiseStd = 0.1, Seed = 1 };
        var gradient = Infidelity.Run(scorer, x, Linear.Gradient(x, targets), targets, options);
        var exact = Infidelity.Run(scorer, x, Linear.InputTimesWeight(x, targets), targets, options);
        var random = Infidelity.Run(scorer, x, LinearFixture.RandomAttribution(x.Shape, 4), targets, options);
        var unscaled = Infidelity.Run(scorer, x, Linear.Gradient(x, targets), targets, new InfidelityOptions { Samples = 30, NoiseStd = 0.1, Seed = 1, Normalize = false });

        // f(x) − f(x − I) = Iᵀw exactly for a linear logit: only float32 rounding remains.
        Assert.IsTrue(gradient.All(v => v < 1e-6), string.Join(", ", gradient));
        Assert.IsTrue(unscaled.All(v => v < 1e-6), string.Join(", ", unscaled));
        for (int n = 0; n < 5; n++)
        {
            Assert.IsLessThan(random[n], exact[n], $"sample {n}");
        }

        // With relative perturbations I = x ⊙ ε, input × weight is the optimal explanation.
        var relative = Infidelity.Run(scorer, x, Linear.InputTimesWeight(x, targets), targets, new InfidelityOptions { Samples = 30, NoiseStd = 0.1, Seed = 1, MultipliedByInputs = true });
        Assert.IsTrue(relative.All(v => v < 1e-6), string.Join(", ", relative));
    }

    [TestMethod]
    public void Completeness_holds_for_input_times_weight_against_a_zero_baseline()
    {
        var x = LinearFixture.Images(4);
        var targets = Linear.Predicted(x);
        using var scorer = new ModelScorer(Linear.Model);
        var exact = Completeness.Run(scorer, x, Linear.InputTimesWeight(x, targets), targets);
        var random = Completeness.Run(scorer, x, LinearFixture.RandomAttribution(x.Shape, 9), targets);
        for (int n = 0; n < 4; n++)
        {
            double expected = Linear.Logit(x.Row(n), targets[n]) - Linear.Bias[targets[n]];
            Assert.AreEqual(expected, exact.ScoreDifferences[n], 1e-3);
            Assert.AreEqual(expected, exact.AttributionSums[n], 1e-3);
            Assert.IsLessThan(1e-3, exact.RelativeErrors[n]);
        }

        // A random attribution's sum is unrelated to the logit difference (per sample it may be close by chance).
        Assert.IsGreaterThan(0.3, random.RelativeErrors.Average());
        Assert.AreEqual(random.ScoreDifferences[2], exact.ScoreDifferences[2], 1e-9, "the score side does not depend on the attribution");
    }

    [TestMethod]
    public void Max_sensitivity_is_zero_for_a_constant_explanation_and_bounded_by_the_ball_for_the_identity()
    {
        var x = LinearFixture.Images(3);
        var targets = Linear.Predicted(x);
        var options = new MaxSensitivityOptions { Radius = 0.05, Samples = 8, Seed = 2 };
        var constant = MaxSensitivity.Run(x, batch => Linear.Gradient(batch, Enumerable.Repeat(targets[0], batch.BatchSize).ToArray()), options);
        Assert.IsTrue(constant.All(v => v == 0));
        var identity = MaxSensitivity.Run(x, batch => new FloatTensor((float[])batch.Data.Clone(), batch.Shape), options);

        // Φ(y) − Φ(x) = u with u uniform in [−r, r]^d: ‖u‖₂ ≤ r√d, and E‖u‖₂² = d·r²/3.
        double upper = 0.05 * Math.Sqrt(784), typical = 0.05 * Math.Sqrt(784 / 3.0);
        foreach (var v in identity)
        {
            Assert.IsLessThanOrEqualTo(upper, v);
            Assert.IsGreaterThan(0.9 * typical, v);
            Assert.IsLessThan(1.2 * typical, v);
        }

        var scaled = MaxSensitivity.Run(x, batch => Linear.InputTimesWeight(batch, Enumerable.Repeat(targets[0], batch.BatchSize).ToArray()), options);
        Assert.IsTrue(scaled.All(v => v > 0 && v < upper));
    }
}
