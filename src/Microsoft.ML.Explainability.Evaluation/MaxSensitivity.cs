using System.Numerics.Tensors;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Max-sensitivity of Yeh et al., "On the (In)fidelity and Sensitivity of Explanations" (NeurIPS 2019):
/// SENS_max(Φ, f, x, r) = max_{‖y − x‖∞ ≤ r} ‖Φ(f, y) − Φ(f, x)‖₂, estimated by Monte Carlo over y = x + u with u
/// uniform in [−r, r] per element. Lower is better. The explanation method is called through a delegate, so this
/// metric needs no model session.
/// </summary>
public static class MaxSensitivity
{
    /// <summary>The sensitivity per sample.</summary>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explain">The explanation method: a batch [M, …] of inputs to their explanations of the same shape (for a fixed target rule, e.g. the predicted class).</param>
    /// <param name="options">Radius, samples, normalisation and seed; null for the defaults.</param>
    /// <param name="progress">Reports samples done.</param>
    /// <param name="cancellationToken">Checked between samples.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, or the delegate returns a wrong shape or non-finite values.</exception>
    public static double[] Run(
        FloatTensor inputs, Func<FloatTensor, FloatTensor> explain, MaxSensitivityOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Sensitivities(inputs, Adapt(explain), options, average: false, progress, cancellationToken);

    /// <summary>A batch-only delegate as one that also receives the sample index (ignored).</summary>
    internal static Func<FloatTensor, int, FloatTensor> Adapt(Func<FloatTensor, FloatTensor> explain)
    {
        ArgumentNullException.ThrowIfNull(explain);
        return (batch, _) => explain(batch);
    }

    /// <summary>The sensitivities; <paramref name="explain"/> receives the stack of sample n's copies and n.</summary>
    internal static double[] Sensitivities(
        FloatTensor inputs, Func<FloatTensor, int, FloatTensor> explain, MaxSensitivityOptions? options, bool average,
        IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        EvaluationGuard.RequireInputs(inputs);
        ArgumentNullException.ThrowIfNull(explain);
        options ??= new MaxSensitivityOptions();
        if (options.Samples < 1 || options.Radius < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Max-sensitivity needs at least one sample and a non-negative radius.");
        }

        int length = inputs.RowLength;
        var result = new double[inputs.BatchSize];
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var random = new Random(Seeds.Derive(options.Seed, n));
            var stack = FloatTensor.Zeros([options.Samples + 1, .. inputs.Shape.Skip(1)]);
            for (int k = 0; k <= options.Samples; k++)
            {
                var row = stack.Row(k);
                inputs.Row(n).CopyTo(row);
                for (int i = 0; k > 0 && i < length; i++)
                {
                    row[i] += (float)(options.Radius * ((2 * random.NextDouble()) - 1));
                }
            }

            var explained = explain(stack, n);
            ArgumentNullException.ThrowIfNull(explained, nameof(explain));
            EvaluationGuard.RequireExplanations(stack, explained);
            var phi = explained.Row(0);
            double reference = Math.Sqrt(Norm2(phi, default));
            double max = 0, sum = 0;
            for (int k = 1; k <= options.Samples; k++)
            {
                double change = Math.Sqrt(Norm2(explained.Row(k), phi));
                max = Math.Max(max, change);
                sum += change;
            }

            max = average ? sum / options.Samples : max;

            result[n] = options.Normalize ? (reference > 0 ? max / reference : 0) : max;
            progress?.Report(new EvaluationProgress(average ? "average-sensitivity" : "max-sensitivity", n + 1, inputs.BatchSize));
        }

        return result;
    }

    /// <summary>‖a − b‖₂² (‖a‖₂² for an empty b), vectorised.</summary>
    private static double Norm2(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double d = b.IsEmpty ? TensorPrimitives.Norm(a) : TensorPrimitives.Distance(a, b);
        return d * d;
    }
}
