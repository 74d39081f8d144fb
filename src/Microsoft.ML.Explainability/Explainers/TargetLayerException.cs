namespace Microsoft.ML.Explainability.Explainers;

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
