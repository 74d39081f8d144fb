namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// LRP-z^B (Zennit's ZBox) for inputs bounded by l ≤ x ≤ h, usually the first layer on pixels:
/// z = Wx − W⁺l − W⁻h (the biases cancel), s = R_out / stab(z), R_in = x ⊙ Wᵀs − l ⊙ W⁺ᵀs − h ⊙ W⁻ᵀs
/// (stabiliser 1e-6). The bounds are scalars or one value per input channel (axis 1), in the units the model
/// receives (after its normalisation).
/// </summary>
public sealed class ZBoxRule : LinearLrpRule
{
    private readonly double[] _low;
    private readonly double[] _high;

    /// <summary>Creates the rule.</summary>
    /// <param name="low">The lowest input value l: one value, or one per channel.</param>
    /// <param name="high">The highest input value h: one value, or one per channel.</param>
    public ZBoxRule(IReadOnlyList<double> low, IReadOnlyList<double> high)
    {
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        if (low.Count == 0 || high.Count == 0 || low.Concat(high).Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException("The bounds must be non-empty and finite.", nameof(low));
        }

        _low = [.. low];
        _high = [.. high];
    }

    /// <summary>Creates the rule with scalar bounds.</summary>
    public ZBoxRule(double low, double high)
        : this([low], [high])
    {
    }

    /// <summary>The lower bound l (one value, or one per channel).</summary>
    public IReadOnlyList<double> Low => _low;

    /// <summary>The upper bound h (one value, or one per channel).</summary>
    public IReadOnlyList<double> High => _high;

    /// <summary>"ZBox".</summary>
    public override string Name => "ZBox";

    private protected override string Propagate(LinearLayer layer, string relevance)
    {
        var g = layer.Graph;
        var wPlus = layer.MapWeights(w => Math.Max(w, 0));
        var wMinus = layer.MapWeights(w => Math.Min(w, 0));
        var low = layer.InputLikeConstant(_low, Name);
        var high = layer.InputLikeConstant(_high, Name);
        var z = g.Sub(g.Sub(layer.Forward(layer.Input, layer.Weights, null), layer.Forward(low, wPlus, null)), layer.Forward(high, wMinus, null));
        var s = layer.Ratio(relevance, z, LrpRules.DefaultEpsilon);
        var r = g.Mul(layer.Input, layer.Transposed(s, layer.Weights));
        r = g.Sub(r, g.Mul(low, layer.Transposed(s, wPlus)));
        return g.Sub(r, g.Mul(high, layer.Transposed(s, wMinus)));
    }
}
