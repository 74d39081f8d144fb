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

/// <summary>Where a non-finite value appeared (see <see cref="NonFiniteResultException"/>).</summary>
public enum ComputationStage
{
    /// <summary>An output of the model's forward pass (for example logits that overflowed to NaN).</summary>
    ForwardOutput,

    /// <summary>A gradient computed by the backward graph.</summary>
    Gradient,

    /// <summary>A method's result: an attribution or CAM map.</summary>
    Map,
}

/// <summary>
/// A finite input produced NaN or ±Infinity: the model's output overflowed (a huge but finite input, weights that
/// overflow float32), a gradient did, or a method's map did. The explanation of that row would be meaningless, so
/// nothing is returned. <see cref="Row"/>, <see cref="Stage"/> and <see cref="Tensor"/> locate the first bad value.
/// Non-finite <em>inputs</em> are refused earlier, with <c>Attribution.NonFiniteInputException</c>.
/// </summary>
public sealed class NonFiniteResultException : ExplainabilityException
{
    /// <summary>Creates the exception for element <paramref name="index"/> of row <paramref name="row"/> of <paramref name="tensor"/>.</summary>
    public NonFiniteResultException(ComputationStage stage, string tensor, int row, int index, float value)
        : base($"Row {row}: the {StageText(stage)} '{tensor}' holds a non-finite value ({value}) at element {index} of the row, although the input is finite. " +
               "The model overflows float32 on this input (check its scale and normalisation); no explanation is returned for it.")
    {
        Stage = stage;
        Tensor = tensor;
        Row = row;
        Index = index;
    }

    /// <summary>The stage that produced the value.</summary>
    public ComputationStage Stage { get; }

    /// <summary>The tensor (model output, gradient's tensor, or map) holding it.</summary>
    public string Tensor { get; }

    /// <summary>The batch row.</summary>
    public int Row { get; }

    /// <summary>The position inside the row (row-major).</summary>
    public int Index { get; }

    /// <summary>Throws for the first NaN or ±Infinity in <paramref name="data"/>, rows of <paramref name="rowLength"/> elements.</summary>
    /// <param name="data">The values, row-major.</param>
    /// <param name="rowLength">Elements per row.</param>
    /// <param name="stage">The stage reported.</param>
    /// <param name="tensor">The tensor reported.</param>
    /// <param name="rowOffset">Added to the row number reported (for data holding a slice of the batch).</param>
    internal static void ThrowIfAny(ReadOnlySpan<float> data, int rowLength, ComputationStage stage, string tensor, int rowOffset = 0)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (!float.IsFinite(data[i]))
            {
                int length = Math.Max(1, rowLength);
                throw new NonFiniteResultException(stage, tensor, rowOffset + (i / length), i % length, data[i]);
            }
        }
    }

    private static string StageText(ComputationStage stage) => stage switch
    {
        ComputationStage.ForwardOutput => "forward output",
        ComputationStage.Gradient => "gradient of",
        _ => "map",
    };
}
