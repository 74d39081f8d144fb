using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>XGrad-CAM (Fu et al. 2020): wₖ = Σᵢⱼ Aᵏᵢⱼ·Gᵏᵢⱼ / (Σᵢⱼ Aᵏᵢⱼ + 1e-7), map = Σₖ wₖAᵏ.</summary>
internal sealed class XGradCamWeighting : CamWeighting
{
    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map)
    {
        var weights = new double[channels];
        for (int k = 0; k < channels; k++)
        {
            double sumA = 0, sumAG = 0;
            for (int p = k * cells; p < (k + 1) * cells; p++)
            {
                sumA += a[p];
                sumAG += (double)a[p] * g[p];
            }

            weights[k] = sumAG / (sumA + 1e-7);
        }

        WeightedSum(a, weights, channels, cells, map);
    }

    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients)
    {
        var numerator = g.ReduceSum(g.Mul(activations, gradients), [2, 3], keepDims: true);
        var denominator = g.Add(g.ReduceSum(activations, [2, 3], keepDims: true), g.Scalar(1e-7));
        return EmitWeightedSum(g, g.Div(numerator, denominator), activations);
    }
}
