using System.Globalization;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// Columns s_c = Σⱼ pⱼ·(y_c − α·yⱼ) / (Σⱼ pⱼ + 1e-9), p = softmax(y), over the comparison classes j of c — the
/// <c>comparisons</c> classes other than c whose logits are closest to y_c (|yⱼ − y_c| ascending, ties by index: ONNX
/// TopK's order) — of a [N, classes] output; see <see cref="ExplanationTargets.Finer"/>. The gradient flows through p
/// as in the reference; the choice of j is piecewise constant. The one place of Finer-CAM's score
/// (<see cref="ExplanationMethods.FinerCam"/> is Grad-CAM of this target). A model with fewer classes than
/// comparisons + 1 compares with all the others.
/// </summary>
internal sealed class FinerTarget : ExplanationTarget
{
    public FinerTarget(double alpha, int comparisons)
    {
        if (!double.IsFinite(alpha))
        {
            throw new ExplanationTargetException(ExplanationTargets.Finer.Name, $"α must be finite; it is {alpha.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (comparisons < 1)
        {
            throw new ExplanationTargetException(ExplanationTargets.Finer.Name, $"Finer compares with at least one class; {comparisons} were asked.");
        }

        Alpha = alpha;
        Comparisons = comparisons;
    }

    public double Alpha { get; }

    public int Comparisons { get; }

    public override ExplanationTargetKind Kind => ExplanationTargets.Finer;

    internal override bool PredictsFromOutput => true;

    internal override string NotForRelevancePropagation => "the score weights logits by softmax probabilities, so it is not a sum of contributions to distribute";

    internal override string EmitScores(TargetGraph graph)
    {
        var info = graph.OutputInfo;
        if (info.Rank != 2 || info.Shape[1] < 2)
        {
            throw graph.Error("Finer compares a class with similar classes: it needs a [N, classes] output with at least 2 classes.");
        }

        int classes = checked((int)info.Shape[1]);
        int k = Math.Min(Comparisons, classes - 1);
        var g = graph.Emitter;
        var y = info.ElementType == TensorElementType.Float ? graph.Output : g.Cast(graph.Output, TensorElementType.Float);
        var p = g.Node("Softmax", [y], AttributeValue.Int("axis", -1));

        // [N, c, j]: the main class along axis 1, the compared class along axis 2.
        var main = g.Unsqueeze(y, [2]);
        var others = g.Unsqueeze(y, [1]);
        var distance = g.Node("Abs", [g.Sub(main, others)]);
        var self = g.Cast(g.Constant(TensorElementType.Int64, [classes, classes], Enumerable.Range(0, classes * classes).Select(i => i / classes == i % classes ? 1.0 : 0.0).ToArray()), TensorElementType.Bool);
        var candidates = g.Where(self, g.Scalar(double.PositiveInfinity), distance);
        var nearest = g.Node("TopK", [g.Neg(candidates), g.Int64s(k)], 2, AttributeValue.Int("axis", 2), AttributeValue.Int("largest", 1), AttributeValue.Int("sorted", 1))[1];
        var square = g.Shape(distance);
        var weights = g.Node("GatherElements", [g.Node("Expand", [g.Unsqueeze(p, [1]), square]), nearest], AttributeValue.Int("axis", 2));
        var compared = g.Node("GatherElements", [g.Node("Expand", [others, square]), nearest], AttributeValue.Int("axis", 2));
        var numerator = g.ReduceSum(g.Mul(weights, g.Sub(main, g.Mul(g.Scalar(Alpha), compared))), [2], keepDims: false);
        var denominator = g.Add(g.ReduceSum(weights, [2], keepDims: false), g.Scalar(1e-9));
        return g.Div(numerator, denominator);
    }
}
