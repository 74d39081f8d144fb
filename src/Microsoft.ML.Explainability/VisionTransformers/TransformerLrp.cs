using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// Read-outs of transformer LRP relevance (<see cref="TransformerMethod.Lrp"/>, computed by <see cref="Lrp.LrpExplainer"/>
/// with <see cref="Lrp.Composites.LrpComposite.Transformer"/>): row sums and the patch-grid map. Sums in float64.
/// </summary>
public static class TransformerLrp
{
    /// <summary>Σ R over each row: the relevance the row's tensor holds in total (to compare with the target logit).</summary>
    public static float[] RowSums(FloatTensor relevance)
    {
        ArgumentNullException.ThrowIfNull(relevance);
        var sums = new float[relevance.BatchSize];
        for (int r = 0; r < sums.Length; r++)
        {
            double sum = 0;
            foreach (var v in relevance.Row(r))
            {
                sum += v;
            }

            sums[r] = (float)sum;
        }

        return sums;
    }

    /// <summary>
    /// The relevance of each patch, [N, h, w]: for tokens [N, T, C], Σ over C of each patch token (prefix tokens are
    /// dropped; their relevance is in <see cref="RowSums"/> only); for an image [N, C, H, W], Σ over C and over the
    /// pixels of each patch, pixel (y, x) belonging to cell (⌊y·h/H⌋, ⌊x·w/W⌋) (the H/h × W/w patches of the patch
    /// embedding when H and W are multiples of h and w).
    /// </summary>
    /// <param name="relevance">R at the tokens [N, T, C] or at the image [N, C, H, W].</param>
    /// <param name="grid">Prefix tokens and patch grid.</param>
    public static FloatTensor PatchMap(FloatTensor relevance, TokenGrid grid)
    {
        ArgumentNullException.ThrowIfNull(relevance);
        ArgumentNullException.ThrowIfNull(grid);
        int n = relevance.BatchSize, h = grid.Height, w = grid.Width, cells = h * w;
        var map = new double[n * cells];
        if (relevance.Rank == 3)
        {
            int tokens = (int)relevance.Shape[1], channels = (int)relevance.Shape[2];
            if (tokens != grid.PrefixTokens + cells)
            {
                throw new ArgumentException($"Token relevance {relevance.ShapeText} does not hold {grid.PrefixTokens} prefix + {h}×{w} tokens.", nameof(relevance));
            }

            for (int r = 0; r < n; r++)
            {
                var row = relevance.Row(r);
                for (int p = 0; p < cells; p++)
                {
                    var token = row.Slice((grid.PrefixTokens + p) * channels, channels);
                    foreach (var v in token)
                    {
                        map[(r * cells) + p] += v;
                    }
                }
            }
        }
        else if (relevance.Rank == 4)
        {
            int channels = (int)relevance.Shape[1], height = (int)relevance.Shape[2], width = (int)relevance.Shape[3];
            if (height < h || width < w)
            {
                throw new ArgumentException($"Image relevance {relevance.ShapeText} is smaller than the {h}×{w} grid.", nameof(relevance));
            }

            for (int r = 0; r < n; r++)
            {
                var row = relevance.Row(r);
                for (int k = 0; k < channels; k++)
                {
                    for (int y = 0; y < height; y++)
                    {
                        int cellRow = y * h / height;
                        for (int x = 0; x < width; x++)
                        {
                            map[(r * cells) + (cellRow * w) + (x * w / width)] += row[(((k * height) + y) * width) + x];
                        }
                    }
                }
            }
        }
        else
        {
            throw new ArgumentException($"Relevance must be tokens [N, T, C] or an image [N, C, H, W]; got {relevance.ShapeText}.", nameof(relevance));
        }

        return new FloatTensor(map.Select(v => (float)v).ToArray(), n, h, w);
    }

    /// <summary>
    /// <see cref="PatchMap"/> as ONNX nodes, for the explanation compiler: relevance tokens [N, T, C] or an image
    /// [N, C, H, W] whose H and W are multiples of the grid's → [N, h, w].
    /// </summary>
    /// <exception cref="ArgumentException">An image whose size is not a multiple of the grid (its uneven patches have no reshape form).</exception>
    internal static string EmitPatchMap(GraphEmitter g, string relevance, IReadOnlyList<long> shape, TokenGrid grid)
    {
        int cells = grid.Height * grid.Width;
        if (shape.Count == 3)
        {
            var patches = g.Node("Slice", [relevance, g.Int64s(grid.PrefixTokens), g.Int64s(grid.PrefixTokens + cells), g.Int64s(1)]);
            return g.Reshape(g.ReduceSum(patches, [2], keepDims: false), g.Int64s(-1, grid.Height, grid.Width));
        }

        if (shape.Count != 4 || shape[2] % grid.Height != 0 || shape[3] % grid.Width != 0)
        {
            throw new ArgumentException($"Relevance [{string.Join(", ", shape)}] is not tokens nor an image whose size is a multiple of the {grid.Height}×{grid.Width} grid; it is not compiled.", nameof(shape));
        }

        var blocks = g.Reshape(relevance, g.Int64s(-1, shape[1], grid.Height, shape[2] / grid.Height, grid.Width, shape[3] / grid.Width));
        return g.ReduceSum(blocks, [1, 3, 5], keepDims: false);
    }
}
