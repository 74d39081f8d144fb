using System.Globalization;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// One column: Σ over reference boxes r of [IoU(r, b_k) &gt; t ∧ label_k = label_r]·(IoU(r, b_k) + score_k), with
/// k = argmax_k IoU(r, b_k) (the first on ties), IoU as torchvision's <c>box_iou</c> (corners x1, y1, x2, y2); see
/// <see cref="ExplanationTargets.DetectorBoxes"/>. The outputs are boxes [N, K, 4], scores [N, K] and labels [N, K]
/// (int or float), or [K, 4], [K], [K] for a detector that takes one image (then N = 1). The IoU is differentiated
/// too (through the matched box's coordinates), as in the reference; the match itself (arg-max, threshold, label) is
/// piecewise constant. A row where no reference box is matched scores 0 and would have an all-zero explanation:
/// it is refused (<see cref="ExplanationTargetException"/>) rather than returned silently.
/// </summary>
internal sealed class DetectorBoxTarget : ExplanationTarget
{
    private readonly IReadOnlyList<ReferenceBox> _boxes;
    private readonly double _threshold;
    private readonly (string Boxes, string Scores, string Labels) _outputs;

    public DetectorBoxTarget(IReadOnlyList<ReferenceBox> boxes, double threshold, (string Boxes, string Scores, string Labels) outputs)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        var name = ExplanationTargets.DetectorBoxes.Name;
        if (boxes.Count == 0)
        {
            throw new ExplanationTargetException(name, "A detector target needs at least one reference box.");
        }

        foreach (var b in boxes)
        {
            if (!(float.IsFinite(b.X1) && float.IsFinite(b.Y1) && float.IsFinite(b.X2) && float.IsFinite(b.Y2)) || b.X2 <= b.X1 || b.Y2 <= b.Y1)
            {
                throw new ExplanationTargetException(name, $"Reference box {Text(b)} is not a box: it needs finite corners with x2 > x1 and y2 > y1.");
            }
        }

        if (!double.IsFinite(threshold) || threshold < 0 || threshold >= 1)
        {
            throw new ExplanationTargetException(name, $"The IoU threshold must lie in [0, 1); it is {threshold.ToString(CultureInfo.InvariantCulture)}.");
        }

        _boxes = boxes;
        _threshold = threshold;
        _outputs = outputs;
    }

    public override ExplanationTargetKind Kind => ExplanationTargets.DetectorBoxes;

    internal override string NotForRelevancePropagation => "the score adds IoUs, ratios of box areas, which are not sums of contributions to distribute";

    internal override string EmitScores(TargetGraph graph)
    {
        var boxesInfo = graph.Require(_outputs.Boxes);
        var scoresInfo = graph.Require(_outputs.Scores);
        var labelsInfo = graph.Require(_outputs.Labels);
        bool batched = boxesInfo.Rank == 3;
        if (boxesInfo.Rank is not (2 or 3) || boxesInfo.Shape[^1] != 4 || scoresInfo.Rank != boxesInfo.Rank - 1 || labelsInfo.Rank != scoresInfo.Rank || !scoresInfo.IsFloatingPoint)
        {
            throw new ExplanationTargetException(Name, $"Target '{Name}' needs boxes [N, K, 4] (or [K, 4]), float scores [N, K] (or [K]) and labels of the scores' shape; outputs '{_outputs.Boxes}' {boxesInfo.ShapeText}, '{_outputs.Scores}' {scoresInfo.ShapeText} ({scoresInfo.ElementType}), '{_outputs.Labels}' {labelsInfo.ShapeText}.");
        }

        var g = graph.Emitter;
        string Float(string t, TensorInfo info) => info.ElementType == TensorElementType.Float ? t : g.Cast(t, TensorElementType.Float);
        var boxes = Float(_outputs.Boxes, boxesInfo);
        var scores = Float(_outputs.Scores, scoresInfo);
        var labels = labelsInfo.ElementType == TensorElementType.Int64 ? _outputs.Labels : g.Cast(_outputs.Labels, TensorElementType.Int64);
        if (!batched)
        {
            (boxes, scores, labels) = (g.Unsqueeze(boxes, [0]), g.Unsqueeze(scores, [0]), g.Unsqueeze(labels, [0]));
        }

        // Detections along the last axis, references along axis 1: every pair is [N, M, K].
        var corners = g.Node("Split", [g.Transpose(boxes, [0, 2, 1])], 4, AttributeValue.Int("axis", 1));
        var (bx1, by1, bx2, by2) = (corners[0], corners[1], corners[2], corners[3]);
        int m = _boxes.Count;
        string Column(Func<ReferenceBox, double> value) => g.Constant(TensorElementType.Float, [m, 1], _boxes.Select(value).ToArray());
        var (rx1, ry1, rx2, ry2) = (Column(b => b.X1), Column(b => b.Y1), Column(b => b.X2), Column(b => b.Y2));
        var referenceArea = Column(b => ((double)b.X2 - b.X1) * ((double)b.Y2 - b.Y1));
        var referenceLabels = g.Constant(TensorElementType.Int64, [m, 1], _boxes.Select(b => (double)b.Label).ToArray());

        var width = g.Node("Relu", [g.Sub(g.Node("Min", [rx2, bx2]), g.Node("Max", [rx1, bx1]))]);
        var height = g.Node("Relu", [g.Sub(g.Node("Min", [ry2, by2]), g.Node("Max", [ry1, by1]))]);
        var intersection = g.Mul(width, height);
        var detectionArea = g.Mul(g.Sub(bx2, bx1), g.Sub(by2, by1));
        var iou = g.Div(intersection, g.Sub(g.Add(referenceArea, detectionArea), intersection));

        var best = g.Node("ArgMax", [iou], AttributeValue.Int("axis", 2), AttributeValue.Int("keepdims", 1));
        var bestIou = g.Node("GatherElements", [iou, best], AttributeValue.Int("axis", 2));
        var shape = g.Shape(iou);
        var bestScore = g.Node("GatherElements", [g.Node("Expand", [g.Unsqueeze(scores, [1]), shape]), best], AttributeValue.Int("axis", 2));
        var bestLabel = g.Node("GatherElements", [g.Node("Expand", [g.Unsqueeze(labels, [1]), shape]), best], AttributeValue.Int("axis", 2));
        var matched = g.Node("And", [g.Node("Greater", [bestIou, g.Scalar(_threshold)]), g.Node("Equal", [bestLabel, referenceLabels])]);
        var perReference = g.Where(matched, g.Add(bestIou, bestScore), g.ZerosLike(bestIou));
        return g.ReduceSum(perReference, [1], keepDims: false);
    }

    internal override void Check(Explanation explanation)
    {
        var scores = explanation.TargetScores;
        for (int r = 0; scores is not null && r < scores.Length; r++)
        {
            if (scores[r] == 0)
            {
                throw new ExplanationTargetException(Name, $"Row {r}: no detection matches the reference box(es) {string.Join(", ", _boxes.Select(Text))} (largest IoU not above {_threshold.ToString(CultureInfo.InvariantCulture)}, or its label differs). The target score is 0 and its explanation would be all zeros (pytorch-grad-cam returns that zero map silently).");
            }
        }
    }

    private static string Text(ReferenceBox b) => string.Create(CultureInfo.InvariantCulture, $"[{b.X1}, {b.Y1}, {b.X2}, {b.Y2}] label {b.Label}");
}
