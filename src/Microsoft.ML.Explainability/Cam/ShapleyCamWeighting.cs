using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Shapley-CAM (Cai et al. 2025; pytorch-grad-cam's <c>ShapleyCAM</c>): wₖ = mean over space of (G − ½·H·A)ₖ
/// (<see cref="ShapleyCamWeights"/>), map = Σₖ wₖAᵏ. H·A comes from the same ONNX Runtime call as A and G: the engine
/// differentiates its own backward graph (reverse over reverse).
/// </summary>
internal sealed class ShapleyCamWeighting : CamWeighting
{
    public override bool UsesSecondOrder => true;

    /// <summary>Its maps need H·A from the model, so <see cref="CamMaps.Raw"/> cannot compute them from A and G alone.</summary>
    public override bool RunsModel => true;

    public override FloatTensor RawMaps(CamBatch batch)
    {
        int c = batch.Channels, row = c * batch.Height * batch.Width;
        var hessian = batch.HessianTimesActivations ?? throw new InvalidOperationException("Shapley-CAM needs the Hessian-vector product of the layer.");
        var gradients = batch.Gradients ?? throw new InvalidOperationException("Shapley-CAM needs the layer's gradients.");
        var weights = new double[batch.Rows * c];
        for (int r = 0; r < batch.Rows; r++)
        {
            var w = ShapleyCamWeights.Compute(batch.Activations.AsSpan(r * row, row), gradients.AsSpan(r * row, row), hessian.AsSpan(r * row, row), c);
            for (int k = 0; k < c; k++)
            {
                weights[(r * c) + k] = w[k];
            }
        }

        return WeightedSums(batch, weights);
    }

    /// <summary><see cref="ShapleyCamWeights"/> in the graph: wₖ = spatial mean of (G − ½·H·A)ₖ, map = Σₖ wₖAᵏ.</summary>
    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients, string hessianTimesActivations)
    {
        var taylor = g.Sub(gradients, g.Mul(g.Scalar(0.5), hessianTimesActivations));
        return EmitWeightedSum(g, g.ReduceMean(taylor, [2, 3], keepDims: true), activations);
    }
}
