using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Pixel flipping / region perturbation with the area over the perturbation curve (AOPC), after Bach et al. (PLOS ONE
/// 2015) and Samek, Binder, Montavon, Lapuschkin and Müller, "Evaluating the visualization of what a deep neural network
/// has learned" (IEEE TNNLS 2017). Features are replaced by the baseline in order of saliency: MoRF (most relevant
/// first) x⁽ᵏ⁾ removes the top round(k·f·P/L) features; LeRF removes the bottom ones. A random attribution gives MoRF
/// and LeRF curves equal in expectation.
/// </summary>
public static class PixelFlipping
{
    /// <summary>Runs MoRF and LeRF.</summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="options">Steps, baseline and score; null for the defaults.</param>
    /// <param name="progress">Reports samples done (twice: MoRF then LeRF).</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static PixelFlippingResult Run(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, PixelFlippingOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new(Curves(scorer, inputs, explanations, targets, options, descending: true, progress, cancellationToken),
            Curves(scorer, inputs, explanations, targets, options, descending: false, progress, cancellationToken));

    /// <summary>One order's curves: most relevant first (MoRF, <paramref name="descending"/>) or least relevant first (LeRF).</summary>
    internal static PerturbationCurves Curves(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets, PixelFlippingOptions? options, bool descending,
        IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new PixelFlippingOptions();
        var layout = options.Ranking.Layout(inputs);
        var counts = PerturbationRunner.Counts(layout.Features, options.Steps, options.MaxFraction);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var baseline = Baselines.Create(inputs, options.Baseline);
        var fractions = counts.Select(c => (double)c / layout.Features).ToArray();
        string name = descending ? "morf" : "lerf";
        var orders = Enumerable.Range(0, inputs.BatchSize).Select(n => options.Ranking.Order(layout.Saliency(explanations.Row(n)), descending, n)).ToArray();
        var curves = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, counts.Length, (n, k, row) =>
        {
            inputs.Row(n).CopyTo(row);
            for (int i = 0; i < counts[k]; i++)
            {
                layout.CopyFeature(baseline.Row(n), row, orders[n][i]);
            }
        }, name, progress, cancellationToken);
        return new PerturbationCurves(name, fractions, curves);
    }
}
