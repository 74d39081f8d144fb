namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// What every explanation method implements: one request (a batch, and class targets or a seed) in, one
/// <see cref="Explanation"/> out. Explainers hold ONNX Runtime sessions, created on first use and released by
/// <see cref="IDisposable.Dispose"/>; <see cref="Explain"/> is thread-safe. Create one with
/// <see cref="ExplanationMethod.CreateExplainer"/> or the method's own explainer class.
/// </summary>
public interface IExplainer : IDisposable
{
    /// <summary>The method this explainer computes.</summary>
    ExplanationMethod Method { get; }

    /// <summary>Explains every row of the request's batch.</summary>
    /// <exception cref="InputMismatchException">The batch, targets or seed do not fit the model.</exception>
    /// <exception cref="NonFiniteInputException">The batch or seed holds NaN or ±∞.</exception>
    /// <exception cref="NonFiniteResultException">The model's output, a gradient or the result is not finite.</exception>
    /// <exception cref="OperationCanceledException">The request's token was cancelled.</exception>
    Explanation Explain(ExplanationRequest request);
}
