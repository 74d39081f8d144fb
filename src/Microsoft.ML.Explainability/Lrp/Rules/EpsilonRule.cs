namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// LRP-ε: R_in = x ⊙ Wᵀ·(R_out / stab_ε(z)) with z = Wx + b the layer's own output and
/// stab_ε(z) = z + ε·sign(z), sign(0) = +1. ε → 0 gives LRP-0, which on a ReLU network equals input × gradient.
/// </summary>
public sealed class EpsilonRule : LinearLrpRule
{
    /// <summary>Creates the rule.</summary>
    /// <param name="epsilon">The stabiliser ε ≥ 0 (default <see cref="LrpRules.DefaultEpsilon"/>).</param>
    public EpsilonRule(double epsilon = LrpRules.DefaultEpsilon)
    {
        Epsilon = CheckEpsilon(epsilon);
    }

    /// <summary>The stabiliser ε.</summary>
    public double Epsilon { get; }

    /// <summary>"Epsilon(ε=…)".</summary>
    public override string Name => $"Epsilon(ε={Format(Epsilon)})";

    private protected override string Propagate(LinearLayer layer, string relevance)
    {
        var s = layer.Ratio(relevance, layer.Output, Epsilon);
        return layer.Graph.Mul(layer.Input, layer.Transposed(s, layer.Weights));
    }
}
