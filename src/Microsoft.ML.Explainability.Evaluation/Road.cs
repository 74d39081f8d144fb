using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// ROAD — RemOve And Debias — of Rong et al., "A Consistent and Efficient Evaluation Strategy for Attribution Methods"
/// (ICML 2022): for each percentage p the top (MoRF) or bottom (LeRF) round(p·P) features by saliency are removed and
/// filled in by <see cref="NoisyLinearImputer"/>, so that the removal pattern itself leaks little class information;
/// the model's target score is recorded without retraining.
/// </summary>
public static class Road
{
    /// <summary>Runs ROAD MoRF and LeRF.</summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="options">Percentages, noise, seed and score; null for the defaults.</param>
    /// <param name="progress">Reports samples done (MoRF, then LeRF).</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static RoadResult Run(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, RoadOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new(Order(scorer, inputs, explanations, targets, options, descending: true, progress, cancellationToken),
            Order(scorer, inputs, explanations, targets, options, descending: false, progress, cancellationToken));

    /// <summary>One order's curves: MoRF (<paramref name="descending"/>) or LeRF.</summary>
    internal static PerturbationCurves Order(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets, RoadOptions? options, bool descending,
        IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new RoadOptions();
        if (options.Percentages.Count == 0 || options.Percentages.Any(p => p is <= 0 or >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "ROAD percentages must be in (0, 1), at least one.");
        }

        var layout = options.Ranking.Layout(inputs);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var saliency = Enumerable.Range(0, inputs.BatchSize).Select(n => layout.Saliency(explanations.Row(n))).ToArray();
        var counts = options.Percentages.Select(p => options.FloorCounts ? (int)Math.Floor(p * layout.Features) : (int)Math.Round(p * layout.Features)).ToArray();
        var fractions = counts.Select(c => (double)c / layout.Features).ToArray();

        PerturbationCurves Curves(string name, bool mostRelevantFirst, int seedOffset)
        {
            var orders = saliency.Select((s, n) => options.Ranking.Order(s, mostRelevantFirst, n)).ToArray();
            var curves = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, counts.Length, (n, k, row) =>
            {
                var random = new Random(Seeds.Derive(options.Seed, seedOffset, n, k));
                inputs.Row(n).CopyTo(row);
                var removed = new bool[layout.Features];
                for (int i = 0; i < counts[k]; i++)
                {
                    removed[orders[n][i]] = true;
                }

                for (int c = 0; c < layout.Channels; c++)
                {
                    NoisyLinearImputer.Impute(row.Slice(c * layout.Features, layout.Features), removed, layout.Height, layout.Width, options.NoiseStd, random);
                }
            }, name, progress, cancellationToken);
            return new PerturbationCurves(name, fractions, curves);
        }

        return descending ? Curves("road-morf", mostRelevantFirst: true, 1) : Curves("road-lerf", mostRelevantFirst: false, 2);
    }
}
