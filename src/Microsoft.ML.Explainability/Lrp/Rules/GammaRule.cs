namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// LRP-γ (Zennit's generalised Gamma): W↑ = W + γW⁺, W↓ = W + γW⁻, b↑ = b + γb⁺, b↓ = b + γb⁻. Outputs with
/// z = Wx + b &gt; 0 use z↑ = W↑x⁺ + W↓x⁻ + b↑, s↑ = R_out·[z &gt; 0] / stab(z↑); outputs with z &lt; 0 use
/// z↓ = W↓x⁺ + W↑x⁻ + b↓, s↓ = R_out·[z &lt; 0] / stab(z↓);
/// R_in = x⁺ ⊙ (W↑ᵀs↑ + W↓ᵀs↓) + x⁻ ⊙ (W↓ᵀs↑ + W↑ᵀs↓) (stabiliser 1e-6; outputs exactly 0 pass nothing).
/// </summary>
public sealed class GammaRule : LinearLrpRule
{
    /// <summary>Creates the rule.</summary>
    /// <param name="gamma">γ ≥ 0 (0.25 in Zennit's EpsilonGammaBox).</param>
    public GammaRule(double gamma = 0.25)
    {
        if (!(gamma >= 0) || double.IsInfinity(gamma))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must be finite and non-negative.");
        }

        Gamma = gamma;
    }

    /// <summary>γ.</summary>
    public double Gamma { get; }

    /// <summary>"Gamma(γ=…)".</summary>
    public override string Name => $"Gamma(γ={Format(Gamma)})";

    private protected override string Propagate(LinearLayer layer, string relevance)
    {
        var g = layer.Graph;
        var c = layer.Context;
        double gamma = Gamma;
        var up = layer.MapWeights(w => w + (gamma * Math.Max(w, 0)));
        var down = layer.MapWeights(w => w + (gamma * Math.Min(w, 0)));
        var upBias = layer.MapBias(b => b + (gamma * Math.Max(b, 0)));
        var downBias = layer.MapBias(b => b + (gamma * Math.Min(b, 0)));
        bool nonNegative = layer.InputIsNonNegative;

        string Z(double[] onPositive, double[] onNegative, double[]? bias)
        {
            var z = layer.Forward(layer.PositiveInput, onPositive, bias);
            return nonNegative ? z : g.Add(z, layer.Forward(layer.NegativeInput, onNegative, null));
        }

        var positiveMask = g.Cast(g.Node("Greater", [layer.Output, c.Scalar(0)]), c.ElementType);
        var negativeMask = g.Cast(g.Node("Less", [layer.Output, c.Scalar(0)]), c.ElementType);
        var sUp = layer.Ratio(g.Mul(relevance, positiveMask), Z(up, down, upBias), LrpRules.DefaultEpsilon);
        var sDown = layer.Ratio(g.Mul(relevance, negativeMask), Z(down, up, downBias), LrpRules.DefaultEpsilon);
        var onPositiveInputs = g.Mul(layer.PositiveInput, g.Add(layer.Transposed(sUp, up), layer.Transposed(sDown, down)));
        if (nonNegative)
        {
            return onPositiveInputs;
        }

        return g.Add(onPositiveInputs, g.Mul(layer.NegativeInput, g.Add(layer.Transposed(sUp, down), layer.Transposed(sDown, up))));
    }
}
