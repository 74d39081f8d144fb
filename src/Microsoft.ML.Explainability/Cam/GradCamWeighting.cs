using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>Grad-CAM (Selvaraju et al. 2017): wₖ = (1/hw)·Σᵢⱼ Gᵏᵢⱼ, map = Σₖ wₖAᵏ.</summary>
internal sealed class GradCamWeighting : CamWeighting
{
    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map) =>
        WeightedSum(a, Weights(g, channels, cells), channels, cells, map);

    /// <summary>wₖ = (1/hw)·Σᵢⱼ Gᵏᵢⱼ.</summary>
    internal static double[] Weights(ReadOnlySpan<float> g, int channels, int cells)
    {
        var weights = new double[channels];
        for (int k = 0; k < channels; k++)
        {
            double sum = 0;
            foreach (var v in g.Slice(k * cells, cells))
            {
                sum += v;
            }

            weights[k] = sum / cells;
        }

        return weights;
    }

    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients) =>
        EmitWeightedSum(g, g.ReduceMean(gradients, [2, 3], keepDims: true), activations);
}
