using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of selectivity.</summary>
public sealed class SelectivityOptions
{
    /// <summary>Quantus 0.6's defaults: 8×8 patches, the "black" baseline, probabilities, AUC by trapz with dx = 1 over the perturbed points.</summary>
    public static SelectivityOptions Quantus => new() { PatchSize = 8, Baseline = new() { Kind = BaselineKind.Black } };

    /// <summary>Side of the square patches. Default 4 (Quantus: 8, which leaves 16 patches on a 28×28 image).</summary>
    public int PatchSize { get; init; } = 4;

    /// <summary>What removed patches become. Default zero.</summary>
    public BaselineOptions Baseline { get; init; } = new();

    /// <summary>Probability (default, as Montavon et al. and Quantus) or logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;

    /// <summary>Tie order of the patch ranking.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}

/// <summary>Settings of region perturbation.</summary>
public sealed class RegionPerturbationOptions
{
    /// <summary>Quantus 0.6's defaults: 8×8 patches, most relevant first, at most 100 regions, AOPC without the unperturbed point.</summary>
    public static RegionPerturbationOptions Quantus => new() { PatchSize = 8 };

    /// <summary>Side of the square patches. Default 4 (Quantus: 8).</summary>
    public int PatchSize { get; init; } = 4;

    /// <summary>At most this many regions are perturbed. Default 100 (Quantus's regions_evaluation).</summary>
    public int MaxRegions { get; init; } = 100;

    /// <summary>Most relevant first (default) or least relevant first.</summary>
    public bool MostRelevantFirst { get; init; } = true;

    /// <summary>What perturbed regions become. Default seeded uniform noise in the sample's range, as Samek et al.</summary>
    public BaselineOptions Baseline { get; init; } = new() { Kind = BaselineKind.UniformNoise };

    /// <summary>Probability (default, Quantus's softmax=True) or logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;

    /// <summary>Tie order of the patch ranking.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}

/// <summary>Settings of IROF.</summary>
public sealed class IrofOptions
{
    /// <summary>Quantus 0.6's defaults: the per-sample mean baseline, probabilities, AOC = S − trapz(dx = 1) over the perturbed points.</summary>
    public static IrofOptions Quantus => new();

    /// <summary>
    /// Side of the square segments used when <see cref="Segments"/> is null. Default 4. Quantus segments with SLIC
    /// (scikit-image); a regular grid is used here so the metric needs no image-processing dependency and is
    /// deterministic — give <see cref="Segments"/> to use superpixels.
    /// </summary>
    public int SegmentSize { get; init; } = 4;

    /// <summary>Per sample, a segment label for every pixel (H·W values, labels 0…S−1); null: the square grid.</summary>
    public IReadOnlyList<int[]>? Segments { get; init; }

    /// <summary>What removed segments become. Default the per-sample, per-channel mean (Quantus: "mean").</summary>
    public BaselineOptions Baseline { get; init; } = new() { Kind = BaselineKind.Mean };

    /// <summary>Probability (default, Quantus's softmax=True) or logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Probability;

    /// <summary>Tie order of the segment ranking.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}

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

/// <summary>Region perturbation curves and their AOPC.</summary>
public sealed class RegionPerturbationResult
{
    internal RegionPerturbationResult(PerturbationCurves curves)
    {
        Curves = curves;
        Aopc = curves.Curves.Select(PixelFlippingResult.Aopc).ToArray();
        AopcWithoutUnperturbed = curves.Curves.Select(c => c.Skip(1).Average(y => c[0] - y)).ToArray();
    }

    /// <summary>The score after each region, the unperturbed input first.</summary>
    public PerturbationCurves Curves { get; }

    /// <summary>Per sample, (1/(L+1)) Σ_{k=0}^{L} (f(x) − f(x⁽ᵏ⁾)).</summary>
    public IReadOnlyList<double> Aopc { get; }

    /// <summary>Per sample, (1/L) Σ_{k=1}^{L} (f(x) − f(x⁽ᵏ⁾)): the mean of Quantus's per-sample curve.</summary>
    public IReadOnlyList<double> AopcWithoutUnperturbed { get; }
}

/// <summary>IROF curves and their areas.</summary>
public sealed class IrofResult
{
    internal IrofResult(double[][] relative)
    {
        RelativeCurves = relative;
        Aoc = relative.Select(c => 1 - PerturbationCurves.Trapezoid(Enumerable.Range(0, c.Length).Select(k => (double)k / (c.Length - 1)).ToArray(), c)).ToArray();
        QuantusAoc = relative.Select(c => (c.Length - 1) - PerturbationCurves.UnitTrapezoid(c.Skip(1).ToArray())).ToArray();
    }

    /// <summary>Per sample, f(x⁽ᵏ⁾)/f(x) for k = 0…S (1 first).</summary>
    public IReadOnlyList<IReadOnlyList<double>> RelativeCurves { get; }

    /// <summary>Per sample, 1 − AUC over the fraction of segments removed.</summary>
    public IReadOnlyList<double> Aoc { get; }

    /// <summary>Per sample, Quantus's S − trapz(dx = 1) of the S perturbed points.</summary>
    public IReadOnlyList<double> QuantusAoc { get; }
}
