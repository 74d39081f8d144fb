using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// Attention rollout (Abnar &amp; Zuidema, "Quantifying Attention Flow in Transformers", ACL 2020), with the head
/// fusion and discarding options of jacobgil's vit-explain (<c>vit_rollout.py</c>). Class-independent: it reads the
/// attention probabilities only. Arithmetic in float64.
/// </summary>
/// <remarks>
/// For each block b (forward order), with Aₕ the attention probabilities of head h ([T, T], rows summing to 1):
/// <list type="number">
/// <item>Fuse the heads: Ā = meanₕ Aₕ (or maxₕ, minₕ; <see cref="HeadFusion"/>).</item>
/// <item>
/// Discard (when <c>discardRatio</c> &gt; 0), exactly as vit-explain: over all T² entries of Ā, the k = ⌊ratio·T²⌋
/// smallest (ties: lower row-major index first) are set to 0, except the class token's attention to itself
/// Ā[c, c] (vit-explain's flat index 0 for c = 0), which is kept even when among them (so at most k are zeroed).
/// </item>
/// <item>Add the identity for the residual connection and renormalise rows: Â = (Ā + I), Â[i, ·] /= Σⱼ Â[i, j]
/// (vit-explain's (Ā + I)/2 before the division gives the same Â; its row sum broadcasts along the wrong axis,
/// which is not reproduced).</item>
/// </list>
/// Rollout R = Â_L · … · Â_1 (R = Â_1 after the first block, R ← Â_b·R after each next one). The map is the class
/// token's row R[c, prefix + p] over the patch tokens p, reshaped to the grid (row-major). To start at a later
/// block, pass the blocks from it on (<see cref="TransformerOptions.StartBlock"/>).
/// </remarks>
public static class AttentionRollout
{
    /// <summary>Rollout maps [N, h, w] from the blocks' attention probabilities.</summary>
    /// <param name="attentions">One tensor per block in forward order, [N, heads, T, T] (or [N, T, T]).</param>
    /// <param name="grid">Prefix tokens and patch grid (T = prefix + h·w).</param>
    /// <param name="fusion">Head fusion. Default mean.</param>
    /// <param name="discardRatio">Fraction of the lowest fused attentions set to zero, in [0, 1). Default 0.</param>
    /// <param name="classToken">The token whose row is read; one of the prefix tokens. Default 0.</param>
    /// <returns>The class token's rollout row over the patches, [N, h, w] (non-negative).</returns>
    public static FloatTensor Compute(IReadOnlyList<FloatTensor> attentions, TokenGrid grid, HeadFusion fusion = HeadFusion.Mean, double discardRatio = 0, int classToken = 0)
    {
        var (rows, tokens) = AttentionMath.Check(attentions, nameof(attentions));
        AttentionMath.CheckGrid(grid, classToken, tokens, nameof(grid));
        if (!Enum.IsDefined(fusion))
        {
            throw new ArgumentOutOfRangeException(nameof(fusion), fusion, "Unknown head fusion.");
        }

        if (!(discardRatio >= 0 && discardRatio < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(discardRatio), discardRatio, "The discard ratio must lie in [0, 1).");
        }

        int cells = grid.Height * grid.Width;
        var result = new float[rows * cells];
        var fused = new double[tokens * tokens];
        var order = new int[tokens * tokens];
        var keys = new double[tokens * tokens];
        var v = new double[tokens];
        var scratch = new double[tokens];
        var matrices = new double[attentions.Count][];
        for (int r = 0; r < rows; r++)
        {
            for (int b = 0; b < attentions.Count; b++)
            {
                Fuse(attentions[b], r, tokens, fusion, fused);
                if (discardRatio > 0)
                {
                    Discard(fused, tokens, discardRatio, classToken, order, keys);
                }

                AddIdentityAndNormalize(fused, tokens);
                matrices[b] = (double[])fused.Clone();
            }

            // Class row of Â_L·…·Â_1: v = e_c, then v ← v·Â_b from the last block down to the first.
            Array.Clear(v);
            v[classToken] = 1;
            for (int b = attentions.Count - 1; b >= 0; b--)
            {
                AttentionMath.RowTimesMatrix(v, matrices[b], tokens, scratch);
            }

            AttentionMath.PatchRow(v, grid, result.AsSpan(r * cells, cells));
        }

        return new FloatTensor(result, rows, grid.Height, grid.Width);
    }

    /// <summary>Fuses the heads of row <paramref name="row"/> of one block into <paramref name="fused"/> [T·T].</summary>
    internal static void Fuse(FloatTensor attention, int row, int tokens, HeadFusion fusion, double[] fused)
    {
        int heads = AttentionMath.Heads(attention);
        int size = tokens * tokens;
        var data = attention.Row(row);
        for (int e = 0; e < size; e++)
        {
            double acc = data[e];
            for (int h = 1; h < heads; h++)
            {
                double x = data[(h * size) + e];
                acc = fusion switch
                {
                    HeadFusion.Max => Math.Max(acc, x),
                    HeadFusion.Min => Math.Min(acc, x),
                    _ => acc + x,
                };
            }

            fused[e] = fusion == HeadFusion.Mean ? acc / heads : acc;
        }
    }

    /// <summary>Zeroes the ⌊ratio·T²⌋ smallest entries (stable order), sparing [c, c].</summary>
    internal static void Discard(double[] fused, int tokens, double ratio, int classToken, int[] order, double[] keys)
    {
        int size = tokens * tokens;
        int count = (int)Math.Floor(ratio * size);
        if (count == 0)
        {
            return;
        }

        for (int e = 0; e < size; e++)
        {
            order[e] = e;
            keys[e] = fused[e];
        }

        // Sort by (value, index): Array.Sort is unstable, so the index breaks ties explicitly.
        Array.Sort(order, (x, y) => keys[x] != keys[y] ? keys[x].CompareTo(keys[y]) : x.CompareTo(y));
        int spared = (classToken * tokens) + classToken;
        for (int k = 0; k < count; k++)
        {
            if (order[k] != spared)
            {
                fused[order[k]] = 0;
            }
        }
    }

    /// <summary>Â = Ā + I with rows renormalised to sum to 1.</summary>
    internal static void AddIdentityAndNormalize(double[] fused, int tokens)
    {
        for (int i = 0; i < tokens; i++)
        {
            fused[(i * tokens) + i] += 1;
            double sum = 0;
            for (int j = 0; j < tokens; j++)
            {
                sum += fused[(i * tokens) + j];
            }

            for (int j = 0; j < tokens; j++)
            {
                fused[(i * tokens) + j] /= sum;
            }
        }
    }

    /// <summary>
    /// <see cref="Compute"/> as ONNX nodes over the blocks' attention tensors, for the explanation compiler (float32
    /// arithmetic, no discarding): the class row of Â_L·…·Â_1 over the patches, [N, h, w].
    /// </summary>
    /// <exception cref="ArgumentException">A discard ratio above 0 (its sort has no fixed-size graph form).</exception>
    internal static string EmitMap(GraphEmitter g, IReadOnlyList<AttentionBlock> blocks, TokenGrid grid, HeadFusion fusion, double discardRatio, int classToken)
    {
        if (discardRatio > 0)
        {
            throw new ArgumentException("Attention rollout with a discard ratio above 0 is not compiled: discarding sorts each fused matrix, which has no fixed-size ONNX form; compile with DiscardRatio 0.", nameof(discardRatio));
        }

        int tokens = blocks[0].Tokens;
        var eye = new double[tokens * tokens];
        for (int i = 0; i < tokens; i++)
        {
            eye[(i * tokens) + i] = 1;
        }

        var identity = g.Constant(TensorElementType.Float, [tokens, tokens], eye);
        string? row = null;
        for (int b = blocks.Count - 1; b >= 0; b--)
        {
            var heads = AttentionMath.EmitHeads(g, blocks[b]);
            var fused = fusion switch
            {
                HeadFusion.Max => g.ReduceMax(heads, [1], keepDims: false),
                HeadFusion.Min => g.ReduceMin(heads, [1], keepDims: false),
                _ => g.ReduceMean(heads, [1], keepDims: false),
            };
            var hat = g.Add(fused, identity);
            hat = g.Div(hat, g.ReduceSum(hat, [2], keepDims: true));
            row = row is null
                ? g.Node("Slice", [hat, g.Int64s(classToken), g.Int64s(classToken + 1), g.Int64s(1)])
                : g.Node("MatMul", [row, hat]);
        }

        return AttentionMath.EmitPatchRow(g, row!, grid);
    }
}
