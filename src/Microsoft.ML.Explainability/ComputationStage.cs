namespace Microsoft.ML.Explainability;

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
