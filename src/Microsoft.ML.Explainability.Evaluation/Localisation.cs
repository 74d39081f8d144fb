using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Localisation metrics: how much of an explanation falls on the object, given a ground-truth mask per sample. Every
/// metric works on the saliency map s_p = Σ_c a[c, p] (see <see cref="FeatureLayout"/>). Masks are [N, H, W],
/// [N, 1, H, W] or the inputs' own shape (a pixel is inside when any of its channels is non-zero).
/// </summary>
public static class Localisation
{
    /// <summary>
    /// Pointing game of Zhang, Bargal, Lin, Brandt, Shen and Sclaroff, "Top-down Neural Attention by Excitation
    /// Backprop" (IJCV 2018): a hit (1) when the pixel of maximal saliency lies within <paramref name="tolerance"/>
    /// pixels (Euclidean) of the mask, else a miss (0). The authors use a 15-pixel tolerance on ImageNet-sized images;
    /// the default here is 0 (the maximum itself must be inside).
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, mask shape mismatch or an empty mask.</exception>
    public static double[] PointingGame(FloatTensor explanations, FloatTensor masks, double tolerance = 0)
    {
        var (layout, inside) = Prepare(explanations, masks);
        var result = new double[explanations.BatchSize];
        for (int n = 0; n < result.Length; n++)
        {
            var s = layout.Saliency(explanations.Row(n));
            int best = 0;
            for (int p = 1; p < s.Length; p++)
            {
                if (s[p] > s[best])
                {
                    best = p;
                }
            }

            int bi = best / layout.Width, bj = best % layout.Width;
            bool hit = false;
            for (int p = 0; p < s.Length && !hit; p++)
            {
                if (inside[n][p])
                {
                    int di = (p / layout.Width) - bi, dj = (p % layout.Width) - bj;
                    hit = Math.Sqrt((di * di) + (dj * dj)) <= tolerance;
                }
            }

            result[n] = hit ? 1 : 0;
        }

        return result;
    }

    /// <summary>
    /// Relevance mass accuracy of Arras, Osman and Samek, "CLEVR-XAI: A benchmark dataset for the ground truth evaluation
    /// of neural network explanations" (Information Fusion 2022): the share of positive relevance inside the mask,
    /// Σ_{p∈mask} max(s_p, 0) / Σ_p max(s_p, 0) (0 when there is no positive relevance). Range [0, 1], higher is better.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, mask shape mismatch or an empty mask.</exception>
    public static double[] RelevanceMassAccuracy(FloatTensor explanations, FloatTensor masks)
    {
        var (layout, inside) = Prepare(explanations, masks);
        var result = new double[explanations.BatchSize];
        for (int n = 0; n < result.Length; n++)
        {
            var s = layout.Saliency(explanations.Row(n));
            double within = 0, total = 0;
            for (int p = 0; p < s.Length; p++)
            {
                double r = Math.Max(s[p], 0);
                total += r;
                within += inside[n][p] ? r : 0;
            }

            result[n] = total > 0 ? within / total : 0;
        }

        return result;
    }

    /// <summary>
    /// Relevance rank accuracy of Arras, Osman and Samek (Information Fusion 2022): with K the number of mask pixels, the
    /// fraction of the K most relevant pixels that lie inside the mask, |top_K(s) ∩ mask| / K (ties broken by index).
    /// Range [0, 1], higher is better.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, mask shape mismatch or an empty mask.</exception>
    public static double[] RelevanceRankAccuracy(FloatTensor explanations, FloatTensor masks)
    {
        var (layout, inside) = Prepare(explanations, masks);
        var result = new double[explanations.BatchSize];
        for (int n = 0; n < result.Length; n++)
        {
            var s = layout.Saliency(explanations.Row(n));
            int k = inside[n].Count(v => v);
            var top = FeatureLayout.MostRelevantFirst(s).Take(k);
            result[n] = (double)top.Count(p => inside[n][p]) / k;
        }

        return result;
    }

    private static (FeatureLayout Layout, bool[][] Inside) Prepare(FloatTensor explanations, FloatTensor masks)
    {
        EvaluationGuard.RequireInputs(explanations, "explanations");
        ArgumentNullException.ThrowIfNull(masks);
        var layout = FeatureLayout.Of(explanations);
        long[] spatial = [explanations.Shape[0], .. explanations.Rank == 4 ? explanations.Shape[2..] : explanations.Shape[1..]];
        long[] withChannel = explanations.Rank == 4 ? [explanations.Shape[0], 1, .. explanations.Shape[2..]] : spatial;
        bool sameAsInput = masks.Shape.SequenceEqual(explanations.Shape);
        if (!sameAsInput && !masks.Shape.SequenceEqual(spatial) && !masks.Shape.SequenceEqual(withChannel))
        {
            throw new EvaluationInputException(
                $"The masks have shape {masks.ShapeText}; for explanations of shape {explanations.ShapeText} they must be " +
                $"[{string.Join(", ", spatial)}], [{string.Join(", ", withChannel)}] or the explanations' shape.");
        }

        EvaluationGuard.RequireFinite(masks, "masks");
        var inside = new bool[explanations.BatchSize][];
        for (int n = 0; n < inside.Length; n++)
        {
            var row = masks.Row(n);
            int channels = sameAsInput ? layout.Channels : 1;
            inside[n] = new bool[layout.Features];
            for (int c = 0; c < channels; c++)
            {
                for (int p = 0; p < layout.Features; p++)
                {
                    inside[n][p] |= row[(c * layout.Features) + p] != 0;
                }
            }

            if (!inside[n].Any(v => v))
            {
                throw new EvaluationInputException($"The mask of sample {n} is empty: localisation needs at least one object pixel.");
            }
        }

        return (layout, inside);
    }
}
