namespace Microsoft.ML.Explainability;

/// <summary>Base class of every exception this library throws on purpose.</summary>
public class ExplainabilityException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public ExplainabilityException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public ExplainabilityException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The bytes, file or stream given are not a usable ONNX model (not protobuf, truncated, no graph, unsafe external data, unsupported opset).</summary>
public class InvalidOnnxModelException : ExplainabilityException
{
    /// <summary>Creates the exception with a message.</summary>
    public InvalidOnnxModelException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public InvalidOnnxModelException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A tensor name that the model does not contain.</summary>
public class UnknownTensorException : ExplainabilityException
{
    /// <summary>Creates the exception for <paramref name="tensorName"/>.</summary>
    public UnknownTensorException(string tensorName, string message) : base(message) => TensorName = tensorName;

    /// <summary>The name that was not found.</summary>
    public string TensorName { get; }
}

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

/// <summary>An operator on the differentiated path has no backward rule in the registry in use.</summary>
public sealed class UnsupportedOperatorException : GradientException
{
    /// <summary>Creates the exception for one node.</summary>
    public UnsupportedOperatorException(string opType, string nodeName, string domain, IEnumerable<string> supported)
        : base($"Operator '{(string.IsNullOrEmpty(domain) ? "" : domain + ".")}{opType}' (node '{nodeName}') lies on the differentiated path " +
               $"but has no backward rule. Supported operators: {string.Join(", ", supported.OrderBy(s => s, StringComparer.Ordinal))}. " +
               "Register a rule with GradientRuleRegistry.WithOperatorRule to differentiate it.")
    {
        OpType = opType;
        NodeName = nodeName;
    }

    /// <summary>The operator type that has no rule.</summary>
    public string OpType { get; }

    /// <summary>The node's name.</summary>
    public string NodeName { get; }
}

/// <summary>The tensors fed to a session do not match what the model expects (name, element type or shape).</summary>
public sealed class InputMismatchException : ExplainabilityException
{
    /// <summary>Creates the exception with a message.</summary>
    public InputMismatchException(string message) : base(message) { }
}
