using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>Shared checks and read-outs of the attention methods (rows of T×T matrices in float64).</summary>
internal static class AttentionMath
{
    /// <summary>Checks that every block is [N, H, T, T] (or [N, T, T]) with the same N and T; returns (N, T).</summary>
    public static (int Rows, int Tokens) Check(IReadOnlyList<FloatTensor> attentions, string paramName)
    {
        ArgumentNullException.ThrowIfNull(attentions, paramName);
        if (attentions.Count == 0)
        {
            throw new ArgumentException("At least one block's attention is needed.", paramName);
        }

        int rows = attentions[0].BatchSize;
        int tokens = (int)attentions[0].Shape[^1];
        foreach (var a in attentions)
        {
            ArgumentNullException.ThrowIfNull(a, paramName);
            if (a.Rank is not (3 or 4) || a.Shape[^1] != tokens || a.Shape[^2] != tokens || a.BatchSize != rows)
            {
                throw new ArgumentException($"Attention tensors must all be [N, heads, T, T] (or [N, T, T]) with N = {rows} and T = {tokens}; got {a.ShapeText}.", paramName);
            }
        }

        return (rows, tokens);
    }

    public static int Heads(FloatTensor attention) => attention.Rank == 4 ? (int)attention.Shape[1] : 1;

    /// <summary>Checks the grid and class token against T.</summary>
    public static void CheckGrid(TokenGrid grid, int classToken, int tokens, string paramName)
    {
        ArgumentNullException.ThrowIfNull(grid, paramName);
        if (grid.PrefixTokens < 1 || grid.Height < 1 || grid.Width < 1 || grid.PrefixTokens + (grid.Height * grid.Width) != tokens)
        {
            throw new ArgumentException($"The token grid {grid.PrefixTokens} prefix + {grid.Height}×{grid.Width} does not account for {tokens} tokens with at least one prefix (class) token.", paramName);
        }

        if (classToken < 0 || classToken >= grid.PrefixTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(classToken), classToken, $"The class token must be one of the {grid.PrefixTokens} prefix tokens.");
        }
    }

    /// <summary>Writes the patch entries of a class row (tokens prefix … T−1) into a [h·w] map, row-major.</summary>
    public static void PatchRow(ReadOnlySpan<double> classRow, TokenGrid grid, Span<float> map)
    {
        for (int p = 0; p < grid.Height * grid.Width; p++)
        {
            map[p] = (float)classRow[grid.PrefixTokens + p];
        }
    }

    /// <summary>v ← v·M for a row vector v and a T×T matrix M (row-major), in place.</summary>
    public static void RowTimesMatrix(double[] v, double[] m, int tokens, double[] scratch)
    {
        Array.Clear(scratch);
        for (int i = 0; i < tokens; i++)
        {
            double vi = v[i];
            if (vi == 0)
            {
                continue;
            }

            int offset = i * tokens;
            for (int j = 0; j < tokens; j++)
            {
                scratch[j] += vi * m[offset + j];
            }
        }

        Array.Copy(scratch, v, tokens);
    }

    /// <summary>One block's attention tensor as [N, heads, T, T] in the graph (heads folded into the batch are unfolded).</summary>
    internal static string EmitHeads(GraphEmitter g, AttentionBlock block) =>
        g.Reshape(block.Tensor, g.Int64s(-1, block.Heads, block.Tokens, block.Tokens));

    /// <summary><see cref="PatchRow"/> in the graph: a class row [N, 1, T] → the patch tokens' values [N, h, w].</summary>
    internal static string EmitPatchRow(GraphEmitter g, string classRow, TokenGrid grid)
    {
        var patches = g.Node("Slice", [classRow, g.Int64s(grid.PrefixTokens), g.Int64s(grid.PrefixTokens + (grid.Height * grid.Width)), g.Int64s(2)]);
        return g.Reshape(patches, g.Int64s(-1, grid.Height, grid.Width));
    }
}
