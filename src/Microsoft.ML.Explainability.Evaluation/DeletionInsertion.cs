using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Deletion and insertion metrics of Petsiuk, Das and Saenko, "RISE: Randomized Input Sampling for Explanation of
/// Black-box Models" (BMVC 2018). Features are ranked by saliency (most relevant first). Deletion replaces the top
/// round(k·P/K) features of x by the baseline and follows the target score f_c; a faithful explanation makes it fall
/// fast (low AUC is better). Insertion starts from the baseline and puts the top features of x back; a faithful
/// explanation makes the score rise fast (high AUC is better). AUC is the trapezoidal area over the fraction axis [0, 1].
/// </summary>
public static class DeletionInsertion
{
    /// <summary>The deletion curves (lower AUC is better).</summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="options">Steps, baseline and score; null for the defaults.</param>
    /// <param name="progress">Reports samples done.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static PerturbationCurves Deletion(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, DeletionInsertionOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Run(scorer, inputs, explanations, targets, options, deletion: true, progress, cancellationToken);

    /// <summary>The insertion curves (higher AUC is better).</summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="options">Steps, baseline and score; null for the defaults.</param>
    /// <param name="progress">Reports samples done.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static PerturbationCurves Insertion(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, DeletionInsertionOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Run(scorer, inputs, explanations, targets, options, deletion: false, progress, cancellationToken);

    private static PerturbationCurves Run(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets, DeletionInsertionOptions? options, bool deletion,
        IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new DeletionInsertionOptions();
        var layout = options.Ranking.Layout(inputs);
        var counts = PerturbationRunner.Counts(layout.Features, options.Steps);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var baseline = Baselines.Create(inputs, options.Baseline);
        var orders = Enumerable.Range(0, inputs.BatchSize).Select(n => options.Ranking.Order(layout.Saliency(explanations.Row(n)), descending: true, n)).ToArray();
        var curves = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, counts.Length, (n, k, row) =>
        {
            var x = inputs.Row(n);
            var b = baseline.Row(n);
            (deletion ? x : b).CopyTo(row);
            var source = deletion ? b : x;
            for (int i = 0; i < counts[k]; i++)
            {
                layout.CopyFeature(source, row, orders[n][i]);
            }
        }, deletion ? "deletion" : "insertion", progress, cancellationToken);
        var fractions = counts.Select(c => (double)c / layout.Features).ToArray();
        return new PerturbationCurves(deletion ? "deletion" : "insertion", fractions, curves);
    }
}
