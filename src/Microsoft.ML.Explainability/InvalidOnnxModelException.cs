namespace Microsoft.ML.Explainability;

/// <summary>The bytes, file or stream given are not a usable ONNX model (not protobuf, truncated, no graph, unsafe external data, unsupported opset).</summary>
public class InvalidOnnxModelException : ExplainabilityException
{
    /// <summary>Creates the exception with a message.</summary>
    public InvalidOnnxModelException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public InvalidOnnxModelException(string message, Exception innerException) : base(message, innerException) { }
}
