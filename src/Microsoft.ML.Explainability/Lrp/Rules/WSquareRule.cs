namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// LRP-w² (Zennit's WSquare): weights → W², bias → b² (as Zennit, which squares every parameter), input → 1, and no
/// input factor: z = F(1; W², b²), R_in = Fᵀ(R_out / stab(z); W²) (stabiliser 1e-6).
/// </summary>
public sealed class WSquareRule : LinearLrpRule
{
    /// <summary>"WSquare".</summary>
    public override string Name => "WSquare";

    private protected override string Propagate(LinearLayer layer, string relevance)
    {
        var squares = layer.MapWeights(w => w * w);
        var z = layer.Forward(layer.InputLikeConstant([1.0], Name), squares, layer.MapBias(b => b * b));
        return layer.Transposed(layer.Ratio(relevance, z, LrpRules.DefaultEpsilon), squares);
    }
}
