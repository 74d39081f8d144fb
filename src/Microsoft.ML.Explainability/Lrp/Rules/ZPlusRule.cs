namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// LRP-z⁺ (Zennit's ZPlus, equal to α1β0): positive contributions only,
/// z⁺ = W⁺x⁺ + b⁺ + W⁻x⁻, s = R_out / stab(z⁺), R_in = x⁺ ⊙ W⁺ᵀs + x⁻ ⊙ W⁻ᵀs
/// (W⁺ = max(W, 0), W⁻ = min(W, 0), likewise x and b; stabiliser 1e-6). When x is known to be non-negative
/// (after a ReLU) the x⁻ terms vanish and are not emitted.
/// </summary>
public sealed class ZPlusRule : LinearLrpRule
{
    /// <summary>"ZPlus".</summary>
    public override string Name => "ZPlus";

    private protected override string Propagate(LinearLayer layer, string relevance)
    {
        var g = layer.Graph;
        var wPlus = layer.MapWeights(w => Math.Max(w, 0));
        var bPlus = layer.MapBias(b => Math.Max(b, 0));
        var z = layer.Forward(layer.PositiveInput, wPlus, bPlus);
        if (layer.InputIsNonNegative)
        {
            // z⁺ is a sum of non-negative terms, so stab(z⁺) = z⁺ + ε.
            var sOnly = layer.RatioNonNegative(relevance, z, LrpRules.DefaultEpsilon);
            return g.Mul(layer.Input, layer.Transposed(sOnly, wPlus));
        }

        var wMinus = layer.MapWeights(w => Math.Min(w, 0));
        z = g.Add(z, layer.Forward(layer.NegativeInput, wMinus, null));
        var s = layer.RatioNonNegative(relevance, z, LrpRules.DefaultEpsilon);
        return g.Add(g.Mul(layer.PositiveInput, layer.Transposed(s, wPlus)), g.Mul(layer.NegativeInput, layer.Transposed(s, wMinus)));
    }
}
