using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// How the elements of one input row group into the features that perturbation metrics remove: for an NCHW image
/// [N, C, H, W] a feature is a pixel (all C channels together) and its saliency is the attribution summed over the
/// channels; for [N, H, W] or [N, D] inputs, and other ranks, each element of the row is a feature.
/// </summary>
/// <param name="Channels">Channels per feature (C for rank-4 inputs, else 1).</param>
/// <param name="Height">Rows of the spatial grid (H; 1 for [N, D] inputs).</param>
/// <param name="Width">Columns of the spatial grid (W; D for [N, D] inputs).</param>
public readonly record struct FeatureLayout(int Channels, int Height, int Width)
{
    /// <summary>Number of features (pixels) per row, H·W.</summary>
    public int Features => Height * Width;

    /// <summary>The layout of a batch of inputs.</summary>
    public static FeatureLayout Of(FloatTensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return inputs.Rank switch
        {
            4 => new FeatureLayout(checked((int)inputs.Shape[1]), checked((int)inputs.Shape[2]), checked((int)inputs.Shape[3])),
            3 => new FeatureLayout(1, checked((int)inputs.Shape[1]), checked((int)inputs.Shape[2])),
            _ => new FeatureLayout(1, 1, inputs.RowLength),
        };
    }

    /// <summary>The saliency s_p = Σ_c a[c, p] of each feature p of one explanation row.</summary>
    public double[] Saliency(ReadOnlySpan<float> row)
    {
        var s = new double[Features];
        for (int c = 0; c < Channels; c++)
        {
            var plane = row.Slice(c * Features, Features);
            for (int p = 0; p < s.Length; p++)
            {
                s[p] += plane[p];
            }
        }

        return s;
    }

    /// <summary>Copies feature <paramref name="p"/> (all channels) from <paramref name="source"/> into <paramref name="target"/>.</summary>
    internal void CopyFeature(ReadOnlySpan<float> source, Span<float> target, int p)
    {
        for (int c = 0; c < Channels; c++)
        {
            target[(c * Features) + p] = source[(c * Features) + p];
        }
    }

    /// <summary>Feature indices ordered by descending saliency (most relevant first); ties keep index order.</summary>
    internal static int[] MostRelevantFirst(double[] saliency) =>
        Enumerable.Range(0, saliency.Length).OrderByDescending(i => saliency[i]).ToArray();

    /// <summary>Feature indices ordered by ascending saliency (least relevant first); ties keep index order.</summary>
    internal static int[] LeastRelevantFirst(double[] saliency) =>
        Enumerable.Range(0, saliency.Length).OrderBy(i => saliency[i]).ToArray();
}
