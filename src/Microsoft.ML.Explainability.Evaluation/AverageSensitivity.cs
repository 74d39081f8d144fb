using System.Numerics.Tensors;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Average sensitivity of Yeh et al., "On the (In)fidelity and Sensitivity of Explanations" (NeurIPS 2019):
/// SENS_avg(Φ, f, x, r) = E_{‖y − x‖∞ ≤ r} ‖Φ(f, y) − Φ(f, x)‖₂ (divided by ‖Φ(f, x)‖₂ with
/// <see cref="MaxSensitivityOptions.Normalize"/>, Quantus's default), estimated by Monte Carlo with the same draws as
/// <see cref="MaxSensitivity"/>. Lower is better.
/// </summary>
public static class AverageSensitivity
{
    /// <summary>The average sensitivity per sample.</summary>
    /// <param name="inputs">The samples, [N, …].</param>
    /// <param name="explain">The explanation method: a batch [M, …] of inputs to their explanations of the same shape.</param>
    /// <param name="options">Radius, samples, normalisation and seed; null for the defaults.</param>
    /// <param name="progress">Reports samples done.</param>
    /// <param name="cancellationToken">Checked between samples.</param>
    /// <exception cref="EvaluationInputException">Empty inputs, or the delegate returns a wrong shape or non-finite values.</exception>
    public static double[] Run(
        FloatTensor inputs, Func<FloatTensor, FloatTensor> explain, MaxSensitivityOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        MaxSensitivity.Sensitivities(inputs, MaxSensitivity.Adapt(explain), options, average: true, progress, cancellationToken);
}
