using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Builds the mosaics of the Focus metric (Arias-Duart et al., FUZZ-IEEE 2022).</summary>
public static class Mosaics
{
    /// <summary>
    /// One mosaic per image i: four tiles — image i, another image of i's class (i itself when the batch has none),
    /// and two images of other classes (the first ones in batch order after i; images of i's class when no other
    /// class exists) — each shrunk to half size by averaging 2×2 blocks (H and W must be even), placed in quadrants
    /// by a seeded permutation. The mosaic has the input size, so any fixed-size model can explain it.
    /// </summary>
    /// <param name="images">Images [N, C, H, W] with even H and W.</param>
    /// <param name="classes">The class of each image (its label or predicted class); the mosaic is explained for it.</param>
    /// <param name="seed">Seed of the quadrant placement.</param>
    /// <exception cref="EvaluationInputException">Not a batch of images with even sides, or a wrong number of classes.</exception>
    public static MosaicSet FromBatch(FloatTensor images, IReadOnlyList<long> classes, int seed = 0)
    {
        EvaluationGuard.RequireInputs(images, "images");
        ArgumentNullException.ThrowIfNull(classes);
        if (images.Rank != 4 || images.Shape[2] % 2 != 0 || images.Shape[3] % 2 != 0 || classes.Count != images.BatchSize)
        {
            throw new EvaluationInputException($"Mosaics are built from images [N, C, H, W] with even H and W and one class each; got {images.ShapeText} and {classes.Count} classes.");
        }

        int n = images.BatchSize, c = (int)images.Shape[1], h = (int)images.Shape[2], w = (int)images.Shape[3];
        var result = FloatTensor.Zeros(images.Shape);
        var quadrants = new List<bool[]>();
        var random = new Random(seed);
        for (int i = 0; i < n; i++)
        {
            int Next(Func<int, bool> accept, int fallback)
            {
                for (int k = 1; k < n; k++)
                {
                    int j = (i + k) % n;
                    if (accept(j))
                    {
                        return j;
                    }
                }

                return fallback;
            }

            int partner = Next(j => classes[j] == classes[i], i);
            int other1 = Next(j => classes[j] != classes[i], partner);
            int other2 = Next(j => classes[j] != classes[i] && j != other1, other1);
            int[] tiles = [i, partner, other1, other2];
            var place = new[] { 0, 1, 2, 3 };
            random.Shuffle(place);
            var flags = new bool[4];
            for (int t = 0; t < 4; t++)
            {
                int q = place[t];
                flags[q] = classes[tiles[t]] == classes[i];
                var source = images.Row(tiles[t]);
                var target = result.Row(i);
                int oi = q >= 2 ? h / 2 : 0, oj = q % 2 == 1 ? w / 2 : 0;
                for (int ch = 0; ch < c; ch++)
                {
                    for (int y = 0; y < h / 2; y++)
                    {
                        for (int x = 0; x < w / 2; x++)
                        {
                            int s = (ch * h * w) + (2 * y * w) + (2 * x);
                            target[(ch * h * w) + ((oi + y) * w) + oj + x] = (source[s] + source[s + 1] + source[s + w] + source[s + w + 1]) / 4;
                        }
                    }
                }
            }

            quadrants.Add(flags);
        }

        return new MosaicSet(result, classes.ToArray(), quadrants);
    }
}
