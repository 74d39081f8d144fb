namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Which number of the model's output a perturbation metric follows for the target class.</summary>
public enum ScoreKind
{
    /// <summary>The softmax probability p_c = exp(z_c) / Σ_k exp(z_k) of the target class c (computed in float64 from the output z).</summary>
    Probability,

    /// <summary>The raw output z_c of the target class (a logit for classifiers without a final softmax).</summary>
    Logit,

    /// <summary>
    /// Accuracy: 1 when the target class has the largest output (ties to the lowest index), else 0 — what Quantus's
    /// ROAD reports per percentage.
    /// </summary>
    Accuracy,
}
