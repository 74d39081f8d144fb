using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Grad-CAM++ (Chattopadhay et al. 2018) in pytorch-grad-cam's closed form: αᵏᵢⱼ = G² / (2G² + (Σᵢⱼ Aᵏ)·G³ + 1e-6),
/// α = 0 where G = 0, and where the denominator is exactly 0 it is replaced by 1 (so α stays finite);
/// wₖ = Σᵢⱼ ReLU(Gᵏᵢⱼ)·αᵏᵢⱼ, map = Σₖ wₖAᵏ.
/// </summary>
internal sealed class GradCamPlusPlusWeighting : CamWeighting
{
    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map) =>
        WeightedSum(a, Weights(a, g, channels, cells), channels, cells, map);

    /// <summary>wₖ = Σᵢⱼ ReLU(Gᵏᵢⱼ)·αᵏᵢⱼ.</summary>
    internal static double[] Weights(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells)
    {
        var weights = new double[channels];
        for (int k = 0; k < channels; k++)
        {
            double sumA = 0;
            for (int p = k * cells; p < (k + 1) * cells; p++)
            {
                sumA += a[p];
            }

            double w = 0;
            for (int p = k * cells; p < (k + 1) * cells; p++)
            {
                double d = g[p];
                if (d == 0)
                {
                    continue;
                }

                double g2 = d * d;
                double denominator = (2 * g2) + (sumA * g2 * d) + 1e-6;
                double alpha = g2 / (denominator == 0 ? 1 : denominator);
                w += Math.Max(d, 0) * alpha;
            }

            weights[k] = w;
        }

        return weights;
    }

    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients)
    {
        var g2 = g.Mul(gradients, gradients);
        var g3 = g.Mul(g2, gradients);
        var sumA = g.ReduceSum(activations, [2, 3], keepDims: true);
        var denominator = g.Add(g.Add(g.Mul(g.Scalar(2), g2), g.Mul(sumA, g3)), g.Scalar(1e-6));
        var zero = g.Scalar(0);
        var safe = g.Where(g.Node("Equal", [denominator, zero]), g.Scalar(1), denominator);
        var alpha = g.Where(g.Node("Equal", [gradients, zero]), zero, g.Div(g2, safe));
        var weights = g.ReduceSum(g.Mul(g.Node("Relu", [gradients]), alpha), [2, 3], keepDims: true);
        return EmitWeightedSum(g, weights, activations);
    }
}
