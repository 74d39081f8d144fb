using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Faithfulness estimate of Alvarez-Melis and Jaakkola, "Towards Robust Interpretability with Self-Explaining Neural
/// Networks" (NeurIPS 2018), as defined in Quantus: features are ranked by saliency, most relevant first, and cut into
/// consecutive groups Gₖ; each group alone is set to the baseline (not cumulatively), and the value is Pearson's r
/// between the groups' attribution sums Σ_{i∈Gₖ} sᵢ and the score drops f(x) − f(x_{Gₖ = x̄}). Range [−1, 1], higher is
/// better; 1 for an additive model explained exactly (the drop of each group is its attribution sum).
/// </summary>
public static class FaithfulnessEstimate
{
    /// <summary>The correlation per sample.</summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="options">Step size, baseline, score and ranking; null for the defaults.</param>
    /// <param name="progress">Reports samples done.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static double[] Run(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, FaithfulnessEstimateOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new FaithfulnessEstimateOptions();
        var layout = options.Ranking.Layout(inputs);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var baseline = Baselines.Create(inputs, options.Baseline);
        int perStep = FeatureGroups.PerStep(options.FeaturesPerStep, layout.Features, 50);
        var saliency = Enumerable.Range(0, inputs.BatchSize).Select(n => layout.Saliency(explanations.Row(n))).ToArray();
        var groups = saliency.Select((s, n) => FeatureGroups.Chunk(options.Ranking.Order(s, descending: true, n), perStep)).ToArray();
        int steps = groups[0].Length;

        // Row 0: the unperturbed input; row k: group k − 1 alone at the baseline.
        var scores = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, steps + 1, (n, k, row) =>
        {
            inputs.Row(n).CopyTo(row);
            if (k > 0)
            {
                foreach (var p in groups[n][k - 1])
                {
                    layout.CopyFeature(baseline.Row(n), row, p);
                }
            }
        }, "faithfulness-estimate", progress, cancellationToken);
        return Enumerable.Range(0, inputs.BatchSize).Select(n =>
        {
            var sums = groups[n].Select(g => FeatureGroups.Sum(saliency[n], g)).ToArray();
            var drops = Enumerable.Range(1, steps).Select(k => scores[n][0] - scores[n][k]).ToArray();
            return steps < 2 ? double.NaN : Similarity.Pearson(sums, drops);
        }).ToArray();
    }
}
