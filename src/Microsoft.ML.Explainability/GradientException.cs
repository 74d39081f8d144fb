namespace Microsoft.ML.Explainability;

/// <summary>
/// A gradient cannot be built: an operator on the differentiated path has no backward rule, a gradient was asked of a
/// non-floating-point tensor, or no differentiable path joins the seed to a requested tensor.
/// </summary>
public class GradientException : ExplainabilityException
{
    /// <summary>Creates the exception with a message.</summary>
    public GradientException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public GradientException(string message, Exception innerException) : base(message, innerException) { }
}
