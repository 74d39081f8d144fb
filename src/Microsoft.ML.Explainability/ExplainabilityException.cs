namespace Microsoft.ML.Explainability;

/// <summary>Base class of every exception this library throws on purpose.</summary>
public class ExplainabilityException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public ExplainabilityException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public ExplainabilityException(string message, Exception innerException) : base(message, innerException) { }
}
