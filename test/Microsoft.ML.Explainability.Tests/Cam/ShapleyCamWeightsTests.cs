using Microsoft.ML.Explainability.Cam;

namespace Microsoft.ML.Explainability.Tests.Cam;

/// <summary>Shapley-CAM's channel weights, wₖ = mean over space of (G − ½·H·A)ₖ, against hand computations.</summary>
[TestClass]
public sealed class ShapleyCamWeightsTests
{
    [TestMethod]
    public void Weights_are_the_spatial_mean_of_the_gradient_minus_half_the_product()
    {
        // Two channels of 2×2. Channel 0: G = 1, 2, 3, 4 (mean 2.5), H·A = 2, 0, −2, 4 (mean 1): w₀ = 2.5 − 0.5 = 2.
        // Channel 1: G = −1, 0, 1, 0 (mean 0), H·A = 6, 6, 6, 6: w₁ = 0 − 3 = −3 (no ReLU on the weights).
        float[] activations = [0.1f, 0.2f, 0.3f, 0.4f, 1, 1, 1, 1];
        float[] gradient = [1, 2, 3, 4, -1, 0, 1, 0];
        float[] product = [2, 0, -2, 4, 6, 6, 6, 6];
        var weights = ShapleyCamWeights.Compute(activations, gradient, product, channels: 2);
        CollectionAssert.AreEqual(new[] { 2f, -3f }, weights);
    }

    [TestMethod]
    public void A_zero_product_gives_grad_cam_weights()
    {
        float[] gradient = [0.5f, -0.25f, 1, 3, 0, 2];
        var weights = ShapleyCamWeights.Compute(new float[6], gradient, new float[6], channels: 3);
        CollectionAssert.AreEqual(new[] { 0.125f, 2f, 1f }, weights);
    }

    [TestMethod]
    public void Mismatched_lengths_and_channel_counts_are_refused()
    {
        Assert.ThrowsExactly<ArgumentException>(() => ShapleyCamWeights.Compute(new float[8], new float[8], new float[6], channels: 2));
        Assert.ThrowsExactly<ArgumentException>(() => ShapleyCamWeights.Compute(new float[9], new float[9], new float[9], channels: 2));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ShapleyCamWeights.Compute(new float[4], new float[4], new float[4], channels: 0));
    }
}
