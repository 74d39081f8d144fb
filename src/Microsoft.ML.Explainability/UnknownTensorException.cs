namespace Microsoft.ML.Explainability;

/// <summary>A tensor name that the model does not contain.</summary>
public class UnknownTensorException : ExplainabilityException
{
    /// <summary>Creates the exception for <paramref name="tensorName"/>.</summary>
    public UnknownTensorException(string tensorName, string message) : base(message) => TensorName = tensorName;

    /// <summary>The name that was not found.</summary>
    public string TensorName { get; }
}
