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
    /// <paramref name="kind"/> <see cref="RelevanceMass.Signed"/> gives Quantus's signed ratio instead.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, mask shape mismatch or an empty mask.</exception>
    public static double[] RelevanceMassAccuracy(FloatTensor explanations, FloatTensor masks, RelevanceMass kind = RelevanceMass.PositiveOnly)
    {
        if (kind == RelevanceMass.Signed)
        {
            var (l, signedInside) = Prepare(explanations, masks);
            return Enumerable.Range(0, explanations.BatchSize).Select(n =>
            {
                var s = l.Saliency(explanations.Row(n));
                double total = s.Sum(), within = s.Where((_, p) => signedInside[n][p]).Sum();
                return total != 0 ? within / total : double.NaN;
            }).ToArray();
        }

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

    /// <summary>
    /// Attribution localisation of Kohlbrenner, Bauer, Nakajima, Binder, Samek and Lapuschkin, "Towards Best Practice in
    /// Explaining Neural Network Decisions with LRP" (IJCNN 2020): the share of attribution inside the object mask,
    /// μ = Σ_{p∈mask} r_p / Σ_p r_p, with r = max(s, 0) (the paper's positive relevance, default) or r = |s|
    /// (<paramref name="absolute"/>, Quantus's default abs=True); optionally weighted by the mask's share of the image
    /// (<paramref name="weighted"/>, Quantus's weighted=True: μ·|mask|/P). NaN when the total is 0. Higher is better.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, mask shape mismatch or an empty mask.</exception>
    public static double[] AttributionLocalisation(FloatTensor explanations, FloatTensor masks, bool absolute = false, bool weighted = false)
    {
        var (layout, inside) = Prepare(explanations, masks);
        return Enumerable.Range(0, explanations.BatchSize).Select(n =>
        {
            var s = layout.Saliency(explanations.Row(n));
            double within = 0, total = 0;
            for (int p = 0; p < s.Length; p++)
            {
                double r = absolute ? Math.Abs(s[p]) : Math.Max(s[p], 0);
                total += r;
                within += inside[n][p] ? r : 0;
            }

            double ratio = total > 0 ? within / total : double.NaN;
            return weighted ? ratio * inside[n].Count(v => v) / s.Length : ratio;
        }).ToArray();
    }

    /// <summary>
    /// Area under the ROC curve of the saliency as a detector of mask pixels (Fawcett, "An introduction to ROC
    /// analysis", Pattern Recognition Letters 2006; Quantus's localisation AUC): the probability that a random object
    /// pixel has higher saliency than a random background pixel, ties counting ½ (the Mann–Whitney statistic, equal to
    /// scikit-learn's roc_curve + auc). 0.5 for an uninformative map, 1 for a perfect one. NaN when the mask covers
    /// every pixel.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, mask shape mismatch or an empty mask.</exception>
    public static double[] RocAuc(FloatTensor explanations, FloatTensor masks)
    {
        var (layout, inside) = Prepare(explanations, masks);
        return Enumerable.Range(0, explanations.BatchSize).Select(n =>
        {
            var s = layout.Saliency(explanations.Row(n));
            int positives = inside[n].Count(v => v), negatives = s.Length - positives;
            if (negatives == 0)
            {
                return double.NaN;
            }

            var ranks = Similarity.Ranks(s);
            double rankSum = 0;
            for (int p = 0; p < s.Length; p++)
            {
                rankSum += inside[n][p] ? ranks[p] : 0;
            }

            return (rankSum - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
        }).ToArray();
    }

    /// <summary>
    /// Top-k intersection of Theiner, Müller-Budack and Ewerth, "Interpretable Semantic Photo Geolocation" (WACV 2022):
    /// the fraction of the k most relevant pixels (by signed saliency, ties in index order) that lie inside the mask,
    /// |top_k(s) ∩ mask| / k; k is capped at the pixel count. With <paramref name="conceptInfluence"/>, divided by the
    /// mask's share of the image |mask|/P (Quantus's concept_influence). Higher is better.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, mask shape mismatch or an empty mask.</exception>
    public static double[] TopKIntersection(FloatTensor explanations, FloatTensor masks, int k, bool conceptInfluence = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var (layout, inside) = Prepare(explanations, masks);
        return Enumerable.Range(0, explanations.BatchSize).Select(n =>
        {
            var s = layout.Saliency(explanations.Row(n));
            int kk = Math.Min(k, s.Length);
            double value = (double)FeatureLayout.MostRelevantFirst(s).Take(kk).Count(p => inside[n][p]) / kk;
            return conceptInfluence ? value * s.Length / inside[n].Count(v => v) : value;
        }).ToArray();
    }

    /// <summary>
    /// Focus of Arias-Duart, Parés, Garcia-Gasulla and Giménez-Ábalos, "Focus! Rating XAI Methods and Finding Biases"
    /// (FUZZ-IEEE 2022): each input is a 2×2 mosaic of four images, some of the target class; focus is the share of
    /// positive relevance in the target-class quadrants, Σ_{p∈target quadrants} max(s_p, 0) / Σ_p max(s_p, 0) (1e-9
    /// added to the denominator, as Quantus). Quadrants split H and W at ⌊H/2⌋ and ⌊W/2⌋, in the order top-left,
    /// top-right, bottom-left, bottom-right. A mosaic of two target and two other images scores 0.5 for a map that
    /// ignores the class. Higher is better.
    /// </summary>
    /// <param name="explanations">Explanations of the mosaics, [N, C, H, W] or [N, H, W].</param>
    /// <param name="targetQuadrants">Per mosaic, four flags: whether each quadrant holds an image of the target class.</param>
    /// <exception cref="EvaluationInputException">Empty or non-finite explanations, or flags that are not four per mosaic.</exception>
    public static double[] Focus(FloatTensor explanations, IReadOnlyList<bool[]> targetQuadrants)
    {
        EvaluationGuard.RequireInputs(explanations, "explanations");
        ArgumentNullException.ThrowIfNull(targetQuadrants);
        if (targetQuadrants.Count != explanations.BatchSize || targetQuadrants.Any(q => q is null || q.Length != 4))
        {
            throw new EvaluationInputException($"Focus needs four quadrant flags per mosaic; {explanations.BatchSize} mosaics were given {targetQuadrants.Count} flag sets.");
        }

        var layout = FeatureLayout.Of(explanations);
        int halfH = layout.Height / 2, halfW = layout.Width / 2;
        return Enumerable.Range(0, explanations.BatchSize).Select(n =>
        {
            var s = layout.Saliency(explanations.Row(n));
            double within = 0, total = 0;
            for (int p = 0; p < s.Length; p++)
            {
                int i = p / layout.Width, j = p % layout.Width;
                int quadrant = (i < halfH ? 0 : 2) + (j < halfW ? 0 : 1);
                double r = Math.Max(s[p], 0);
                total += r;
                within += targetQuadrants[n][quadrant] ? r : 0;
            }

            return within / (total + 1e-9);
        }).ToArray();
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
