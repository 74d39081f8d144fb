using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>Grad-CAM element-wise (pytorch-grad-cam): map = Σₖ ReLU(Gᵏ ⊙ Aᵏ).</summary>
internal sealed class GradCamElementWiseWeighting : CamWeighting
{
    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map) =>
        ElementWiseSum(a, g, channels, cells, map, static (x, d) => Math.Max(x * d, 0));

    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients) =>
        g.ReduceSum(g.Node("Relu", [g.Mul(gradients, activations)]), [1], keepDims: false);
}
