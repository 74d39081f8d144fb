using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// The two metrics of Dasgupta, Frost and Moshkovitz, "Framework for Evaluating Faithfulness of Local Explanations"
/// (ICML 2022), which compare the explanations of the samples of one batch with each other: an explanation applies to
/// another sample when the two explanations are close (sufficiency) or equal after discretisation (consistency), and
/// it is faithful when the samples it applies to get the same prediction. Both are per sample, in [0, 1], higher is
/// better, and need the model's predicted classes (one forward pass per sample).
/// </summary>
public static class Sufficiency
{
    /// <summary>
    /// Local sufficiency: with the explanations taken as |a| / max|a| (Quantus's abs and normalise), the samples j ≠ i
    /// whose explanation lies within <paramref name="threshold"/> of sample i's by the standardised Euclidean distance
    /// d(u, v) = √(Σ_k (u_k − v_k)²/V_k) (V_k the sample variance of element k over the batch, as SciPy's
    /// "seuclidean"; elements with V_k = 0 are left out, where SciPy would give NaN) — the value is the share of them
    /// with sample i's predicted class, 0 when there is none.
    /// </summary>
    /// <param name="predicted">The predicted class of each sample.</param>
    /// <param name="explanations">The explanations, [N, …] (N ≥ 2).</param>
    /// <param name="threshold">The distance under which an explanation applies. Default 0.6 (Quantus).</param>
    /// <exception cref="EvaluationInputException">Fewer than two samples, non-finite explanations or a wrong number of classes.</exception>
    public static double[] Local(IReadOnlyList<long> predicted, FloatTensor explanations, double threshold = 0.6)
    {
        var a = Prepare(predicted, explanations);
        int n = a.Length, d = a[0].Length;
        var variance = new double[d];
        for (int k = 0; k < d; k++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++)
            {
                mean += a[i][k];
            }

            mean /= n;
            for (int i = 0; i < n; i++)
            {
                variance[k] += (a[i][k] - mean) * (a[i][k] - mean);
            }

            variance[k] /= n - 1;
        }

        return Enumerable.Range(0, n).Select(i =>
        {
            int close = 0, same = 0;
            for (int j = 0; j < n; j++)
            {
                if (j == i)
                {
                    continue;
                }

                double sum = 0;
                for (int k = 0; k < d; k++)
                {
                    sum += variance[k] > 0 ? (a[i][k] - a[j][k]) * (a[i][k] - a[j][k]) / variance[k] : 0;
                }

                if (Math.Sqrt(sum) <= threshold)
                {
                    close++;
                    same += predicted[i] == predicted[j] ? 1 : 0;
                }
            }

            return close == 0 ? 0 : (double)same / close;
        }).ToArray();
    }

    /// <summary>
    /// Consistency: each explanation is discretised to a label — by default the set of its <paramref name="topN"/> most
    /// relevant elements (by |a|, ties in index order); with <paramref name="quantusSigns"/>, Quantus's
    /// <c>top_n_sign</c>, the signs of the first n elements of |a|/max|a| in memory order — and the value is the share
    /// of the other samples with the same label that have sample i's predicted class (0 when none shares the label).
    /// </summary>
    /// <param name="predicted">The predicted class of each sample.</param>
    /// <param name="explanations">The explanations, [N, …] (N ≥ 2).</param>
    /// <param name="topN">Elements in the label. Default 5 (Quantus).</param>
    /// <param name="quantusSigns">Use Quantus's discretisation (signs of the first n elements) instead of the top-n set.</param>
    /// <exception cref="EvaluationInputException">Fewer than two samples, non-finite explanations or a wrong number of classes.</exception>
    public static double[] Consistency(IReadOnlyList<long> predicted, FloatTensor explanations, int topN = 5, bool quantusSigns = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topN, 1);
        var a = Prepare(predicted, explanations);
        var labels = a.Select(row => quantusSigns
            ? string.Join(",", row.Take(topN).Select(v => Math.Sign(v)))
            : string.Join(",", RankingOptions.Default.Order(row, descending: true).Take(topN).Order())).ToArray();
        return Enumerable.Range(0, a.Length).Select(i =>
        {
            int sameLabel = 0, sameBoth = 0;
            for (int j = 0; j < a.Length; j++)
            {
                if (j != i && labels[j] == labels[i])
                {
                    sameLabel++;
                    sameBoth += predicted[i] == predicted[j] ? 1 : 0;
                }
            }

            return sameLabel == 0 ? 0 : (double)sameBoth / sameLabel;
        }).ToArray();
    }

    private static double[][] Prepare(IReadOnlyList<long> predicted, FloatTensor explanations)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        EvaluationGuard.RequireInputs(explanations, "explanations");
        if (explanations.BatchSize < 2 || predicted.Count != explanations.BatchSize)
        {
            throw new EvaluationInputException($"Sufficiency and consistency compare at least two samples with their predicted classes; got {explanations.BatchSize} explanations and {predicted.Count} classes.");
        }

        var normalised = FeatureGroups.NormaliseByMax(FeatureGroups.Abs(explanations));
        return Enumerable.Range(0, normalised.BatchSize).Select(n => normalised.Row(n).ToArray().Select(v => (double)v).ToArray()).ToArray();
    }
}
