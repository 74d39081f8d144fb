using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Ground-truth object masks made from the images themselves.</summary>
public static class ObjectMasks
{
    /// <summary>
    /// The object mask of images on a dark, uniform background such as Fashion-MNIST: a pixel belongs to the object when
    /// its value (averaged over the channels) exceeds the background level — the image's minimum — by more than
    /// <paramref name="threshold"/> of the image's range: v_p &gt; min + t·(max − min). Works on raw or normalised
    /// pixels alike, since it is invariant to an affine rescaling. Returns [N, H, W] (or [N, D] for other ranks) of 0/1 values (all zero for a
    /// constant image).
    /// </summary>
    /// <param name="images">[N, C, H, W], [N, H, W] or [N, D] images.</param>
    /// <param name="threshold">The fraction t of the range above the background. Default 0.05.</param>
    /// <exception cref="EvaluationInputException">Empty or non-finite images.</exception>
    public static FloatTensor BrighterThanBackground(FloatTensor images, double threshold = 0.05)
    {
        EvaluationGuard.RequireInputs(images, "images");
        if (threshold is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold is a fraction of the range in [0, 1).");
        }

        var layout = FeatureLayout.Of(images);
        var result = new float[images.BatchSize * layout.Features];
        for (int n = 0; n < images.BatchSize; n++)
        {
            var mean = layout.Saliency(images.Row(n)).Select(v => v / layout.Channels).ToArray();
            double min = mean.Min(), max = mean.Max();
            double level = min + (threshold * (max - min));
            for (int p = 0; p < mean.Length; p++)
            {
                result[(n * layout.Features) + p] = max > min && mean[p] > level ? 1 : 0;
            }
        }

        return images.Rank is 3 or 4 ? new FloatTensor(result, images.BatchSize, layout.Height, layout.Width) : new FloatTensor(result, images.BatchSize, layout.Features);
    }
}
