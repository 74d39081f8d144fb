using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>LayerCAM (Jiang et al. 2021): map = Σₖ ReLU(Gᵏ) ⊙ Aᵏ.</summary>
internal sealed class LayerCamWeighting : CamWeighting
{
    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map) =>
        ElementWiseSum(a, g, channels, cells, map, static (x, d) => Math.Max(d, 0) * x);

    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients) =>
        g.ReduceSum(g.Mul(g.Node("Relu", [gradients]), activations), [1], keepDims: false);
}
