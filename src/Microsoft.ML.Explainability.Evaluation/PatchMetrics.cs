using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Perturbation metrics over patches or segments rather than single pixels. Patches are the squares of a row-major
/// grid (partial at the right and bottom edges, as Quantus's padded blocks); a patch's attribution is the sum of its
/// pixels' saliency; ties between patches follow <see cref="RankingOptions"/>.
/// </summary>
public static class PatchMetrics
{
    /// <summary>
    /// Selectivity of Montavon, Samek and Müller, "Methods for interpreting and understanding deep neural networks"
    /// (Digital Signal Processing 2018): patches are removed cumulatively, most relevant first, and the target score
    /// is followed; the value is the area under the curve (lower is better: a good explanation makes the score fall
    /// fast). Curves include the unperturbed point at fraction 0; <see cref="PerturbationCurves.Auc"/> integrates
    /// over the fraction of pixels removed, <see cref="PerturbationCurves.UnitStepAuc"/> is Quantus's AUC.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static PerturbationCurves Selectivity(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, SelectivityOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new SelectivityOptions();
        var (curves, _) = Cumulative(scorer, inputs, explanations, targets, options.PatchSize, int.MaxValue, descending: true, options.Baseline, options.Score, options.Ranking, "selectivity", progress, cancellationToken);
        return curves;
    }

    /// <summary>
    /// Region perturbation of Samek, Binder, Montavon, Lapuschkin and Müller, "Evaluating the visualization of what a
    /// deep neural network has learned" (IEEE TNNLS 2017) with patches: up to <see cref="RegionPerturbationOptions.MaxRegions"/>
    /// patches are replaced cumulatively by the baseline in order of attribution, and the value per sample is the AOPC,
    /// the mean drop (1/(L+1)) Σ_{k=0}^{L} (f(x) − f(x⁽ᵏ⁾)) including the unperturbed k = 0 (as <see cref="PixelFlippingResult.Aopc"/>).
    /// Quantus's curve leaves k = 0 out (see <see cref="RegionPerturbationResult.AopcWithoutUnperturbed"/>). Higher is better (MoRF).
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static RegionPerturbationResult RegionPerturbation(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, RegionPerturbationOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new RegionPerturbationOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRegions, 1, nameof(options));
        var (curves, _) = Cumulative(scorer, inputs, explanations, targets, options.PatchSize, options.MaxRegions, options.MostRelevantFirst, options.Baseline, options.Score, options.Ranking, "region-perturbation", progress, cancellationToken);
        return new RegionPerturbationResult(curves);
    }

    /// <summary>
    /// IROF, Iterative Removal Of Features, of Rieger and Hansen, "IROF: a low resource evaluation metric for explanation
    /// methods" (ICLR 2020 workshop): segments are ranked by their mean saliency and removed cumulatively (most relevant
    /// first) by the baseline; the curve is the target score relative to the unperturbed one, f(x⁽ᵏ⁾)/f(x), and the value
    /// is the area over it, 1 − AUC over the fraction of segments removed (curve including the unperturbed point 1).
    /// Quantus's value is S − trapz(dx = 1) over the S perturbed points (<see cref="IrofResult.QuantusAoc"/>). Higher is better.
    /// </summary>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions, wrong target count or segment maps that do not fit.</exception>
    public static IrofResult Irof(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, IrofOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new IrofOptions();
        var layout = FeatureLayout.Of(inputs);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var baseline = Baselines.Create(inputs, options.Baseline);
        var segments = new int[inputs.BatchSize][][];
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            int[][] all;
            if (options.Segments is { } maps)
            {
                if (maps.Count != inputs.BatchSize || maps[n].Length != layout.Features || maps[n].Any(l => l < 0))
                {
                    throw new EvaluationInputException($"IROF needs one segment map of {layout.Features} non-negative labels per sample; sample {n} does not have one.");
                }

                all = maps[n].Select((label, p) => (label, p)).GroupBy(t => t.label).OrderBy(g => g.Key).Select(g => g.Select(t => t.p).ToArray()).ToArray();
            }
            else
            {
                all = layout.Patches(options.SegmentSize);
            }

            var s = layout.Saliency(explanations.Row(n));
            var means = all.Select(g => g.Average(p => s[p])).ToArray();
            segments[n] = options.Ranking.Order(means, descending: true, n).Select(i => all[i]).ToArray();
        }

        int rows = segments.Max(g => g.Length) + 1;
        var scores = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, rows, (n, k, row) =>
        {
            inputs.Row(n).CopyTo(row);
            for (int j = 0; j < Math.Min(k, segments[n].Length); j++)
            {
                foreach (var p in segments[n][j])
                {
                    layout.CopyFeature(baseline.Row(n), row, p);
                }
            }
        }, "irof", progress, cancellationToken);
        return new IrofResult(scores.Select((c, n) => c.Take(segments[n].Length + 1).Select(v => v / c[0]).ToArray()).ToArray());
    }

    private static (PerturbationCurves Curves, int[][][] Order) Cumulative(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets, int patchSize, int maxRegions, bool descending,
        BaselineOptions baselineOptions, ScoreKind score, RankingOptions ranking, string name, IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        var layout = FeatureLayout.Of(inputs);
        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        var baseline = Baselines.Create(inputs, baselineOptions);
        var patches = layout.Patches(patchSize);
        var ordered = Enumerable.Range(0, inputs.BatchSize).Select(n =>
        {
            var s = layout.Saliency(explanations.Row(n));
            var sums = patches.Select(p => FeatureGroups.Sum(s, p)).ToArray();
            return ranking.Order(sums, descending, n).Take(maxRegions).Select(i => patches[i]).ToArray();
        }).ToArray();
        int steps = ordered[0].Length;
        var curves = PerturbationRunner.Run(scorer, inputs, resolved, score, steps + 1, (n, k, row) =>
        {
            inputs.Row(n).CopyTo(row);
            for (int j = 0; j < k; j++)
            {
                foreach (var p in ordered[n][j])
                {
                    layout.CopyFeature(baseline.Row(n), row, p);
                }
            }
        }, name, progress, cancellationToken);
        var removed = new double[steps + 1];
        for (int k = 1; k <= steps; k++)
        {
            removed[k] = removed[k - 1] + ((double)ordered[0][k - 1].Length / layout.Features);
        }

        return (new PerturbationCurves(name, removed, curves), ordered);
    }
}
