using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Targets;

/// <summary>Columns softmax(y) of a [N, classes] output; see <see cref="ExplanationTargets.Softmax"/>.</summary>
internal sealed class SoftmaxTarget : ExplanationTarget
{
    public override ExplanationTargetKind Kind => ExplanationTargets.Softmax;

    internal override string NotForRelevancePropagation => "a softmax probability is not a sum of contributions to distribute (explain the class logit with LRP)";

    internal override string EmitScores(TargetGraph graph)
    {
        if (graph.OutputInfo.Rank != 2)
        {
            throw graph.Error("a softmax over classes needs a [N, classes] output.");
        }

        return graph.Emitter.Node("Softmax", [graph.Output], AttributeValue.Int("axis", -1));
    }
}
