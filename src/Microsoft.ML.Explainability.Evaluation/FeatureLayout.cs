using System.Numerics.Tensors;
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

    /// <summary>The layout of a batch of inputs, with pixels as features (<see cref="FeatureUnit.Pixel"/>).</summary>
    public static FeatureLayout Of(FloatTensor inputs) => Of(inputs, FeatureUnit.Pixel);

    /// <summary>
    /// The layout of a batch of inputs for a feature unit. With <see cref="FeatureUnit.ChannelElement"/> an
    /// [N, C, H, W] row is seen as one channel of C·H rows (the channel planes stacked), so every element is a feature
    /// and patch-based metrics tile each channel plane separately only when the patch side divides H.
    /// </summary>
    public static FeatureLayout Of(FloatTensor inputs, FeatureUnit unit)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (unit == FeatureUnit.ChannelElement && inputs.Rank == 4)
        {
            return new FeatureLayout(1, checked((int)(inputs.Shape[1] * inputs.Shape[2])), checked((int)inputs.Shape[3]));
        }

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
        // The channel planes are summed with vectorised float adds (exact for one channel, one rounding per add
        // otherwise), then widened: every metric reads saliency in float64.
        Span<float> sum = Features <= 4096 ? stackalloc float[Features] : new float[Features];
        row[..Features].CopyTo(sum);
        for (int c = 1; c < Channels; c++)
        {
            TensorPrimitives.Add(sum, row.Slice(c * Features, Features), sum);
        }

        var s = new double[Features];
        for (int p = 0; p < s.Length; p++)
        {
            s[p] = sum[p];
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

    /// <summary>Sets feature <paramref name="p"/> (all channels) of <paramref name="target"/> to <paramref name="value"/>.</summary>
    internal void FillFeature(Span<float> target, int p, float value)
    {
        for (int c = 0; c < Channels; c++)
        {
            target[(c * Features) + p] = value;
        }
    }

    /// <summary>The features of the square patches of side <paramref name="side"/> tiling the grid row-major (partial at the right and bottom edges).</summary>
    internal int[][] Patches(int side)
    {
        if (side < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(side), side, "The patch side must be positive.");
        }

        var patches = new List<int[]>();
        for (int i0 = 0; i0 < Height; i0 += side)
        {
            for (int j0 = 0; j0 < Width; j0 += side)
            {
                var patch = new List<int>();
                for (int i = i0; i < Math.Min(Height, i0 + side); i++)
                {
                    for (int j = j0; j < Math.Min(Width, j0 + side); j++)
                    {
                        patch.Add((i * Width) + j);
                    }
                }

                patches.Add([.. patch]);
            }
        }

        return [.. patches];
    }

    /// <summary>Feature indices ordered by descending saliency (most relevant first); ties keep index order.</summary>
    internal static int[] MostRelevantFirst(double[] saliency) => RankingOptions.Default.Order(saliency, descending: true);

    /// <summary>Feature indices ordered by ascending saliency (least relevant first); ties keep index order.</summary>
    internal static int[] LeastRelevantFirst(double[] saliency) => RankingOptions.Default.Order(saliency, descending: false);
}
