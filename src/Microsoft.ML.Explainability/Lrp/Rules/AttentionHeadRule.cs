using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// The AH-rule for attention heads (Ali et al. 2022, "XAI for Transformers: Better Explanations through Conservative
/// Propagation", §3, the rule of their conservative propagation CP-LRP): in the value product z = A·V the attention
/// probabilities A are treated as constants, so the head is linear in V and the ε-rule gives
/// R_V = V ⊙ Aᵀ·(R_z / stab_ε(z)) (Σ R_V = Σ z ⊙ R_z / stab_ε(z)); no relevance flows into A, hence none into the
/// softmax and the query–key product. An operand is attention when it is a Softmax output, possibly moved by
/// value-movement operators (Reshape, Transpose, Identity, Dropout, …). A MatMul of two run-time tensors neither of which
/// is attention is split as <see cref="UniformRule"/> splits it (AttnLRP's uniform ε-rule). Applies to MatMul; the
/// composites give it to MatMul nodes whose right operand is not a constant (<see cref="Composites.LrpComposite.ProductRule"/>).
/// </summary>
public sealed class AttentionHeadRule : LrpRule
{
    /// <summary>Creates the rule.</summary>
    /// <param name="epsilon">The stabiliser ε ≥ 0.</param>
    public AttentionHeadRule(double epsilon = LrpRules.DefaultEpsilon)
    {
        Epsilon = CheckEpsilon(epsilon);
    }

    /// <summary>The stabiliser ε.</summary>
    public double Epsilon { get; }

    /// <summary>"AttentionHead(ε=…)".</summary>
    public override string Name => $"AttentionHead(ε={Format(Epsilon)})";

    /// <summary>True for MatMul.</summary>
    public override bool CanApplyTo(string opType) => opType == "MatMul";

    private protected override string Applicability => "it applies to MatMul (attention probabilities times values).";

    internal override void Propagate(GradientContext c, LrpGraphFacts facts)
    {
        bool attention0 = facts.IsAttention(c.Input(0)), attention1 = facts.IsAttention(c.Input(1));
        if (attention0 && attention1)
        {
            throw new LrpRuleException(Name, c.OpType, c.NodeName,
                $"LRP rule {Name} cannot be applied to {c.Describe()}: both operands are attention probabilities, so it would pass no relevance. Assign LrpRules.Uniform() to this node.");
        }

        ProductOperands.Propagate(c, Name, Epsilon, i => c.NeedsInputGradient(i) && !(i == 0 ? attention0 : attention1));
    }
}
