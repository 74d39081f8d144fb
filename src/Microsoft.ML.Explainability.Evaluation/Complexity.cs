using System.Numerics.Tensors;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Complexity metrics of single explanations, over all elements of an explanation row taken in absolute value.
/// </summary>
public static class Complexity
{
    /// <summary>
    /// Gini index of |a| (Hurley and Rickard, "Comparing Measures of Sparsity", IEEE Trans. Inf. Theory 2009), used as
    /// "sparseness" by Chalasani, Chen, Chowdhury, Wu and Jha, "Concise Explanations of Neural Networks using Adversarial
    /// Training" (ICML 2020): with the n values sorted ascending, a₍₁₎ ≤ … ≤ a₍ₙ₎,
    /// G = Σ_k (2k − n − 1)·a₍ₖ₎ / (n·Σ_k a₍ₖ₎). 0 when all values are equal (and for an all-zero vector), (n − 1)/n when
    /// one value holds everything. Higher is sparser.
    /// </summary>
    public static double Gini(ReadOnlySpan<float> attribution)
    {
        if (attribution.IsEmpty)
        {
            throw new EvaluationInputException("The Gini index of an empty attribution is undefined.");
        }

        var sorted = new double[attribution.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            sorted[i] = Math.Abs((double)attribution[i]);
        }

        Array.Sort(sorted);
        double total = sorted.Sum();
        if (total == 0)
        {
            return 0;
        }

        int n = sorted.Length;
        double weighted = 0;
        for (int k = 1; k <= n; k++)
        {
            weighted += ((2.0 * k) - n - 1) * sorted[k - 1];
        }

        return weighted / (n * total);
    }

    /// <summary>
    /// Complexity of Bhatt, Weller and Moura, "Evaluating and Aggregating Feature-based Model Explanations" (IJCAI 2020):
    /// the Shannon entropy H = −Σ_i p_i ln p_i (nats) of the fractional contributions p_i = |a_i| / Σ_j |a_j|, with
    /// 0·ln 0 = 0. 0 when one element holds everything, ln n when all are equal; an all-zero vector is taken as uniform
    /// (ln n). Lower is simpler.
    /// </summary>
    public static double Entropy(ReadOnlySpan<float> attribution)
    {
        if (attribution.IsEmpty)
        {
            throw new EvaluationInputException("The entropy of an empty attribution is undefined.");
        }

        double total = 0;
        foreach (var v in attribution)
        {
            total += Math.Abs((double)v);
        }

        if (total == 0)
        {
            return Math.Log(attribution.Length);
        }

        double h = 0;
        foreach (var v in attribution)
        {
            double p = Math.Abs((double)v) / total;
            if (p > 0)
            {
                h -= p * Math.Log(p);
            }
        }

        return h;
    }

    /// <summary>
    /// Effective complexity of Nguyen and Rodríguez Martínez, "On quantitative aspects of model interpretability"
    /// (2020): the number of elements whose attribution matters, #{i : |a_i| / max_j |a_j| &gt; ε} — Quantus's default
    /// (abs, normalised by the maximum, ε = 1e-5). An all-zero explanation has effective complexity 0. Lower is simpler.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty or non-finite explanations.</exception>
    public static double[] EffectiveComplexity(FloatTensor explanations, double epsilon = 1e-5)
    {
        EvaluationGuard.RequireInputs(explanations, "explanations");
        return Enumerable.Range(0, explanations.BatchSize).Select(n =>
        {
            var row = explanations.Row(n);
            float max = TensorPrimitives.MaxMagnitude(row);
            max = Math.Abs(max);
            if (max == 0)
            {
                return 0.0;
            }

            int count = 0;
            foreach (var v in row)
            {
                count += Math.Abs(v) / max > epsilon ? 1 : 0;
            }

            return count;
        }).ToArray();
    }

    /// <summary><see cref="Gini"/> of each explanation row.</summary>
    /// <exception cref="EvaluationInputException">Empty or non-finite explanations.</exception>
    public static double[] Sparseness(FloatTensor explanations)
    {
        EvaluationGuard.RequireInputs(explanations, "explanations");
        return Enumerable.Range(0, explanations.BatchSize).Select(n => Gini(explanations.Row(n))).ToArray();
    }

    /// <summary><see cref="Entropy"/> of each explanation row.</summary>
    /// <exception cref="EvaluationInputException">Empty or non-finite explanations.</exception>
    public static double[] EntropyComplexity(FloatTensor explanations)
    {
        EvaluationGuard.RequireInputs(explanations, "explanations");
        return Enumerable.Range(0, explanations.BatchSize).Select(n => Entropy(explanations.Row(n))).ToArray();
    }
}
