using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>HiResCAM (Draelos &amp; Carin 2020): map = Σₖ Gᵏ ⊙ Aᵏ.</summary>
internal sealed class HiResCamWeighting : CamWeighting
{
    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map) =>
        ElementWiseSum(a, g, channels, cells, map, static (x, d) => x * d);

    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients) =>
        g.ReduceSum(g.Mul(gradients, activations), [1], keepDims: false);
}
