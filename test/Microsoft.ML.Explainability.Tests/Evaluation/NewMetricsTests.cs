using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>The metrics added after Quantus 0.6, each on a constructed case whose value is known by hand.</summary>
[TestClass]
public sealed class NewMetricsTests
{
    private static readonly LinearFixture Linear = new();
    private static readonly LinearFixture Positive = new(seed: 5, positiveWeights: true);

    [TestMethod]
    public void Monotonicity_is_one_for_a_linear_model_with_positive_contributions_explained_by_input_times_weight_and_zero_with_negative_ones()
    {
        var x = LinearFixture.Images(4);
        var targets = Positive.Predicted(x);
        using var positive = new ModelScorer(Positive.Model);
        var options = new MonotonicityOptions { Score = ScoreKind.Logit, FeaturesPerStep = 16 };

        // Every inserted group adds Σ w·x ≥ 0 to the logit: the curve never falls.
        CollectionAssert.AreEqual(new[] { 1.0, 1, 1, 1 }, Monotonicity.Arya(positive, x, Positive.InputTimesWeight(x, targets), targets, options));

        // With weights of both signs some inserted groups lower the logit: the metric's premise fails, and it says so.
        using var mixed = new ModelScorer(Linear.Model);
        var mixedTargets = Linear.Predicted(x);
        CollectionAssert.AreEqual(new[] { 0.0, 0, 0, 0 }, Monotonicity.Arya(mixed, x, Linear.InputTimesWeight(x, mixedTargets), mixedTargets, options));
    }

    [TestMethod]
    public void Faithfulness_estimate_and_sensitivity_n_are_one_for_an_exact_additive_explanation()
    {
        var x = LinearFixture.Images(3);
        var targets = Linear.Predicted(x);
        var exact = Linear.InputTimesWeight(x, targets);
        using var scorer = new ModelScorer(Linear.Model);

        // Zero baseline: removing a set S lowers the logit by Σ_{i∈S} w_i x_i, exactly its attribution sum.
        var estimate = FaithfulnessEstimate.Run(scorer, x, exact, targets, new FaithfulnessEstimateOptions { FeaturesPerStep = 32 });
        var sensitivity = SensitivityN.Run(scorer, x, exact, targets, new SensitivityNOptions { Subsets = 8, Seed = 3 });
        foreach (var r in estimate.Concat(sensitivity.Mean).Concat(sensitivity.Correlations.SelectMany(c => c)))
        {
            Assert.AreEqual(1, r, 1e-4);
        }

        CollectionAssert.AreEqual(new[] { 8, 16, 39, 78, 157, 314, 470, 627 }, sensitivity.Sizes.ToArray());
        var random = SensitivityN.Run(scorer, x, LinearFixture.RandomAttribution(x.Shape, 1), targets, new SensitivityNOptions { Subsets = 8, Seed = 3 });
        Assert.IsLessThan(0.6, random.Mean.Max(), "a random attribution does not sum to the output change");
    }

    [TestMethod]
    public void Monotonicity_correlation_follows_the_weights_of_a_linear_model()
    {
        // f(x) = Σ w_i x_i over 6 features with weights a decade apart: the output variance when feature i alone is
        // replaced by noise grows as w_i², so its rank follows |w_i| = the attribution's rank: ρ = 1; reversed: ρ = −1.
        float[] weights = [1, 10, 100, 1000, 1e4f, 1e5f];
        var model = LinearFixture.Build(weights, classes: 1, features: 6);
        var x = new FloatTensor([0, 1, 0.5f, 0.25f, 0.75f, 0.1f], 1, 6);
        using var scorer = new ModelScorer(model);
        var options = new MonotonicityCorrelationOptions { Samples = 20, Score = ScoreKind.Logit, FeaturesPerStep = 1 };
        var aligned = Monotonicity.Correlation(scorer, x, new FloatTensor(weights, 1, 6), [0], options);
        var reversed = Monotonicity.Correlation(scorer, x, new FloatTensor(weights.Reverse().ToArray(), 1, 6), [0], options);
        Assert.AreEqual(1, aligned[0], 1e-12);
        Assert.AreEqual(-1, reversed[0], 1e-12);
    }

    [TestMethod]
    public void Selectivity_region_perturbation_and_irof_match_curves_computed_by_hand_on_a_linear_model()
    {
        var x = LinearFixture.Images(2);
        var targets = Linear.Predicted(x);
        var exact = Linear.InputTimesWeight(x, targets);
        using var scorer = new ModelScorer(Linear.Model);
        var selectivity = PatchMetrics.Selectivity(scorer, x, exact, targets, new SelectivityOptions { PatchSize = 14, Score = ScoreKind.Logit });
        var region = PatchMetrics.RegionPerturbation(scorer, x, exact, targets, new RegionPerturbationOptions { PatchSize = 14, Score = ScoreKind.Logit, Baseline = new() { Kind = BaselineKind.Black } });
        var irof = PatchMetrics.Irof(scorer, x, exact, targets, new IrofOptions { SegmentSize = 14, Score = ScoreKind.Logit });
        for (int n = 0; n < 2; n++)
        {
            // Four 14×14 quadrants, ranked by their attribution sum (selectivity, region perturbation) or mean (IROF; equal sizes).
            var row = x.Row(n).ToArray();
            var a = exact.Row(n).ToArray();
            int[][] quadrants = [.. Enumerable.Range(0, 4).Select(q => Enumerable.Range(0, 784).Where(p => ((p / 28) >= 14 ? 2 : 0) + ((p % 28) >= 14 ? 1 : 0) == q).ToArray())];
            var order = quadrants.OrderByDescending(q => q.Sum(p => a[p])).ToArray();
            float black = row.Min(), mean = row.Average();
            double Curve(int k, float fill)
            {
                var y = (float[])row.Clone();
                foreach (var p in order.Take(k).SelectMany(q => q))
                {
                    y[p] = fill;
                }

                return Linear.Logit(y, targets[n]);
            }

            var zeroCurve = Enumerable.Range(0, 5).Select(k => Curve(k, 0)).ToArray();
            var blackCurve = Enumerable.Range(0, 5).Select(k => Curve(k, black)).ToArray();
            var meanCurve = Enumerable.Range(0, 5).Select(k => Curve(k, mean) / Curve(0, mean)).ToArray();
            for (int k = 0; k < 5; k++)
            {
                Assert.AreEqual(zeroCurve[k], selectivity.Curves[n][k], 1e-3);
                Assert.AreEqual(blackCurve[k], region.Curves.Curves[n][k], 1e-3);
                Assert.AreEqual(meanCurve[k], irof.RelativeCurves[n][k], 1e-4);
            }

            // AUC over the removed fraction 0, ¼, ½, ¾, 1 and Quantus's trapz with dx = 1 over the four perturbed points.
            double auc = Enumerable.Range(0, 4).Sum(k => 0.25 * (zeroCurve[k] + zeroCurve[k + 1]) / 2);
            double unit = Enumerable.Range(1, 3).Sum(k => (zeroCurve[k] + zeroCurve[k + 1]) / 2);
            Assert.AreEqual(auc, selectivity.Auc[n], 1e-3);
            Assert.AreEqual(unit, selectivity.UnitStepAuc[n], 1e-3);
            Assert.AreEqual(blackCurve.Average(y => blackCurve[0] - y), region.Aopc[n], 1e-3);
            Assert.AreEqual(blackCurve.Skip(1).Average(y => blackCurve[0] - y), region.AopcWithoutUnperturbed[n], 1e-3);
            Assert.AreEqual(1 - Enumerable.Range(0, 4).Sum(k => 0.25 * (meanCurve[k] + meanCurve[k + 1]) / 2), irof.Aoc[n], 1e-4);
            Assert.AreEqual(4 - Enumerable.Range(1, 3).Sum(k => (meanCurve[k] + meanCurve[k + 1]) / 2), irof.QuantusAoc[n], 1e-4);
        }
    }

    [TestMethod]
    public void Patch_infidelity_is_zero_for_the_gradient_of_a_linear_model_and_matches_the_hand_computed_error_otherwise()
    {
        var x = LinearFixture.Images(2);
        var targets = Linear.Predicted(x);
        using var scorer = new ModelScorer(Linear.Model);
        var options = new InfidelityOptions { Estimator = InfidelityEstimator.PatchReplacement, Samples = 1, PatchSizes = [7], Baseline = new() { Kind = BaselineKind.Black } };
        var gradient = Infidelity.Run(scorer, x, Linear.Gradient(x, targets), targets, options);
        var exact = Linear.InputTimesWeight(x, targets);
        var inputTimesWeight = Infidelity.Run(scorer, x, exact, targets, options);
        for (int n = 0; n < 2; n++)
        {
            // Removing patches 0…j (7×7, row-major) by the minimum b lowers the logit by Σ w(x − b), which is Sⱼ for a = w.
            Assert.AreEqual(0, gradient[n], 1e-6);
            var row = x.Row(n).ToArray();
            float b = row.Min();
            double delta = 0, sum = 0, loss = 0;
            for (int j = 0; j < 16; j++)
            {
                foreach (var p in Enumerable.Range(0, 784).Where(p => ((p / 28 / 7) * 4) + (p % 28 / 7) == j))
                {
                    double w = Linear.Weights[(targets[n] * 784) + p];
                    delta += w * (row[p] - b);
                    sum += exact.Row(n)[p] * (row[p] - b);
                }

                loss += (delta - sum) * (delta - sum);
            }

            Assert.AreEqual(loss / 16, inputTimesWeight[n], 1e-4 * (loss / 16));
        }
    }

    [TestMethod]
    public void Localisation_metrics_match_hand_counts_on_a_four_by_four_map()
    {
        // Saliency (one channel) and mask: the object is the left half.
        float[] s = [4, 3, -1, 0, 2, -2, 1, 0, 5, 1, 0, -3, 6, 0, 2, 1];
        float[] m = [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0];
        var a = new FloatTensor(s, 1, 1, 4, 4);
        var mask = new FloatTensor(m, 1, 4, 4);
        double inside = s.Where((_, p) => m[p] == 1).Sum(v => (double)v), total = s.Sum(v => (double)v);
        double insidePositive = s.Where((v, p) => m[p] == 1 && v > 0).Sum(v => (double)v), totalPositive = s.Where(v => v > 0).Sum(v => (double)v);
        Assert.AreEqual(insidePositive / totalPositive, Localisation.RelevanceMassAccuracy(a, mask)[0], 1e-12);
        Assert.AreEqual(inside / total, Localisation.RelevanceMassAccuracy(a, mask, RelevanceMass.Signed)[0], 1e-12);
        Assert.AreEqual(insidePositive / totalPositive, Localisation.AttributionLocalisation(a, mask)[0], 1e-12);
        double insideAbs = s.Where((_, p) => m[p] == 1).Sum(v => Math.Abs((double)v)), totalAbs = s.Sum(v => Math.Abs((double)v));
        Assert.AreEqual(insideAbs / totalAbs, Localisation.AttributionLocalisation(a, mask, absolute: true)[0], 1e-12);
        Assert.AreEqual(insideAbs / totalAbs * 0.5, Localisation.AttributionLocalisation(a, mask, absolute: true, weighted: true)[0], 1e-12);

        // Top 3 by value: 6 (in), 5 (in), 4 (in) → 1; top 5 adds 3 (in) and 2 — a tie of two 2s at indices 4 (in) and 14 (out), index order → 5/5.
        Assert.AreEqual(1, Localisation.TopKIntersection(a, mask, 3)[0]);
        Assert.AreEqual(1, Localisation.TopKIntersection(a, mask, 5)[0]);
        Assert.AreEqual(5.0 / 6, Localisation.TopKIntersection(a, mask, 6)[0], 1e-12, "the sixth is the other 2, outside");
        Assert.AreEqual(5.0 / 6 * 2, Localisation.TopKIntersection(a, mask, 6, conceptInfluence: true)[0], 1e-12);

        // ROC AUC: P(s_in > s_out) over the 8 × 8 pairs, ties ½, counted by hand.
        var ins = s.Where((_, p) => m[p] == 1).ToArray();
        var outs = s.Where((_, p) => m[p] == 0).ToArray();
        double wins = ins.Sum(i => outs.Sum(o => i > o ? 1 : i == o ? 0.5 : 0));
        Assert.AreEqual(wins / 64, Localisation.RocAuc(a, mask)[0], 1e-12);
        var constant = new FloatTensor(Enumerable.Repeat(1f, 16).ToArray(), 1, 1, 4, 4);
        Assert.AreEqual(0.5, Localisation.RocAuc(constant, mask)[0], 1e-12);
    }

    [TestMethod]
    public void Focus_on_mosaics_of_two_classes_is_one_for_an_oracle_and_one_half_for_a_uniform_map()
    {
        var (_, labels) = TestAssets.FashionMnist(100);
        var chosen = Enumerable.Range(0, 100).Where(i => labels[i] == 0).Take(3).Concat(Enumerable.Range(0, 100).Where(i => labels[i] == 1).Take(3)).ToArray();
        var images = LinearFixture.Images(100);
        var batch = new FloatTensor(chosen.SelectMany(i => images.Row(i).ToArray()).ToArray(), chosen.Length, 1, 28, 28);
        var mosaics = Mosaics.FromBatch(batch, chosen.Select(i => (long)labels[i]).ToArray(), seed: 2);
        Assert.IsTrue(mosaics.TargetQuadrants.All(q => q.Count(v => v) == 2), "two tiles of the target class (the batch has a partner of each class), two of the other");

        // The oracle puts relevance exactly on the target tiles; a uniform map spreads it over all four.
        var oracle = FloatTensor.Zeros(mosaics.Images.Shape);
        for (int n = 0; n < chosen.Length; n++)
        {
            for (int p = 0; p < 784; p++)
            {
                int q = ((p / 28) >= 14 ? 2 : 0) + ((p % 28) >= 14 ? 1 : 0);
                oracle.Row(n)[p] = mosaics.TargetQuadrants[n][q] ? 1 : -1;
            }
        }

        var uniform = new FloatTensor(Enumerable.Repeat(0.5f, oracle.Length).ToArray(), oracle.Shape);
        foreach (var v in Localisation.Focus(oracle, mosaics.TargetQuadrants))
        {
            Assert.AreEqual(1, v, 1e-9);
        }

        foreach (var v in Localisation.Focus(uniform, mosaics.TargetQuadrants))
        {
            Assert.AreEqual(0.5, v, 1e-9);
        }

        // Each tile is its image halved by 2×2 averaging, so a mosaic's sum is a quarter of its four images' sums; for
        // mosaic 0 the tiles are image 0, the next of its class, and the next two of the other class (the documented rule).
        var classes = chosen.Select(i => labels[i]).ToArray();
        int partner = Enumerable.Range(1, 5).First(j => classes[j] == classes[0]);
        var others = Enumerable.Range(1, 5).Where(j => classes[j] != classes[0]).Take(2).ToArray();
        double expected = new[] { 0, partner, others[0], others[1] }.Sum(j => batch.Row(j).ToArray().Sum(v => (double)v)) / 4;
        Assert.AreEqual(expected, mosaics.Images.Row(0).ToArray().Sum(v => (double)v), 1e-3);
    }

    [TestMethod]
    public void Effective_complexity_non_sensitivity_and_input_invariance_match_hand_counts()
    {
        var e = new FloatTensor([0, 1e-6f, -0.5f, 2, 0, 1e-3f], 1, 6);
        Assert.AreEqual(3, Complexity.EffectiveComplexity(e)[0], "|a|/max|a| > 1e-5: −0.5, 2 and 1e-3");

        // f(x) = Σ w_i x_i with w = (0, 1, 2, 0, 3, 1): pixels with w = 0 have no effect; the exact attribution w ⊙ x
        // agrees everywhere (0 violations); the attribution "1 everywhere" is wrong on the two no-effect pixels and on x_i = 0.
        float[] weights = [0, 1, 2, 0, 3, 1];
        var model = LinearFixture.Build(weights, classes: 1, features: 6);
        var x = new FloatTensor([0.5f, 0.2f, 0, 0.7f, 0.4f, 0.9f], 1, 6);
        using var scorer = new ModelScorer(model);
        var options = new NonSensitivityOptions { Score = ScoreKind.Logit };
        var exact = new FloatTensor(weights.Zip(x.Data, (w, v) => w * v).ToArray(), 1, 6);
        Assert.AreEqual(0, Axiomatic.NonSensitivity(scorer, x, exact, [0], options)[0]);
        Assert.AreEqual(3, Axiomatic.NonSensitivity(scorer, x, new FloatTensor(Enumerable.Repeat(1f, 6).ToArray(), 1, 6), [0], options)[0]);

        // Input invariance with the engine's gradients: the shifted model's gradient at x − 1 is the gradient at x.
        var images = LinearFixture.Images(3);
        var targets = Linear.Predicted(images);
        FloatTensor Gradient(OnnxModel m, FloatTensor batch)
        {
            using var session = new GradientSession(GradientModel.Build(m, new GradientRequest { Output = Linear.OutputName, WithRespectTo = [m.InputNames[0]] }));
            return session.Run(batch, targets).Gradients[m.InputNames[0]];
        }

        FloatTensor InputTimesGradient(OnnxModel m, FloatTensor batch)
        {
            var g = Gradient(m, batch);
            return new FloatTensor(batch.Data.Zip(g.Data, (a, b) => a * b).ToArray(), batch.Shape);
        }

        CollectionAssert.AreEqual(new[] { 1.0, 1, 1 }, Axiomatic.InputInvariance(Linear.Model, images, Gradient(Linear.Model, images), Gradient));
        CollectionAssert.AreEqual(new[] { 0.0, 0, 0 }, Axiomatic.InputInvariance(Linear.Model, images, InputTimesGradient(Linear.Model, images), InputTimesGradient));
        using var shifted = new ModelScorer(ModelComposition.WithInputOffset(Linear.Model, -1));
        var shiftedInputs = new FloatTensor(images.Data.Select(v => v - 1).ToArray(), images.Shape);
        Assert.AreEqual(Linear.Logit(images.Row(1), targets[1]), shifted.Scores(shiftedInputs, targets, ScoreKind.Logit)[1], 1e-3, "f̃(x − 1) = f(x)");
    }

    [TestMethod]
    public void Sufficiency_and_consistency_match_hand_counts()
    {
        // Four explanations: 0 and 1 identical, 2 close to them, 3 far; predicted classes 7, 7, 8, 7.
        var e = new FloatTensor([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.1f, 0, 0, 0, 0, 0, 1], 4, 4);
        long[] predicted = [7, 7, 8, 7];
        var sufficiency = Sufficiency.Local(predicted, e, threshold: 2.5);

        // Standardised distances by hand (sample variances over the batch, per element).
        double[][] rows = [[1, 0, 0, 0], [1, 0, 0, 0], [1, 0.1, 0, 0], [0, 0, 0, 1]];
        var variance = Enumerable.Range(0, 4).Select(k => { double m = rows.Average(r => r[k]); return rows.Sum(r => (r[k] - m) * (r[k] - m)) / 3; }).ToArray();
        double D(int i, int j) => Math.Sqrt(Enumerable.Range(0, 4).Where(k => variance[k] > 0).Sum(k => Math.Pow(rows[i][k] - rows[j][k], 2) / variance[k]));
        for (int i = 0; i < 4; i++)
        {
            var close = Enumerable.Range(0, 4).Where(j => j != i && D(i, j) <= 2.5).ToArray();
            double expected = close.Length == 0 ? 0 : (double)close.Count(j => predicted[j] == predicted[i]) / close.Length;
            Assert.AreEqual(expected, sufficiency[i], 1e-12, $"sample {i}");
        }

        Assert.AreEqual(0.5, sufficiency[0], "neighbours 1 (class 7, distance 0) and 2 (class 8, distance 2); 3 lies at √8");

        // Consistency with the top-1 label: 0, 1, 2 share label {0}; 3 is alone.
        CollectionAssert.AreEqual(new[] { 0.5, 0.5, 0, 0 }, Sufficiency.Consistency(predicted, e, topN: 1));
    }

    [TestMethod]
    public void Robustness_metrics_of_the_identity_explanation_are_one_and_of_a_constant_explanation_zero()
    {
        var x = LinearFixture.Images(3);
        var targets = Linear.Predicted(x);
        using var scorer = new ModelScorer(Linear.Model);
        static FloatTensor Identity(FloatTensor b) => new((float[])b.Data.Clone(), b.Shape);
        FloatTensor Constant(FloatTensor b) => Linear.Gradient(b, Enumerable.Repeat(targets[0], b.BatchSize).ToArray());

        // Φ(x) = x: ‖Φ(x) − Φ(x')‖ / ‖x − x'‖ = 1, and the relative changes are the same on both sides.
        foreach (var v in Robustness.LocalLipschitz(x, Identity, new LocalLipschitzOptions { NormaliseByMax = false, Samples = 4 }))
        {
            Assert.AreEqual(1, v, 1e-5);
        }

        var stability = new RelativeStabilityOptions { Samples = 4, Seed = 1 };
        foreach (var v in Robustness.RelativeInputStability(scorer, x, Identity(x), Identity, stability))
        {
            Assert.AreEqual(1, v, 1e-4);
        }

        foreach (var v in Robustness.RelativeRepresentationStability(scorer, x, Identity(x), Identity, Identity, stability))
        {
            Assert.AreEqual(1, v, 1e-4);
        }

        Assert.IsTrue(Robustness.RelativeOutputStability(scorer, x, Identity(x), Identity, stability).All(v => v > 0 && double.IsFinite(v)));
        Assert.IsTrue(Robustness.Continuity(x, Constant).All(v => v == 0));
        Assert.IsTrue(AverageSensitivity.Run(x, Constant).All(v => v == 0));
        var average = AverageSensitivity.Run(x, Identity, new MaxSensitivityOptions { Samples = 6 });
        var max = MaxSensitivity.Run(x, Identity, new MaxSensitivityOptions { Samples = 6 });
        for (int n = 0; n < 3; n++)
        {
            Assert.IsTrue(average[n] > 0 && average[n] <= max[n]);
        }

        // Continuity of Φ(x) = x: the first translation by −W + ⌊57/7⌋ = −20 pixels, by hand, is among the ratios.
        var continuity = Robustness.Continuity(x, Identity, new ContinuityOptions { Steps = 1, AbsoluteNormalised = false });
        var row = x.Row(0).ToArray();
        var shifted = new float[784];
        for (int p = 0; p < 784; p++)
        {
            int j = (p % 28) + 28 - 57;
            shifted[p] = j is >= 0 and < 28 ? row[(p / 28 * 28) + j] : row.Min();
        }

        double l1 = row.Zip(shifted, (a, b) => Math.Abs(a - b)).Sum(), l2 = Math.Sqrt(row.Zip(shifted, (a, b) => (a - b) * (a - b)).Sum());
        Assert.AreEqual(l1 / (l2 + 1e-9), continuity[0], 1e-3 * continuity[0]);
    }

    [TestMethod]
    public void Smooth_and_efficient_mprt_see_no_change_for_a_model_independent_explanation_and_a_change_for_gradients()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(4);
        using var scorer = new ModelScorer(model, "logits");
        var targets = scorer.Predict(x);
        static FloatTensor Edges(OnnxModel m, FloatTensor b) => new(b.Data.Select(v => v * v).ToArray(), b.Shape);
        FloatTensor Gradient(OnnxModel m, FloatTensor b)
        {
            using var session = new GradientSession(GradientModel.Build(m, new GradientRequest { Output = "logits", WithRespectTo = ["input"] }));
            return session.Run(b, targets).Gradients["input"];
        }

        var options = new SmoothMprtOptions { Samples = 3, Seed = 1 };
        Assert.IsTrue(MprtVariants.Smooth(model, x, Edges, options).All(v => Math.Abs(v - 1) < 1e-12), "the same noisy inputs, the same explanation");
        Assert.IsTrue(MprtVariants.Efficient(model, x, Edges(model, x), Edges).All(v => Math.Abs(v - 1) < 1e-12));
        Assert.IsLessThan(0.5, MprtVariants.Smooth(model, x, Gradient, options).Average());
        var efficient = MprtVariants.Efficient(model, x, Gradient(model, x), Gradient);
        Assert.IsTrue(efficient.All(v => double.IsFinite(v) && Math.Abs(v - 1) > 1e-3), string.Join(", ", efficient));

        // The entropy of a histogram by hand: values 0, 0, 1, 1 in two bins → ln 2.
        Assert.AreEqual(Math.Log(2), MprtVariants.HistogramEntropy([0f, 0, 1, 1], 2), 1e-12);
    }

    [TestMethod]
    public void Ties_are_broken_in_index_order_or_a_seeded_random_order()
    {
        double[] s = [1, 3, 3, 0, 3];
        CollectionAssert.AreEqual(new[] { 1, 2, 4, 0, 3 }, RankingOptions.Default.Order(s, descending: true));
        CollectionAssert.AreEqual(new[] { 3, 0, 1, 2, 4 }, RankingOptions.Default.Order(s, descending: false));
        var random = new RankingOptions { Ties = TieBreak.SeededRandom, Seed = 4 };
        var orders = Enumerable.Range(0, 20).Select(n => random.Order(s, descending: true, n)).ToArray();
        Assert.IsTrue(orders.All(o => o[3] == 0 && o[4] == 3), "ties are shuffled, never the ranks");
        Assert.IsTrue(orders.Select(o => string.Join(",", o)).Distinct().Count() > 1, "different samples get different tie orders");
        CollectionAssert.AreEqual(orders[5], random.Order(s, descending: true, 5), "seeded: the same order again");
        var unit = FeatureLayout.Of(FloatTensor.Zeros(2, 3, 4, 5), FeatureUnit.ChannelElement);
        Assert.AreEqual(60, unit.Features);
        Assert.AreEqual(20, FeatureLayout.Of(FloatTensor.Zeros(2, 3, 4, 5)).Features);
    }

    [TestMethod]
    public void Quantus_baselines_and_scores_are_what_Quantus_uses()
    {
        var x = LinearFixture.Images(2);
        var black = Baselines.Create(x, new BaselineOptions { Kind = BaselineKind.Black });
        Assert.IsTrue(black.Row(1).ToArray().All(v => v == x.Row(1).ToArray().Min()));
        Assert.AreEqual(1.0, ModelScorer.Score([0.1f, 2, -1], 1, ScoreKind.Accuracy));
        Assert.AreEqual(0.0, ModelScorer.Score([0.1f, 2, -1], 0, ScoreKind.Accuracy));

        // SSIM of two identical 1-D signals is 1; of one 7-element window, by hand with sample covariances and L = 6.
        double[] a = [0, 1, 2, 3, 2, 1, 0, 1, 2, 3];
        Assert.AreEqual(1, Similarity.Ssim1D(a, a), 1e-12);
        double[] u = [0, 1, 2, 3, 4, 5, 6], v = [6, 4, 5, 3, 1, 2, 0];
        double mu = u.Average(), mv = v.Average();
        double su = u.Sum(p => (p - mu) * (p - mu)) / 6, sv = v.Sum(p => (p - mv) * (p - mv)) / 6, suv = u.Zip(v, (p, q) => (p - mu) * (q - mv)).Sum() / 6;
        double c1 = Math.Pow(0.01 * 6, 2), c2 = Math.Pow(0.03 * 6, 2);
        Assert.AreEqual(((2 * mu * mv) + c1) * ((2 * suv) + c2) / (((mu * mu) + (mv * mv) + c1) * (su + sv + c2)), Similarity.Ssim1D(u, v), 1e-12);
    }
}
