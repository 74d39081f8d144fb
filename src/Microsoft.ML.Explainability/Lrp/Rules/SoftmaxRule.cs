using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// AttnLRP's softmax rule (Achtibat et al., "AttnLRP: Attention-Aware Layer-Wise Relevance Propagation for
/// Transformers", ICML 2024, Proposition 3.1): the first-order Taylor decomposition of s = softmax(x) at x itself, with
/// the bias term kept apart, gives R_x = x ⊙ (R_s − s ⊙ Σ_axis R_s) along the softmax axis. It is not conservative by
/// construction: Σ R_x = Σ x ⊙ R_s − (Σ s ⊙ x)·Σ R_s, the rest is the decomposition's bias. Masked logits x = −∞
/// (attention masks) are taken as 0, so they get no relevance. Under <see cref="AttentionHeadRule"/> no relevance
/// reaches an attention softmax; the rule matters for products split by <see cref="UniformRule"/> (<see
/// cref="Composites.LrpComposite.AttnLrp"/>) and for a model that ends in a softmax.
/// </summary>
public sealed class SoftmaxRule : LrpRule
{
    /// <summary>"Softmax".</summary>
    public override string Name => "Softmax";

    /// <summary>True for Softmax.</summary>
    public override bool CanApplyTo(string opType) => opType == "Softmax";

    private protected override string Applicability => "it applies to Softmax.";

    internal override void Propagate(GradientContext c, LrpGraphFacts facts)
    {
        int rank = c.InputInfo(0).Rank;
        long axis = c.Int("axis", -1);
        if (axis < -rank || axis >= rank)
        {
            throw new LrpRuleException(Name, c.OpType, c.NodeName, $"LRP rule {Name} cannot be applied to {c.Describe()}: axis {axis} is out of range for rank {rank}.");
        }

        var g = c.Graph;
        var r = c.OutputGradient(0)!;
        var total = g.ReduceSum(r, [axis < 0 ? axis + rank : axis], keepDims: true);
        var x = c.Input(0);
        var finite = g.Where(g.Node("IsInf", [x], AttributeValue.Int("detect_positive", 0)), c.Scalar(0), x);
        c.SetInputGradient(0, g.Mul(finite, g.Sub(r, g.Mul(c.Output(0), total))));
    }
}
