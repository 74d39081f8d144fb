namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// LRP-flat (Zennit's Flat): weights → 1, bias → 0, input → 1, and no input factor: z = F(1; 1),
/// R_in = Fᵀ(R_out / stab(z); 1) (stabiliser 1e-6), so each output's relevance is spread uniformly over its
/// receptive field.
/// </summary>
public sealed class FlatRule : LinearLrpRule
{
    /// <summary>"Flat".</summary>
    public override string Name => "Flat";

    private protected override string Propagate(LinearLayer layer, string relevance)
    {
        var ones = layer.MapWeights(_ => 1);
        var z = layer.Forward(layer.InputLikeConstant([1.0], Name), ones, null);
        return layer.Transposed(layer.Ratio(relevance, z, LrpRules.DefaultEpsilon), ones);
    }
}
