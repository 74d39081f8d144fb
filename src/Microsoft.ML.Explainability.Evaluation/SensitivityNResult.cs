using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Sensitivity-n per sample and per n.</summary>
public sealed class SensitivityNResult
{
    internal SensitivityNResult(int[] sizes, double[][] correlations)
    {
        Sizes = sizes;
        Correlations = correlations;
        Mean = correlations.Select(c => c.Average()).ToArray();
    }

    /// <summary>The subset sizes n.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <summary>Per sample, Pearson's r at each n.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Correlations { get; }

    /// <summary>Per sample, r averaged over the subset sizes (the harness's per-sample value).</summary>
    public IReadOnlyList<double> Mean { get; }
}
