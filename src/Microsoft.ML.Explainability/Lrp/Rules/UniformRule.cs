using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// AttnLRP's rule for a matrix product of two run-time tensors z = A·B (Achtibat et al., "AttnLRP: Attention-Aware
/// Layer-Wise Relevance Propagation for Transformers", ICML 2024, Proposition 3.3: the ε-rule over the contributions
/// A_ik·B_kj, then the uniform rule on each bilinear contribution): with s = R_z / (2·stab_ε(z)),
/// R_A = A ⊙ (s·Bᵀ) and R_B = B ⊙ (Aᵀ·s), so each operand receives half of Σ z ⊙ R_z / stab_ε(z). An operand that
/// does not depend on the network input (a constant, or a tensor off the relevance path) receives none and the other
/// all (the plain ε-rule with that operand as weights). Applies to MatMul; the composites give it to MatMul nodes whose
/// right operand is not a constant (<see cref="Composites.LrpComposite.ProductRule"/>).
/// </summary>
public sealed class UniformRule : LrpRule
{
    /// <summary>Creates the rule.</summary>
    /// <param name="epsilon">The stabiliser ε ≥ 0.</param>
    public UniformRule(double epsilon = LrpRules.DefaultEpsilon)
    {
        Epsilon = CheckEpsilon(epsilon);
    }

    /// <summary>The stabiliser ε.</summary>
    public double Epsilon { get; }

    /// <summary>"Uniform(ε=…)".</summary>
    public override string Name => $"Uniform(ε={Format(Epsilon)})";

    /// <summary>True for MatMul.</summary>
    public override bool CanApplyTo(string opType) => opType == "MatMul";

    private protected override string Applicability => "it applies to MatMul (a product of two run-time tensors).";

    internal override void Propagate(GradientContext c, LrpGraphFacts facts) =>
        ProductOperands.Propagate(c, Name, Epsilon, c.NeedsInputGradient);
}
