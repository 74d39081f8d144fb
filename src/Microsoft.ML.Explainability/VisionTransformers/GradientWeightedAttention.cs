using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// Gradient-weighted attention relevance of Chefer, Gur &amp; Wolf, "Generic Attention-model Explainability for
/// Interpreting Bi-Modal and Encoder-Decoder Transformers" (ICCV 2021), rule (5)–(6) for self-attention, as in their
/// ViT notebook (<c>generate_relevance</c>). Arithmetic in float64.
/// </summary>
/// <remarks>
/// With Aₕ the attention probabilities of head h of block b and ∇Aₕ = ∂y/∂Aₕ the gradient of the target class score y
/// with respect to them: Ā_b = meanₕ ReLU(∇Aₕ ⊙ Aₕ) (the ReLU before the mean); R = I; for each block in forward order
/// R ← R + Ā_b·R. The map is the class token's row R[c, prefix + p] over the patch tokens p, reshaped to the grid.
/// The identity's contribution to that row is zero off the diagonal, so the map is Σ over attention paths only.
/// To start the product at a later block (the <c>start_layer</c> of Chefer et al.'s code), pass the blocks from it on
/// (<see cref="TransformerOptions.StartBlock"/> does this).
/// </remarks>
public static class GradientWeightedAttention
{
    /// <summary>Relevance maps [N, h, w] from the blocks' attention probabilities and their gradients.</summary>
    /// <param name="attentions">One tensor per block in forward order, [N, heads, T, T] (or [N, T, T]).</param>
    /// <param name="gradients">∂y/∂A for each block, same shapes, y the explained score of each row.</param>
    /// <param name="grid">Prefix tokens and patch grid (T = prefix + h·w).</param>
    /// <param name="classToken">The token whose row is read; one of the prefix tokens. Default 0.</param>
    /// <returns>The class token's relevance row over the patches, [N, h, w] (non-negative).</returns>
    public static FloatTensor Compute(IReadOnlyList<FloatTensor> attentions, IReadOnlyList<FloatTensor> gradients, TokenGrid grid, int classToken = 0)
    {
        var (rows, tokens) = AttentionMath.Check(attentions, nameof(attentions));
        AttentionMath.Check(gradients, nameof(gradients));
        AttentionMath.CheckGrid(grid, classToken, tokens, nameof(grid));
        if (gradients.Count != attentions.Count || attentions.Zip(gradients).Any(p => !p.First.Shape.SequenceEqual(p.Second.Shape)))
        {
            throw new ArgumentException("One gradient per attention tensor, of the same shape, is needed.", nameof(gradients));
        }

        int cells = grid.Height * grid.Width;
        var result = new float[rows * cells];
        var matrices = new double[attentions.Count][];
        for (int b = 0; b < matrices.Length; b++)
        {
            matrices[b] = new double[tokens * tokens];
        }

        var v = new double[tokens];
        var product = new double[tokens];
        for (int r = 0; r < rows; r++)
        {
            for (int b = 0; b < attentions.Count; b++)
            {
                WeightedMean(attentions[b], gradients[b], r, tokens, matrices[b]);
            }

            // Class row of (I + Ā_L)·…·(I + Ā_1): v = e_c, then v ← v + v·Ā_b from the last block down to the first.
            Array.Clear(v);
            v[classToken] = 1;
            for (int b = attentions.Count - 1; b >= 0; b--)
            {
                var previous = (double[])v.Clone();
                AttentionMath.RowTimesMatrix(v, matrices[b], tokens, product);
                for (int j = 0; j < tokens; j++)
                {
                    v[j] += previous[j];
                }
            }

            AttentionMath.PatchRow(v, grid, result.AsSpan(r * cells, cells));
        }

        return new FloatTensor(result, rows, grid.Height, grid.Width);
    }

    /// <summary>Ā = meanₕ ReLU(∇Aₕ ⊙ Aₕ) of one row into <paramref name="mean"/> [T·T].</summary>
    internal static void WeightedMean(FloatTensor attention, FloatTensor gradient, int row, int tokens, double[] mean)
    {
        int heads = AttentionMath.Heads(attention);
        int size = tokens * tokens;
        var a = attention.Row(row);
        var g = gradient.Row(row);
        for (int e = 0; e < size; e++)
        {
            double sum = 0;
            for (int h = 0; h < heads; h++)
            {
                int i = (h * size) + e;
                sum += Math.Max(0.0, (double)a[i] * g[i]);
            }

            mean[e] = sum / heads;
        }
    }

    /// <summary>
    /// <see cref="Compute"/> as ONNX nodes, for the explanation compiler (float32 arithmetic): with the attention tensors
    /// and their gradients (<see cref="GradientModel.GradientOutput"/>) in the graph, the class row of
    /// (I + Ā_L)·…·(I + Ā_1) over the patches, [N, h, w].
    /// </summary>
    internal static string EmitMap(GraphEmitter g, IReadOnlyList<AttentionBlock> blocks, TokenGrid grid, int classToken)
    {
        int tokens = blocks[0].Tokens;
        var unit = new double[tokens];
        unit[classToken] = 1;
        var row = g.Constant(TensorElementType.Float, [1, 1, tokens], unit);
        for (int b = blocks.Count - 1; b >= 0; b--)
        {
            var a = AttentionMath.EmitHeads(g, blocks[b]);
            var gradient = AttentionMath.EmitHeads(g, blocks[b] with { Tensor = GradientModel.GradientOutput(blocks[b].Tensor) });
            var mean = g.ReduceMean(g.Node("Relu", [g.Mul(a, gradient)]), [1], keepDims: false);
            row = g.Add(row, g.Node("MatMul", [row, mean]));
        }

        return AttentionMath.EmitPatchRow(g, row, grid);
    }
}
