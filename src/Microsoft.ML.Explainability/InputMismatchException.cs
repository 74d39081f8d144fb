namespace Microsoft.ML.Explainability;

/// <summary>The tensors fed to a session do not match what the model expects (name, element type or shape).</summary>
public sealed class InputMismatchException : ExplainabilityException
{
    /// <summary>Creates the exception with a message.</summary>
    public InputMismatchException(string message) : base(message) { }

    /// <summary>Creates the exception for one named model input (missing, unknown, wrong element type, shape or rows).</summary>
    public InputMismatchException(string message, string inputName) : base(message)
    {
        InputName = inputName;
    }

    /// <summary>The model input the mismatch is about, or null when it is not about one input.</summary>
    public string? InputName { get; }
}
