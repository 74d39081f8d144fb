using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Sensitivity-n of Ancona, Ceolini, Öztireli and Gross, "Towards better understanding of gradient-based attribution
/// methods for Deep Neural Networks" (ICLR 2018): for each subset size n, random subsets S of n features are set to
/// the baseline and Pearson's r is taken between Σ_{i∈S} aᵢ and the output change f(x) − f(x_{S = x̄}); an explanation
/// satisfies sensitivity-n when r = 1, which holds for every n exactly when the model is additive in the features and
/// the attribution is each feature's own contribution. Higher is better. Quantus 0.6 instead removes features
/// cumulatively in order of attribution, pairs each step's change with the attribution of that step's features only,
/// and correlates over the samples of the batch (one value per n, none per sample); this implementation follows the
/// paper, whose random subsets give a per-sample value.
/// </summary>
public static class SensitivityN
{
    /// <summary>The correlations per sample and n.</summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="options">Subset sizes and count, baseline, score and seed; null for the defaults.</param>
    /// <param name="progress">Reports samples done.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static SensitivityNResult Run(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, SensitivityNOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new SensitivityNOptions();
        if (options.Subsets < 2 || options.Fractions.Count == 0 || options.Fractions.Any(f => f is <= 0 or > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Sensitivity-n needs at least two subsets per n and fractions in (0, 1].");
        }

        var layout = FeatureLayout.Of(inputs);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var baseline = Baselines.Create(inputs, options.Baseline);
        var sizes = options.Fractions.Select(f => Math.Clamp((int)Math.Round(f * layout.Features), 1, layout.Features)).ToArray();
        int perSample = sizes.Length * options.Subsets;
        var subsets = new int[inputs.BatchSize][][];
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            var random = new Random(Seeds.Derive(options.Seed, n));
            subsets[n] = new int[perSample][];
            for (int k = 0; k < perSample; k++)
            {
                var all = Enumerable.Range(0, layout.Features).ToArray();
                random.Shuffle(all);
                subsets[n][k] = all[..sizes[k / options.Subsets]];
            }
        }

        var scores = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, perSample + 1, (n, k, row) =>
        {
            inputs.Row(n).CopyTo(row);
            if (k > 0)
            {
                foreach (var p in subsets[n][k - 1])
                {
                    layout.CopyFeature(baseline.Row(n), row, p);
                }
            }
        }, "sensitivity-n", progress, cancellationToken);
        var correlations = Enumerable.Range(0, inputs.BatchSize).Select(n =>
        {
            var s = layout.Saliency(explanations.Row(n));
            return Enumerable.Range(0, sizes.Length).Select(m =>
            {
                var range = Enumerable.Range(m * options.Subsets, options.Subsets).ToArray();
                return Similarity.Pearson(
                    range.Select(k => FeatureGroups.Sum(s, subsets[n][k])).ToArray(),
                    range.Select(k => scores[n][0] - scores[n][k + 1]).ToArray());
            }).ToArray();
        }).ToArray();
        return new SensitivityNResult(sizes, correlations);
    }
}
