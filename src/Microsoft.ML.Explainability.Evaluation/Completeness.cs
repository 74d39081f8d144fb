using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Completeness (summation-to-delta) of Sundararajan, Taly and Yan, "Axiomatic Attribution for Deep Networks" (ICML
/// 2017), also the conservation property of LRP (Bach et al., PLOS ONE 2015): Σ_i a_i(x) = f_c(x) − f_c(x̄) for the
/// baseline x̄. Integrated gradients with the same baseline satisfy it up to the integration error; gradients do not.
/// </summary>
public static class Completeness
{
    /// <summary>Compares attribution sums with score differences.</summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="baseline">The baseline x̄ the attributions refer to; null: zero.</param>
    /// <param name="score">Logit (default, what attributions usually explain) or probability.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static CompletenessResult Run(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, BaselineOptions? baseline = null,
        ScoreKind score = ScoreKind.Logit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var b = Baselines.Create(inputs, baseline);
        var fx = scorer.Scores(inputs, resolved, score, cancellationToken);
        var fb = scorer.Scores(b, resolved, score, cancellationToken);
        var sums = Enumerable.Range(0, inputs.BatchSize).Select(n =>
        {
            double sum = 0;
            foreach (var v in explanations.Row(n))
            {
                sum += v;
            }

            return sum;
        }).ToArray();
        return new CompletenessResult(sums, fx.Select((v, i) => v - fb[i]).ToArray());
    }
}
