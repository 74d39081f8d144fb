using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// The LN-rule for LayerNormalization y = γ ⊙ (x − μ)/σ + β over the normalised axes (Ali et al. 2022, "XAI for
/// Transformers: Better Explanations through Conservative Propagation", §3; AttnLRP, Achtibat et al. 2024, uses the same
/// treatment): the standard deviation σ is treated as a constant, so the layer is affine in x with the Jacobian
/// J = diag(γ)·(I − 11ᵀ/C)/σ (C the number of normalised elements), and the ε-rule of that affine layer gives
/// R_x = x ⊙ Jᵀ·(R_y / stab_ε(y)) = x ⊙ (G − mean(G))/σ, with G = γ ⊙ R_y / stab_ε(y).
/// Then Σ R_x = Σ (y − β) ⊙ R_y / stab_ε(y): the shift β absorbs its share, as a linear layer's bias does, and no
/// relevance flows into σ (nor into γ, β). This is the identity rule on 1/σ and γ combined with the ε-rule on the
/// mean subtraction x − μ, which LXT computes by differentiating the layer with σ detached.
/// </summary>
public sealed class LayerNormRule : LrpRule
{
    /// <summary>Creates the rule.</summary>
    /// <param name="epsilon">The stabiliser ε ≥ 0 of stab_ε(y) (not LayerNormalization's own ε inside σ).</param>
    public LayerNormRule(double epsilon = LrpRules.DefaultEpsilon)
    {
        Epsilon = CheckEpsilon(epsilon);
    }

    /// <summary>The stabiliser ε.</summary>
    public double Epsilon { get; }

    /// <summary>"LayerNorm(ε=…)".</summary>
    public override string Name => $"LayerNorm(ε={Format(Epsilon)})";

    /// <summary>True for LayerNormalization.</summary>
    public override bool CanApplyTo(string opType) => opType == "LayerNormalization";

    private protected override string Applicability => "it applies to LayerNormalization.";

    internal override void Propagate(GradientContext c, LrpGraphFacts facts)
    {
        if (!c.NeedsInputGradient(0) || Enumerable.Range(1, c.InputCount - 1).Any(c.NeedsInputGradient))
        {
            throw new LrpRuleException(Name, c.OpType, c.NodeName,
                $"LRP rule {Name} cannot be applied to {c.Describe()}: relevance must flow into its data input only; its scale and bias must not depend on the network input.");
        }

        int rank = c.InputInfo(0).Rank;
        long axis = c.Int("axis", -1);
        if (axis < -rank || axis >= rank)
        {
            throw new LrpRuleException(Name, c.OpType, c.NodeName, $"LRP rule {Name} cannot be applied to {c.Describe()}: axis {axis} is out of range for rank {rank}.");
        }

        if (axis < 0)
        {
            axis += rank;
        }

        var axes = Enumerable.Range((int)axis, rank - (int)axis).Select(a => (long)a).ToArray();
        var g = c.Graph;
        var x = c.Input(0);

        // 1/σ recomputed as the forward computes it (σ = √(var + ε_LN)); a constant of the rule.
        var centred = g.Sub(x, g.ReduceMean(x, axes, keepDims: true));
        var variance = g.ReduceMean(g.Mul(centred, centred), axes, keepDims: true);
        var inverseStd = g.Node("Reciprocal", [g.Node("Sqrt", [g.Add(variance, c.Scalar(c.Float("epsilon", 1e-5f)))])]);
        var ratio = g.Div(c.OutputGradient(0)!, Stabilizer.Apply(c, c.Output(0), Epsilon));
        var scaled = g.Mul(ratio, c.Input(1));
        var transposed = g.Mul(g.Sub(scaled, g.ReduceMean(scaled, axes, keepDims: true)), inverseStd);
        c.SetInputGradient(0, g.Mul(x, transposed));
    }
}
