using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// FEM, the Feature Explanation Method (Fuad et al., "Features understanding in 3D CNNs for actions recognition in
/// video", IPTA 2020), as pytorch-grad-cam's <c>FEM</c>: per channel a k-sigma binary mask Bᵏ = [Aᵏ &gt; μₖ + k·σₖ]
/// (μ, σ the spatial mean and population standard deviation), wₖ = mean_ij Bᵏᵢⱼ; map = Σₖ wₖ Aᵏ. Class-independent,
/// no gradients. By Samuelson's inequality no cell of n can lie more than √(n − 1) population σ above the mean, so a grid
/// of n ≤ k² + 1 cells (2×2 for k = 2) gives an all-zero map in pytorch-grad-cam; we refuse such a layer instead.
/// </summary>
internal sealed class FemWeighting(double k) : CamWeighting
{
    public override bool SupportsEigenSmooth => false;

    public override bool UsesGradients => false;

    public override FloatTensor RawMaps(CamBatch batch)
    {
        CheckLayer(batch.Layer);
        return base.RawMaps(batch);
    }

    internal override void CheckLayer(TargetLayer layer)
    {
        int cells = layer.GridSize;
        if (cells <= (k * k) + 1)
        {
            throw new TargetLayerException(layer.Name, $"{layer.Height}×{layer.Width} grid", $"FEM's {k}-sigma masks need more than {(k * k) + 1} cells (no cell of {cells} can exceed the mean by {k} σ); choose an earlier layer");
        }
    }

    /// <summary>The same weights as ONNX nodes (float32 statistics: a cell flips only within rounding of its threshold).</summary>
    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients)
    {
        var x = g.Reshape(activations, g.Int64s(0, 0, -1));                  // [N, C, P]
        var mean = g.ReduceMean(x, [2], keepDims: true);
        var centred = g.Sub(x, mean);
        var sigma = g.Node("Sqrt", [g.ReduceMean(g.Mul(centred, centred), [2], keepDims: true)]);
        var threshold = g.Add(mean, g.Mul(g.Scalar(k), sigma));
        var above = g.Cast(g.Node("Greater", [x, threshold]), TensorElementType.Float);
        return EmitWeightedSum(g, g.Unsqueeze(g.ReduceMean(above, [2], keepDims: true), [3]), activations);
    }

    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map)
    {
        if (cells <= (k * k) + 1)
        {
            throw new ArgumentException($"FEM's {k}-sigma masks need more than {(k * k) + 1} cells per channel; got {cells}.", nameof(cells));
        }

        var weights = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            var ac = a.Slice(c * cells, cells);
            double mean = 0;
            foreach (var v in ac)
            {
                mean += v;
            }

            mean /= cells;
            double variance = 0;
            foreach (var v in ac)
            {
                variance += (v - mean) * (v - mean);
            }

            // NumPy computes the mean and std in float32 for float32 input; float64 here changes a cell only when it
            // lies within rounding of the threshold.
            double threshold = mean + (k * Math.Sqrt(variance / cells));
            int above = 0;
            foreach (var v in ac)
            {
                above += v > threshold ? 1 : 0;
            }

            weights[c] = (double)above / cells;
        }

        WeightedSum(a, weights, channels, cells, map);
    }
}
