using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// Columns [−y, +y] of a single-value output ([N] or [N, 1]); see <see cref="ExplanationTargets.Binary"/>. Class −1
/// takes the larger column, +y whenever y &gt; 0: a logit's decision, and always class 1 for a sigmoid probability (as
/// pytorch-grad-cam's default target, which explains the single output itself); give the class to explain class 0.
/// </summary>
internal sealed class BinaryTarget : ExplanationTarget
{
    public override ExplanationTargetKind Kind => ExplanationTargets.Binary;

    internal override string NotForRelevancePropagation => "class 0 explains −y, which LRP's relevance (a share of the output) cannot start from (explain class 1's logit with the class-logit target)";

    internal override string EmitScores(TargetGraph graph)
    {
        var info = graph.OutputInfo;
        if (info.Rank == 0 || info.Shape.Skip(1).Any(d => d != 1))
        {
            throw graph.Error("a binary target needs one value per row ([N] or [N, 1]); use the class-logit or softmax target for several classes.");
        }

        var g = graph.Emitter;
        var y = g.Node("Flatten", [graph.Output], AttributeValue.Int("axis", 1));
        return g.Node("Concat", [g.Neg(y), y], AttributeValue.Int("axis", 1));
    }
}
