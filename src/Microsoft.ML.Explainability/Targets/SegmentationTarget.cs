using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// Columns Σ_(i,j) mask_ij · y[:, c, i, j] of an [N, classes, H, W] output; see <see cref="ExplanationTargets.Segmentation"/>.
/// The row's class −1 picks the class with the largest masked sum. The score is linear in the logits, so its
/// explanation by any linear-in-the-seed method (gradients, the CAM gradients, LRP) is the sum of the masked pixels'.
/// </summary>
internal sealed class SegmentationTarget : ExplanationTarget
{
    private readonly FloatTensor _mask;

    public SegmentationTarget(FloatTensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Rank != 2)
        {
            throw new ExplanationTargetException(ExplanationTargets.Segmentation.Name, $"A segmentation mask is [H, W]; this one has shape {mask.ShapeText}.");
        }

        if (mask.Data.Any(v => !float.IsFinite(v)))
        {
            throw new ExplanationTargetException(ExplanationTargets.Segmentation.Name, "The segmentation mask holds NaN or ±Infinity.");
        }

        _mask = mask;
    }

    public override ExplanationTargetKind Kind => ExplanationTargets.Segmentation;

    internal override string EmitScores(TargetGraph graph)
    {
        var info = graph.OutputInfo;
        if (info.Rank != 4)
        {
            throw graph.Error("a segmentation target needs per-pixel class scores [N, classes, H, W].");
        }

        if (info.Shape[2] != _mask.Shape[0] || info.Shape[3] != _mask.Shape[1])
        {
            throw graph.Error($"the mask has shape {_mask.ShapeText}; it must be the output's spatial size [{info.Shape[2]}, {info.Shape[3]}].");
        }

        var g = graph.Emitter;
        var mask = g.Constant(TensorElementType.Float, _mask.Shape, _mask.Data.Select(v => (double)v).ToArray());
        var output = info.ElementType == TensorElementType.Float ? graph.Output : g.Cast(graph.Output, TensorElementType.Float);
        return g.ReduceSum(g.Mul(output, mask), [2, 3], keepDims: false);
    }
}
