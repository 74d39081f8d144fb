namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// The data handed to an evaluation metric cannot be evaluated: an empty input set, explanations or masks whose shape
/// differs from the inputs', non-finite (NaN or infinite) attributions, or targets that do not match the rows.
/// </summary>
public sealed class EvaluationInputException : ExplainabilityException
{
    /// <summary>Creates the exception with a message.</summary>
    public EvaluationInputException(string message) : base(message) { }
}
