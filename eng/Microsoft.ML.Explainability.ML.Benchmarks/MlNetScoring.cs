using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML.Benchmarks;

/// <summary>Rows of random 28×28 pixels streamed through the Grad-CAM transformer on the bundled fixture CNN.</summary>
public static class MlNetScoring
{
    public const int BatchSize = 64;

    public static string ModelPath => Path.Combine(AppContext.BaseDirectory, "assets", "fmnist_cnn.onnx");

    public static IEnumerable<PixelRow> Rows(int count)
    {
        var random = new Random(1);
        for (int i = 0; i < count; i++)
        {
            var pixels = new float[784];
            for (int k = 0; k < pixels.Length; k++)
            {
                pixels[k] = (float)random.NextDouble();
            }

            yield return new PixelRow { Pixels = pixels };
        }
    }

    /// <summary>The fitted Grad-CAM transformer (model loaded, explanation graph built, session created).</summary>
    public static GradCamTransformer Fit(MLContext ml) =>
        ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { ModelFile = ModelPath, BatchSize = BatchSize }).Fit(ml.Data.LoadFromEnumerable(Rows(1)));

    /// <summary>Fits, then streams <paramref name="rows"/> lazily generated rows through the transformer.</summary>
    public static double StreamSaliency(int rows)
    {
        var ml = new MLContext(seed: 0);
        using var transformer = Fit(ml);
        return Stream(ml, transformer, rows);
    }

    /// <summary>Streams <paramref name="rows"/> lazily generated rows through a fitted transformer, reading every saliency map.</summary>
    public static double Stream(MLContext ml, ITransformer transformer, int rows)
    {
        var scored = transformer.Transform(ml.Data.LoadFromEnumerable(Rows(rows)));
        var column = scored.Schema["Saliency"];
        using var cursor = scored.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> map = default;
        double checksum = 0;
        while (cursor.MoveNext())
        {
            getter(ref map);
            checksum += map.GetValues()[0];
        }

        return checksum;
    }
}

/// <summary>One row: 28×28 pixels as [1, 28, 28].</summary>
public sealed class PixelRow
{
    [VectorType(1, 28, 28)]
    public float[] Pixels { get; set; } = [];
}
