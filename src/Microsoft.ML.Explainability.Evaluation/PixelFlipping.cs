using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of pixel flipping (region perturbation).</summary>
public sealed class PixelFlippingOptions
{
    /// <summary>Perturbation steps L. Default 20.</summary>
    public int Steps { get; init; } = 20;

    /// <summary>Fraction of the features perturbed after the last step. Default 1 (every feature).</summary>
    public double MaxFraction { get; init; } = 1;

    /// <summary>What flipped features become. Default: seeded uniform noise, as in Samek et al.</summary>
    public BaselineOptions Baseline { get; init; } = new() { Kind = BaselineKind.UniformNoise };

    /// <summary>Probability or logit. Default logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Logit;

    /// <summary>Tie order and feature unit of the ranking. Default: ties in index order, pixels.</summary>
    public RankingOptions Ranking { get; init; } = RankingOptions.Default;
}

/// <summary>Both orders of pixel flipping and their AOPC per sample.</summary>
public sealed class PixelFlippingResult
{
    internal PixelFlippingResult(PerturbationCurves morf, PerturbationCurves lerf)
    {
        Morf = morf;
        Lerf = lerf;
        AopcMorf = morf.Curves.Select(Aopc).ToArray();
        AopcLerf = lerf.Curves.Select(Aopc).ToArray();
    }

    /// <summary>Most relevant first: the score should fall fast.</summary>
    public PerturbationCurves Morf { get; }

    /// <summary>Least relevant first: the score should stay.</summary>
    public PerturbationCurves Lerf { get; }

    /// <summary>Per sample, AOPC of the MoRF curve (higher is better).</summary>
    public IReadOnlyList<double> AopcMorf { get; }

    /// <summary>Per sample, AOPC of the LeRF curve (lower is better).</summary>
    public IReadOnlyList<double> AopcLerf { get; }

    /// <summary>AOPC = 1/(L+1) Σ_{k=0}^{L} (f(x⁽⁰⁾) − f(x⁽ᵏ⁾)) of one curve y_k = f(x⁽ᵏ⁾).</summary>
    public static double Aopc(IReadOnlyList<double> curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        return curve.Average(y => curve[0] - y);
    }
}

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
