using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Infidelity of Yeh, Hsieh, Suggala, Inouye and Ravikumar, "On the (In)fidelity and Sensitivity of Explanations"
/// (NeurIPS 2019), by either of two named estimators (<see cref="InfidelityEstimator"/>). The default,
/// <see cref="InfidelityEstimator.GaussianOptimalScale"/>: INFD(Φ, f, x) = E_{I∼μ_I}[(IᵀΦ(f, x) − (f(x) − f(x − I)))²] with Gaussian perturbations
/// I ~ N(0, σ²I) (Monte Carlo over <see cref="InfidelityOptions.Samples"/> draws). Lower is better; the gradient is
/// optimal for a linear model with additive noise, input × gradient with <see cref="InfidelityOptions.MultipliedByInputs"/>.
/// </summary>
public static class Infidelity
{
    /// <summary>The infidelity per sample.</summary>
    /// <param name="scorer">The model's session.</param>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explanations">One attribution per input element, the inputs' shape.</param>
    /// <param name="targets">Class per sample (−1 or null: the predicted class).</param>
    /// <param name="options">Samples, σ, scaling, score and seed; null for the defaults.</param>
    /// <param name="progress">Reports samples done.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, shape mismatch, non-finite attributions or wrong target count.</exception>
    public static double[] Run(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[]? targets = null, InfidelityOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        EvaluationGuard.RequireExplanations(inputs, explanations);
        options ??= new InfidelityOptions();
        if (options.Samples < 1 || options.NoiseStd <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Infidelity needs at least one sample and a positive σ.");
        }

        var resolved = scorer.ResolveTargets(inputs, targets, cancellationToken);
        if (options.Estimator == InfidelityEstimator.PatchReplacement)
        {
            return PatchReplacement(scorer, inputs, explanations, resolved, options, progress, cancellationToken);
        }

        int length = inputs.RowLength;
        var noise = new float[inputs.BatchSize][];
        var dots = new double[inputs.BatchSize][];
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            var random = new Random(Seeds.Derive(options.Seed, n));
            noise[n] = new float[options.Samples * length];
            dots[n] = new double[options.Samples];
            var phi = explanations.Row(n);
            for (int t = 0; t < options.Samples; t++)
            {
                double dot = 0;
                for (int i = 0; i < length; i++)
                {
                    float e = (float)(options.NoiseStd * NoisyLinearImputer.Gaussian(random));
                    noise[n][(t * length) + i] = e;
                    dot += (double)e * phi[i];
                }

                dots[n][t] = dot;
            }
        }

        var scores = PerturbationRunner.Run(scorer, inputs, resolved, options.Score, options.Samples + 1, (n, k, row) =>
        {
            var x = inputs.Row(n);
            x.CopyTo(row);
            if (k > 0)
            {
                var e = noise[n].AsSpan((k - 1) * length, length);
                for (int i = 0; i < length; i++)
                {
                    row[i] -= options.MultipliedByInputs ? x[i] * e[i] : e[i];
                }
            }
        }, "infidelity", progress, cancellationToken);

        var result = new double[inputs.BatchSize];
        for (int n = 0; n < result.Length; n++)
        {
            var drops = scores[n].Skip(1).Select(s => scores[n][0] - s).ToArray();
            double beta = 1;
            if (options.Normalize)
            {
                double num = 0, den = 0;
                for (int t = 0; t < drops.Length; t++)
                {
                    num += dots[n][t] * drops[t];
                    den += dots[n][t] * dots[n][t];
                }

                beta = den > 0 ? num / den : 0;
            }

            result[n] = Enumerable.Range(0, drops.Length).Average(t => Math.Pow((beta * dots[n][t]) - drops[t], 2));
        }

        return result;
    }

    private static double[] PatchReplacement(
        ModelScorer scorer, FloatTensor inputs, FloatTensor explanations, long[] targets, InfidelityOptions options,
        IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        if (options.PatchSizes.Count == 0 || options.PatchSizes.Any(s => s < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Patch-replacement infidelity needs at least one positive patch size.");
        }

        var layout = FeatureLayout.Of(inputs);
        var result = new double[inputs.BatchSize];
        var reference = scorer.Scores(inputs, targets, options.Score, cancellationToken);
        // With a deterministic baseline every repetition gives the same value: compute it once.
        int repeats = options.Baseline.Kind == BaselineKind.UniformNoise ? options.Samples : 1;
        for (int repeat = 0; repeat < repeats; repeat++)
        {
            var baseline = Baselines.Create(inputs, options.Baseline is { Kind: BaselineKind.UniformNoise } b ? new BaselineOptions { Kind = b.Kind, Seed = Seeds.Derive(b.Seed, repeat) } : options.Baseline);
            foreach (var side in options.PatchSizes)
            {
                var patches = layout.Patches(side);
                var scores = PerturbationRunner.Run(scorer, inputs, targets, options.Score, patches.Length, (n, k, row) =>
                {
                    inputs.Row(n).CopyTo(row);
                    for (int j = 0; j <= k; j++)
                    {
                        foreach (var p in patches[j])
                        {
                            layout.CopyFeature(baseline.Row(n), row, p);
                        }
                    }
                }, "infidelity", progress, cancellationToken);
                for (int n = 0; n < inputs.BatchSize; n++)
                {
                    var x = inputs.Row(n);
                    var a = explanations.Row(n);
                    var bn = baseline.Row(n);
                    double sum = 0, loss = 0;
                    for (int k = 0; k < patches.Length; k++)
                    {
                        foreach (var p in patches[k])
                        {
                            for (int c = 0; c < layout.Channels; c++)
                            {
                                int i = (c * layout.Features) + p;
                                sum += (double)a[i] * (x[i] - bn[i]);
                            }
                        }

                        double delta = reference[n] - scores[n][k];
                        loss += (delta - sum) * (delta - sum);
                    }

                    result[n] += loss / patches.Length / options.PatchSizes.Count / repeats;
                }
            }
        }

        return result;
    }
}
