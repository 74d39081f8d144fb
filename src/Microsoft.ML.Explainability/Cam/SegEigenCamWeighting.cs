using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Seg-Eigen-CAM (Chung &amp; Ying, "Seg-Eigen-CAM: Eigen-Value-Based Visual Explanations for Semantic Segmentation
/// Models", Applied Sciences 15(13), 7562, 2025), as pytorch-grad-cam's <c>SegEigenCAM</c>: the element-wise weighted
/// activations W = |G| ⊙ A (Eq. 10: local, pixel-wise gradient weighting that keeps negative gradients' magnitude) are
/// projected on their first principal component (Eq. 11–12: (h·w)×C matrix, NaN set to 0, centred columns, first right
/// singular vector), and the projection is flipped when |min| &gt; |max| (Eq. 13, pytorch-grad-cam's
/// <c>get_2d_projection_with_sign_correction</c>, the same rule as <see cref="ComponentSign"/>). Class-dependent through G.
/// The map is already a projection, so <see cref="CamWeighting.EigenSmooth"/> does not apply (the reference ignores it).
/// </summary>
internal sealed class SegEigenCamWeighting : CamWeighting
{
    public override bool SupportsEigenSmooth => false;

    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map)
    {
        var weighted = new double[channels * cells];
        for (int i = 0; i < weighted.Length; i++)
        {
            weighted[i] = Math.Abs((double)g[i]) * a[i];
        }

        EigenCamWeighting.Project(weighted, channels, cells, map);
    }

    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients) =>
        EigenCamWeighting.EmitProjection(g, g.Mul(g.Node("Abs", [gradients]), activations));
}
