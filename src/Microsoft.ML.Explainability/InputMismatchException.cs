namespace Microsoft.ML.Explainability;

/// <summary>The tensors fed to a session do not match what the model expects (name, element type or shape).</summary>
public sealed class InputMismatchException : ExplainabilityException
{
    /// <summary>Creates the exception with a message.</summary>
    public InputMismatchException(string message) : base(message) { }
}
