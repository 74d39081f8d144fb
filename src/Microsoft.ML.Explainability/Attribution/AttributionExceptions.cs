namespace Microsoft.ML.Explainability.Attribution;

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

/// <summary>
/// A tensor exists but cannot serve as a CAM target layer: it has no spatial grid (rank-4 [N, C, h, w] with
/// h·w &gt; 1, or tokens [N, T, C] whose last T − prefix tokens form a grid).
/// </summary>
public sealed class TargetLayerException : ExplainabilityException
{
    /// <summary>Creates the exception for <paramref name="layer"/> of shape <paramref name="shapeText"/>.</summary>
    public TargetLayerException(string layer, string shapeText, string reason)
        : base($"Tensor '{layer}' of shape {shapeText} cannot be a CAM target layer: {reason}")
    {
        Layer = layer;
        ShapeText = shapeText;
    }

    /// <summary>The tensor name.</summary>
    public string Layer { get; }

    /// <summary>Its shape, "N" for the batch dimension.</summary>
    public string ShapeText { get; }
}
