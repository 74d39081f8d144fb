using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of continuity.</summary>
public sealed class ContinuityOptions
{
    /// <summary>Quantus 0.6's defaults: 28 translation steps, absolute and max-normalised explanations.</summary>
    public static ContinuityOptions Quantus => new() { Steps = 28 };

    /// <summary>Translations tried (one explainer run each). Default 7 (Quantus: 28).</summary>
    public int Steps { get; init; } = 7;

    /// <summary>Whether explanations are made absolute and divided by their maximum first (Quantus's abs=True, normalise=True). Default true.</summary>
    public bool AbsoluteNormalised { get; init; } = true;
}
