using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Fills copy <paramref name="copy"/> of sample <paramref name="sample"/> (a delegate type, as .NET 8's Action cannot take a span).</summary>
internal delegate void PerturbedRowFiller(int sample, int copy, Span<float> row);

/// <summary>
/// Shared driver of the perturbation metrics: for each sample it fills a stack of perturbed copies, runs them through
/// the <see cref="ModelScorer"/> in batches and returns the target score of every copy.
/// </summary>
internal static class PerturbationRunner
{
    /// <summary>Perturbed copies held in memory at once (the scorer still runs them in its own batch size).</summary>
    private const int MaxRowsPerStack = 512;

    /// <summary>
    /// Scores <paramref name="rowsPerSample"/> perturbed copies of each sample. <paramref name="fill"/> receives the sample
    /// index, the copy index and the copy's row, pre-filled with nothing (zeros).
    /// </summary>
    public static double[][] Run(
        ModelScorer scorer, FloatTensor inputs, long[] targets, ScoreKind kind, int rowsPerSample,
        PerturbedRowFiller fill, string metric, IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        var result = new double[inputs.BatchSize][];
        int chunk = Math.Min(rowsPerSample, MaxRowsPerStack);
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            result[n] = new double[rowsPerSample];
            for (int start = 0; start < rowsPerSample; start += chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(chunk, rowsPerSample - start);
                var stack = FloatTensor.Zeros([count, .. inputs.Shape.Skip(1)]);
                for (int k = 0; k < count; k++)
                {
                    fill(n, start + k, stack.Row(k));
                }

                scorer.Scores(stack, [targets[n]], kind, cancellationToken).CopyTo(result[n], start);
            }

            progress?.Report(new EvaluationProgress(metric, n + 1, inputs.BatchSize));
        }

        return result;
    }

    /// <summary>Features perturbed at step k of <paramref name="steps"/>: round(k·f·P/steps) for the final fraction f.</summary>
    public static int[] Counts(int features, int steps, double maxFraction = 1)
    {
        if (steps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "At least one step is needed.");
        }

        if (maxFraction is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxFraction), maxFraction, "The final fraction must be in (0, 1].");
        }

        return Enumerable.Range(0, steps + 1).Select(k => (int)Math.Round(k * maxFraction * features / steps)).ToArray();
    }
}
