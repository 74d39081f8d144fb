using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Runtime;

/// <summary>What to differentiate: the seeded output, the tensors whose gradients are wanted, and the rules used.</summary>
public sealed class GradientRequest
{
    /// <summary>The tensor the seed gradient flows into, usually the logits output.</summary>
    public required string Output { get; init; }

    /// <summary>How the seed is given. Default <see cref="SeedKind.OneHotTarget"/>.</summary>
    public SeedKind Seed { get; init; } = SeedKind.OneHotTarget;

    /// <summary>Tensors whose gradients are returned: model inputs and/or intermediate activations.</summary>
    public required IReadOnlyList<string> WithRespectTo { get; init; }

    /// <summary>
    /// Hessian-vector products of the seeded score also returned (see <see cref="HessianVectorProduct"/>), each with
    /// respect to a tensor also listed in <see cref="WithRespectTo"/>. Empty by default (first order only).
    /// </summary>
    public IReadOnlyList<HessianVectorProduct> HessianVectorProducts { get; init; } = [];

    /// <summary>Forward tensors also returned (for example a layer's activations for Grad-CAM).</summary>
    public IReadOnlyList<string> Activations { get; init; } = [];

    /// <summary>The backward rules; <see cref="GradientRuleRegistry.Default"/> gives true gradients.</summary>
    public GradientRuleRegistry Rules { get; init; } = GradientRuleRegistry.Default;

    /// <summary>Sizes of symbolic non-batch input dimensions (for models exported with dynamic height/width).</summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>
    /// The shapes of <see cref="GradientModel.Prepare"/>(model) already measured with
    /// <see cref="Onnx.ShapeProbe.Run"/> (and the same <see cref="InputShapes"/>), for callers that probed them already;
    /// null (the default) makes <see cref="GradientModel.Build"/> measure them (two ONNX Runtime runs with every
    /// intermediate tensor exposed).
    /// </summary>
    public Onnx.ModelShapes? Shapes { get; init; }
}
