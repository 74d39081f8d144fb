using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// RefineCAM (pytorch-grad-cam's <c>RefineCAM</c>, arXiv:2605.14641) with its default base method, Grad-CAM++
/// (<see cref="GradCamPlusPlusWeighting"/>): every target layer's map is computed as a single-layer Grad-CAM++ returns
/// it (ReLU, min-max, resize to the input, ReLU, min-max), the maps are multiplied cell by cell over the layers, and the
/// product is min-max normalised (<see cref="LayerAggregation.Product"/>). A cell survives only where every layer sees
/// evidence, which denoises early layers' maps with the later layers'. The reference's per-layer
/// ReLU and division by (max + 1e-8) before the product rebinds a loop variable and changes nothing, so it is not
/// reproduced. Meant for several target layers; with one it is Grad-CAM++ normalised once more (equal up to the 1e-7
/// of the last min-max).
/// </summary>
internal sealed class RefineCamWeighting : CamWeighting
{
    private static readonly GradCamPlusPlusWeighting BaseForm = new();

    public override LayerAggregation Aggregation => LayerAggregation.Product;

    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map) =>
        WeightedSum(a, GradCamPlusPlusWeighting.Weights(a, g, channels, cells), channels, cells, map);

    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients) =>
        BaseForm.EmitRawMap(g, activations, gradients);
}
