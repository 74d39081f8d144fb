using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Monotonicity metrics: does adding (or perturbing) more relevant features change the score more?
/// </summary>
public static class Monotonicity
{
    /// <summary>
    /// Monotonicity of Arya et al., "One Explanation Does Not Fit All: A Toolkit and Taxonomy of AI Explainability
    /// Techniques" (2019): starting from the baseline, the features are put back from x in order of increasing
    /// |saliency| (groups of <see cref="MonotonicityOptions.FeaturesPerStep"/>), and the value is 1 when the target
    /// score never decreases from one step to the next, else 0. The ranking uses magnitudes (Quantus's abs=True), so
    /// a feature with a negative effect breaks monotonicity whatever its rank: the metric presumes non-negative
    /// contributions. Quantus 0.6's batched implementation re-applies the baseline instead of the input at every step,
    /// which makes its value 1 for any explanation; this implementation follows the paper and Quantus's earlier
    /// per-instance code. Higher is better.
    /// </summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="options">Step size, baseline, score and ranking; null for the defaults.</param>
    /// <param name="progress">Reports samples done.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static double[] Arya(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, MonotonicityOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new MonotonicityOptions();
        var layout = options.Ranking.Layout(inputs);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var baseline = Baselines.Create(inputs, options.Baseline);
        int perStep = FeatureGroups.PerStep(options.FeaturesPerStep, layout.Features, 50);
        var groups = Enumerable.Range(0, inputs.BatchSize)
            .Select(n => FeatureGroups.Chunk(options.Ranking.Order(layout.Saliency(explanations.Row(n)).Select(Math.Abs).ToArray(), descending: false, n), perStep))
            .ToArray();
        var scores = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, groups[0].Length, (n, k, row) =>
        {
            baseline.Row(n).CopyTo(row);
            for (int j = 0; j <= k; j++)
            {
                foreach (var p in groups[n][j])
                {
                    layout.CopyFeature(inputs.Row(n), row, p);
                }
            }
        }, "monotonicity", progress, cancellationToken);
        return scores.Select(curve => Enumerable.Range(1, curve.Length - 1).All(k => curve[k] >= curve[k - 1]) ? 1.0 : 0.0).ToArray();
    }

    /// <summary>
    /// Monotonicity correlation of Nguyen and Rodríguez Martínez, "On quantitative aspects of model interpretability"
    /// (2020), as in Quantus: features are ranked by |saliency| ascending and cut into groups Gₖ; each group alone is
    /// replaced <see cref="MonotonicityCorrelationOptions.Samples"/> times by uniform noise between the sample's
    /// minimum and maximum, giving the variance vₖ = mean((f(x̃) − f(x))²)/f(x)² (f(x)² replaced by 1 when
    /// |f(x)| &lt; ε); the value is Spearman's ρ between the groups' |saliency| sums and vₖ. Range [−1, 1], higher is
    /// better. Quantus draws one uniform value in [0, 1] per sample and call ("uniform" baseline); the range of the
    /// sample itself is used here so that normalised inputs are perturbed within their own scale.
    /// </summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="options">Step size, draws, ε, score, seed and ranking; null for the defaults.</param>
    /// <param name="progress">Reports samples done.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static double[] Correlation(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, MonotonicityCorrelationOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new MonotonicityCorrelationOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Samples, 1, nameof(options));
        var layout = options.Ranking.Layout(inputs);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        int perStep = FeatureGroups.PerStep(options.FeaturesPerStep, layout.Features, 50);
        var saliency = Enumerable.Range(0, inputs.BatchSize).Select(n => layout.Saliency(explanations.Row(n)).Select(Math.Abs).ToArray()).ToArray();
        var groups = saliency.Select((s, n) => FeatureGroups.Chunk(options.Ranking.Order(s, descending: false, n), perStep)).ToArray();
        int steps = groups[0].Length;
        var scores = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, 1 + (steps * options.Samples), (n, k, row) =>
        {
            var x = inputs.Row(n);
            x.CopyTo(row);
            if (k == 0)
            {
                return;
            }

            int group = (k - 1) / options.Samples;
            var random = new Random(Seeds.Derive(options.Seed, n, k));
            float min = System.Numerics.Tensors.TensorPrimitives.Min(x), max = System.Numerics.Tensors.TensorPrimitives.Max(x);
            foreach (var p in groups[n][group])
            {
                for (int c = 0; c < layout.Channels; c++)
                {
                    row[(c * layout.Features) + p] = (float)(min + ((max - min) * random.NextDouble()));
                }
            }
        }, "monotonicity-correlation", progress, cancellationToken);
        return Enumerable.Range(0, inputs.BatchSize).Select(n =>
        {
            double reference = scores[n][0];
            double inverse = Math.Abs(reference) >= options.Epsilon ? 1 / (reference * reference) : 1;
            var variances = Enumerable.Range(0, steps).Select(g =>
                Enumerable.Range(0, options.Samples).Average(t => Math.Pow(scores[n][1 + (g * options.Samples) + t] - reference, 2)) * inverse).ToArray();
            var sums = groups[n].Select(g => FeatureGroups.Sum(saliency[n], g)).ToArray();
            return steps < 2 ? double.NaN : Similarity.Spearman(sums, variances);
        }).ToArray();
    }
}
