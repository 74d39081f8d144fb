using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Completeness per sample: the attribution sum against the score difference it should account for.</summary>
public sealed class CompletenessResult
{
    internal CompletenessResult(double[] sums, double[] differences)
    {
        AttributionSums = sums;
        ScoreDifferences = differences;
        AbsoluteErrors = sums.Select((s, i) => Math.Abs(s - differences[i])).ToArray();
        RelativeErrors = sums.Select((s, i) => Math.Abs(s - differences[i]) / Math.Max(Math.Abs(differences[i]), 1e-12)).ToArray();
    }

    /// <summary>Σ_i a_i per sample.</summary>
    public IReadOnlyList<double> AttributionSums { get; }

    /// <summary>f_c(x) − f_c(x̄) per sample.</summary>
    public IReadOnlyList<double> ScoreDifferences { get; }

    /// <summary>|Σ_i a_i − (f_c(x) − f_c(x̄))| per sample (0 for a complete method).</summary>
    public IReadOnlyList<double> AbsoluteErrors { get; }

    /// <summary>The absolute error divided by |f_c(x) − f_c(x̄)| (floored at 1e-12).</summary>
    public IReadOnlyList<double> RelativeErrors { get; }
}
