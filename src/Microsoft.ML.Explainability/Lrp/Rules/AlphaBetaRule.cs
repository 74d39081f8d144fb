namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// LRP-αβ with α − β = 1 (Zennit's generalised AlphaBeta): with z_α = W⁺x⁺ + W⁻x⁻ + b⁺ and
/// z_β = W⁻x⁺ + W⁺x⁻ + b⁻, s_α = R_out / stab(z_α), s_β = R_out / stab(z_β),
/// R_in = α·(x⁺ ⊙ W⁺ᵀs_α + x⁻ ⊙ W⁻ᵀs_α) − β·(x⁺ ⊙ W⁻ᵀs_β + x⁻ ⊙ W⁺ᵀs_β) (stabiliser 1e-6).
/// α1β0 is z⁺; α2β1 is the usual choice for convolutions.
/// </summary>
public sealed class AlphaBetaRule : LinearLrpRule
{
    /// <summary>Creates the rule.</summary>
    /// <param name="alpha">α ≥ 1, the weight of positive contributions.</param>
    /// <param name="beta">β = α − 1 ≥ 0, the weight of negative contributions.</param>
    /// <exception cref="ArgumentOutOfRangeException">α or β is negative, or α − β ≠ 1.</exception>
    public AlphaBetaRule(double alpha = 2, double beta = 1)
    {
        if (!(alpha >= 0) || !(beta >= 0) || Math.Abs(alpha - beta - 1) > 1e-12)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), $"α = {alpha}, β = {beta}: both must be non-negative with α − β = 1.");
        }

        Alpha = alpha;
        Beta = beta;
    }

    /// <summary>α, the weight of positive contributions.</summary>
    public double Alpha { get; }

    /// <summary>β, the weight of negative contributions.</summary>
    public double Beta { get; }

    /// <summary>"AlphaBeta(α=…, β=…)".</summary>
    public override string Name => $"AlphaBeta(α={Format(Alpha)}, β={Format(Beta)})";

    private protected override string Propagate(LinearLayer layer, string relevance)
    {
        var wPlus = layer.MapWeights(w => Math.Max(w, 0));
        var wMinus = layer.MapWeights(w => Math.Min(w, 0));
        var result = Part(layer, relevance, wPlus, wMinus, layer.MapBias(b => Math.Max(b, 0)), Alpha);
        if (Beta != 0)
        {
            result = layer.Graph.Sub(result, Part(layer, relevance, wMinus, wPlus, layer.MapBias(b => Math.Min(b, 0)), Beta));
        }

        return result;
    }

    /// <summary>
    /// weight·(x⁺ ⊙ W₁ᵀs + x⁻ ⊙ W₂ᵀs) with s = R / stab(W₁x⁺ + W₂x⁻ + b).
    /// </summary>
    private static string Part(LinearLayer layer, string relevance, double[] onPositive, double[] onNegative, double[]? bias, double weight)
    {
        var g = layer.Graph;
        var z = layer.Forward(layer.PositiveInput, onPositive, bias);
        if (!layer.InputIsNonNegative)
        {
            z = g.Add(z, layer.Forward(layer.NegativeInput, onNegative, null));
        }

        var s = layer.Ratio(relevance, z, LrpRules.DefaultEpsilon);
        var r = g.Mul(layer.PositiveInput, layer.Transposed(s, onPositive));
        if (!layer.InputIsNonNegative)
        {
            r = g.Add(r, g.Mul(layer.NegativeInput, layer.Transposed(s, onNegative)));
        }

        return weight == 1 ? r : g.Mul(r, layer.Context.Scalar(weight));
    }
}
