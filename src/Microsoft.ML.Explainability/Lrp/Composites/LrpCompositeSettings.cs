namespace Microsoft.ML.Explainability.Lrp.Composites;

/// <summary>The parameters a named composite of <see cref="LrpComposites"/> may read.</summary>
public sealed class LrpCompositeSettings
{
    /// <summary>ε of the ε rules (null: the composite's default, 1e-6).</summary>
    public double? Epsilon { get; init; }

    /// <summary>The lowest input value l (one, or one per channel) for the z^B rule of <see cref="LrpComposites.EpsilonGammaBox"/>.</summary>
    public IReadOnlyList<double>? Low { get; init; }

    /// <summary>The highest input value h (one, or one per channel) for the z^B rule.</summary>
    public IReadOnlyList<double>? High { get; init; }
}
