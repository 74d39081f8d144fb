using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of infidelity.</summary>
public sealed class InfidelityOptions
{
    /// <summary>Perturbations I drawn per sample. Default 50.</summary>
    public int Samples { get; init; } = 50;

    /// <summary>σ of the Gaussian perturbation, in input units. Default 0.1.</summary>
    public double NoiseStd { get; init; } = 0.1;

    /// <summary>
    /// Whether the attributions are of the "multiplied by the input" kind (input × gradient, integrated gradients,
    /// LRP). Then the perturbation is relative, I = x ⊙ ε with ε ~ N(0, σ²), and the explanation is paired with ε
    /// (εᵀΦ, Captum's multiply_by_inputs convention); otherwise I ~ N(0, σ²) is paired with the explanation directly (IᵀΦ).
    /// Default false.
    /// </summary>
    public bool MultipliedByInputs { get; init; }

    /// <summary>
    /// Whether the explanation is first scaled by the optimal β = E[IᵀΦ·Δ] / E[(IᵀΦ)²] (as in the authors' code), so
    /// that infidelity does not depend on the explanation's overall scale. Default true.
    /// </summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Probability or logit. Default logit.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Logit;

    /// <summary>Seed of the perturbations. Default 0.</summary>
    public int Seed { get; init; }
}

/// <summary>
/// Infidelity of Yeh, Hsieh, Suggala, Inouye and Ravikumar, "On the (In)fidelity and Sensitivity of Explanations"
/// (NeurIPS 2019): INFD(Φ, f, x) = E_{I∼μ_I}[(IᵀΦ(f, x) − (f(x) − f(x − I)))²] with Gaussian perturbations
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
}
