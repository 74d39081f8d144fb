namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// An input row holds NaN or ±Infinity. Gradients and maps of such rows would be NaN everywhere (NaN propagates
/// through every convolution, and ReLU(NaN) is NaN in ONNX Runtime), so explainers refuse them instead of returning
/// silent NaN maps. <see cref="ArgumentException.ParamName"/> names the argument; <see cref="Row"/> and
/// <see cref="Index"/> locate the first bad value.
/// </summary>
public sealed class NonFiniteInputException : ArgumentException
{
    /// <summary>Creates the exception for element <paramref name="index"/> of batch row <paramref name="row"/>.</summary>
    public NonFiniteInputException(string paramName, int row, int index, float value)
        : base($"Input row {row} holds a non-finite value ({value}) at element {index} of the row; explanations need finite inputs.", paramName)
    {
        Row = row;
        Index = index;
    }

    /// <summary>The batch row holding the first non-finite value.</summary>
    public int Row { get; }

    /// <summary>The position of that value inside its row (row-major).</summary>
    public int Index { get; }
}
