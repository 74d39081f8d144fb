using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>Localisation, complexity, similarity and statistics on hand-computed cases.</summary>
[TestClass]
public sealed class LocalisationAndComplexityTests
{
    // Two 4×4 saliency maps ([2, 1, 4, 4]) and a mask covering the top-left 2×2 block.
    private static readonly float[] MapA =
    [
        5, 1, 0, 0,
        2, 1, 0, 0,
        0, 0, -3, 0,
        0, 0, 0, 1,
    ];

    private static readonly float[] MapB =
    [
        0, 0, 0, 0,
        0, 1, 0, 0,
        0, 0, 0, 4,
        2, 0, 0, 0,
    ];

    private static FloatTensor Explanations() => new([.. MapA, .. MapB], 2, 1, 4, 4);

    private static FloatTensor Mask()
    {
        var mask = new float[2 * 16];
        foreach (var n in new[] { 0, 1 })
        {
            foreach (var p in new[] { 0, 1, 4, 5 })
            {
                mask[(n * 16) + p] = 1;
            }
        }

        return new FloatTensor(mask, 2, 4, 4);
    }

    [TestMethod]
    public void Pointing_game_hits_when_the_maximum_is_on_the_object()
    {
        CollectionAssert.AreEqual(new double[] { 1, 0 }, Localisation.PointingGame(Explanations(), Mask()));

        // Map B's maximum (2, 3) is √5 ≈ 2.24 pixels from the mask's nearest pixel (1, 1).
        CollectionAssert.AreEqual(new double[] { 1, 0 }, Localisation.PointingGame(Explanations(), Mask(), tolerance: 2.2));
        CollectionAssert.AreEqual(new double[] { 1, 1 }, Localisation.PointingGame(Explanations(), Mask(), tolerance: 2.3));
    }

    [TestMethod]
    public void Relevance_mass_and_rank_accuracy_match_hand_computation()
    {
        // A: positive mass inside 5+1+2+1 = 9 of 5+1+2+1+1 = 10; B: 1 of 7.
        var mass = Localisation.RelevanceMassAccuracy(Explanations(), Mask());
        Assert.AreEqual(0.9, mass[0], 1e-12);
        Assert.AreEqual(1.0 / 7, mass[1], 1e-12);

        // K = 4. A's top 4: 5, 2, then the ties 1 at (0,1), (1,1), (3,3) in index order: (0,1), (1,1) → all 4 inside.
        // B's top 4: 4, 2, 1 (inside), then a 0 at index 0 (inside) → 2 of 4.
        var rank = Localisation.RelevanceRankAccuracy(Explanations(), Mask());
        Assert.AreEqual(1.0, rank[0], 1e-12);
        Assert.AreEqual(0.5, rank[1], 1e-12);

        // Masks with a channel axis or the explanations' own shape are accepted.
        var withChannel = new FloatTensor(Mask().Data, 2, 1, 4, 4);
        CollectionAssert.AreEqual(mass, Localisation.RelevanceMassAccuracy(Explanations(), withChannel));
    }

    [TestMethod]
    public void Fashion_mnist_object_masks_are_the_pixels_brighter_than_the_background()
    {
        var image = new float[36];
        image[7] = 0.8f;
        image[8] = 0.5f;
        image[14] = 0.02f;
        var masks = ObjectMasks.BrighterThanBackground(new FloatTensor(image, 1, 1, 6, 6), threshold: 0.05);
        CollectionAssert.AreEqual(new long[] { 1, 6, 6 }, masks.Shape);
        Assert.AreEqual(2, masks.Data.Count(v => v == 1), "0.02 is within 5 % of the range above the background");
        Assert.AreEqual(1, masks.Data[7]);
        Assert.AreEqual(1, masks.Data[8]);

        // Normalised Fashion-MNIST: affine scaling does not change the mask; the corners are background.
        var raw = LinearFixture.Images(4);
        var normalised = new FloatTensor(raw.Data.Select(v => (v - 0.286f) / 0.353f).ToArray(), raw.Shape);
        var a = ObjectMasks.BrighterThanBackground(raw);
        var b = ObjectMasks.BrighterThanBackground(normalised);
        CollectionAssert.AreEqual(a.Data, b.Data);
        for (int n = 0; n < 4; n++)
        {
            double fraction = a.Row(n).ToArray().Average();
            Assert.IsTrue(fraction is > 0.1 and < 0.9, $"image {n}: object covers {fraction:P0}");
            Assert.AreEqual(0, a.Row(n)[0]);
        }
    }

    [TestMethod]
    public void Gini_and_entropy_match_hand_computed_values()
    {
        Assert.AreEqual(0.75, Complexity.Gini([0, 0, 0, 1]), 1e-12);
        Assert.AreEqual(0.75, Complexity.Gini([0, 0, -7, 0]), 1e-12, "absolute values");
        Assert.AreEqual(0, Complexity.Gini([2, 2, 2, 2]), 1e-12);
        Assert.AreEqual(0.25, Complexity.Gini([4, 1, 3, 2]), 1e-12, "Σ(2k−n−1)a₍ₖ₎/(nΣa) = 10/40");
        Assert.AreEqual(0, Complexity.Gini([0, 0, 0]));
        Assert.AreEqual(Math.Log(4), Complexity.Entropy([1, -1, 1, 1]), 1e-12);
        Assert.AreEqual(0, Complexity.Entropy([0, 0, 5, 0]), 1e-12);
        Assert.AreEqual(-((0.25 * Math.Log(0.25)) + (0.75 * Math.Log(0.75))), Complexity.Entropy([1, 3]), 1e-12);
        var batch = new FloatTensor([0, 0, 0, 1, 1, 1, 1, 1], 2, 4);
        CollectionAssert.AreEqual(new[] { 0.75, 0 }, Complexity.Sparseness(batch).Select(v => Math.Round(v, 12)).ToArray());
        CollectionAssert.AreEqual(new[] { 0, Math.Round(Math.Log(4), 12) }, Complexity.EntropyComplexity(batch).Select(v => Math.Round(v, 12)).ToArray());
    }

    [TestMethod]
    public void Spearman_pearson_and_ssim_match_hand_computed_values()
    {
        Assert.AreEqual(-1, Similarity.Spearman([1.0, 2, 3], [30.0, 20, 10]), 1e-12);
        Assert.AreEqual(1, Similarity.Spearman([1.0, 2, 3, 4], [1.0, 8, 27, 64]), 1e-12, "monotone, not linear");
        Assert.AreEqual(4.5 / Math.Sqrt(22.5), Similarity.Spearman([1.0, 2, 2, 3], [1.0, 2, 3, 4]), 1e-12, "ties share the average rank");
        CollectionAssert.AreEqual(new[] { 1.0, 2.5, 2.5, 4 }, Similarity.Ranks([1.0, 2, 2, 3]));

        // One 7×7 window: b = a + δ keeps variance and covariance, so SSIM = (2μaμb + C1)/(μa² + μb² + C1).
        var random = new Random(1);
        var a = Enumerable.Range(0, 49).Select(_ => random.NextDouble() * 0.5).ToArray();
        var b = a.Select(v => v + 0.3).ToArray();
        double ma = a.Average(), mb = b.Average(), c1 = 1e-4;
        double expected = ((2 * ma * mb) + c1) / ((ma * ma) + (mb * mb) + c1);
        Assert.AreEqual(expected, Similarity.Ssim(a, b, 7, 7), 1e-9);
        Assert.AreEqual(1, Similarity.Ssim(a, a, 7, 7), 1e-12);

        // b = −a + 1 (same mean-free structure negated): structure term −1 up to the constants.
        var c = a.Select(v => 1 - v).ToArray();
        Assert.IsLessThan(-0.3, Similarity.Ssim(a, c, 7, 7));
    }

    [TestMethod]
    public void Student_t_quantiles_and_confidence_intervals_match_tables()
    {
        Assert.AreEqual(12.7062047362, SummaryStatistics.StudentTQuantile(0.975, 1), 1e-6);
        Assert.AreEqual(2.7764451052, SummaryStatistics.StudentTQuantile(0.975, 4), 1e-8);
        Assert.AreEqual(2.0452296421, SummaryStatistics.StudentTQuantile(0.975, 29), 1e-8);
        Assert.AreEqual(1.9602, SummaryStatistics.StudentTQuantile(0.975, 10000), 1e-4);
        var s = SummaryStatistics.Of([1.0, 2, 3, 4, 5]);
        Assert.AreEqual(3, s.Mean, 1e-12);
        Assert.AreEqual(Math.Sqrt(2.5), s.StandardDeviation, 1e-12);
        Assert.AreEqual(3 - (2.7764451052 * Math.Sqrt(2.5) / Math.Sqrt(5)), s.ConfidenceLow, 1e-8);
        Assert.AreEqual(5, s.Count);
        var withNaN = SummaryStatistics.Of([1.0, double.NaN, 3]);
        Assert.AreEqual(2, withNaN.Count);
        Assert.IsTrue(double.IsNaN(SummaryStatistics.Of([7.0]).StandardDeviation));
    }
}
