using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Faithfulness correlation of Bhatt, Weller and Moura, "Evaluating and Aggregating Feature-based Model Explanations"
/// (IJCAI 2020): μ_F = corr_{S ⊂ features, |S| = s}(Σ_{i∈S} g(x)_i, f(x) − f(x_{[x_S = x̄_S]})) — the Pearson correlation,
/// over random subsets S of fixed size, between the attribution summed over S and the drop of the target score when S
/// is set to the baseline x̄. Range [−1, 1], higher is better; 0 when either side has no variance.
/// </summary>
public static class FaithfulnessCorrelation
{
    /// <summary>The correlation per sample.</summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="options">Runs, subset size, baseline, score and seed; null for the defaults.</param>
    /// <param name="progress">Reports samples done.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static double[] Run(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, FaithfulnessCorrelationOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new FaithfulnessCorrelationOptions();
        if (options.Runs < 2 || options.SubsetFraction is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Faithfulness correlation needs at least 2 runs and a subset fraction in (0, 1].");
        }

        var layout = FeatureLayout.Of(inputs, options.Unit);
        int size = options.SubsetSize is { } fixedSize ? Math.Clamp(fixedSize, 1, layout.Features) : Math.Max(1, (int)Math.Round(options.SubsetFraction * layout.Features));
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var baseline = Baselines.Create(inputs, options.Baseline);
        var subsets = new int[inputs.BatchSize][][];
        var sums = new double[inputs.BatchSize][];
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            var random = new Random(Seeds.Derive(options.Seed, n));
            var saliency = layout.Saliency(explanations.Row(n));
            subsets[n] = new int[options.Runs][];
            sums[n] = new double[options.Runs];
            for (int t = 0; t < options.Runs; t++)
            {
                var all = Enumerable.Range(0, layout.Features).ToArray();
                random.Shuffle(all);
                subsets[n][t] = all[..size];
                sums[n][t] = subsets[n][t].Sum(p => saliency[p]);
            }
        }

        // Row 0 of each stack is the unperturbed input, rows 1..T the perturbed copies.
        var scores = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, options.Runs + 1, (n, k, row) =>
        {
            inputs.Row(n).CopyTo(row);
            if (k > 0)
            {
                foreach (var p in subsets[n][k - 1])
                {
                    layout.CopyFeature(baseline.Row(n), row, p);
                }
            }
        }, "faithfulness-correlation", progress, cancellationToken);
        return Enumerable.Range(0, inputs.BatchSize)
            .Select(n => Similarity.Pearson(sums[n], scores[n].Skip(1).Select(s => scores[n][0] - s).ToArray()))
            .ToArray();
    }
}
