using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Input attributions of one explanation call, rows in input order.</summary>
public sealed class AttributionResult
{
    internal AttributionResult(FloatTensor attributions, long[]? targets, float[] targetScores, float[]? convergenceDelta = null)
    {
        NonFiniteResultException.ThrowIfAny(attributions.Data, attributions.RowLength, ComputationStage.Map, "attributions");
        Attributions = attributions;
        Targets = targets;
        TargetScores = targetScores;
        ConvergenceDelta = convergenceDelta;
    }

    /// <summary>The attributions, shaped as the input ([N, 1, H, W] when channels were reduced).</summary>
    public FloatTensor Attributions { get; }

#pragma warning disable CA1819 // Plain per-row arrays are the natural result type here.
    /// <summary>The class explained in each row (predicted classes resolved); null when a seed tensor was given.</summary>
    public long[]? Targets { get; }

    /// <summary>The target score y(x) of each row: the output for the target class, or ⟨seed, output⟩.</summary>
    public float[] TargetScores { get; }

    /// <summary>
    /// Integrated gradients only: Σ attributions − (y(x) − y(baseline)) per row, Captum's convergence delta (0 for an exact
    /// path integral); else null.
    /// </summary>
    public float[]? ConvergenceDelta { get; }
#pragma warning restore CA1819
}
