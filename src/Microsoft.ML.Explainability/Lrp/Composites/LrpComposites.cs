using Microsoft.ML.Explainability.Lrp.Rules;

namespace Microsoft.ML.Explainability.Lrp.Composites;

/// <summary>
/// The named LRP composites, declared once: the ML.NET estimators, the command line's <c>--composite</c> and the
/// explanation compiler enumerate <see cref="All"/>. Add a composite as a factory on <see cref="LrpComposite"/> and
/// one line here.
/// </summary>
public static class LrpComposites
{
    /// <summary>Zennit's EpsilonPlus: convolutions z⁺, dense layers ε (Montavon et al. 2019; Kohlbrenner et al. 2020).</summary>
    public static readonly LrpCompositeDescriptor EpsilonPlus = new("epsilon-plus", "convolutions z+, dense layers epsilon", false, s => LrpComposite.EpsilonPlus(s.Epsilon ?? LrpRules.DefaultEpsilon));

    /// <summary>Zennit's EpsilonAlpha2Beta1: convolutions α2β1, dense layers ε (Bach et al. 2015).</summary>
    public static readonly LrpCompositeDescriptor EpsilonAlpha2Beta1 = new("epsilon-alpha2-beta1", "convolutions alpha2-beta1, dense layers epsilon", false, s => LrpComposite.EpsilonAlpha2Beta1(s.Epsilon ?? LrpRules.DefaultEpsilon));

    /// <summary>Zennit's EpsilonGammaBox: first layer z^B within the input's bounds, convolutions γ, dense layers ε (Montavon et al. 2017, 2019).</summary>
    public static readonly LrpCompositeDescriptor EpsilonGammaBox = new("epsilon-gamma-box", "first layer zB within the input bounds, convolutions gamma, dense layers epsilon", true, s => LrpComposite.EpsilonGammaBox(s.Low!, s.High!, s.Epsilon ?? LrpRules.DefaultEpsilon));

    /// <summary>Zennit's EpsilonPlusFlat: first layer flat, convolutions z⁺, dense layers ε (Lapuschkin et al. 2019).</summary>
    public static readonly LrpCompositeDescriptor EpsilonPlusFlat = new("epsilon-plus-flat", "first layer flat, convolutions z+, dense layers epsilon", false, s => LrpComposite.EpsilonPlusFlat(s.Epsilon ?? LrpRules.DefaultEpsilon));

    /// <summary>LRP-ε on every linear layer (Bach et al. 2015).</summary>
    public static readonly LrpCompositeDescriptor Epsilon = new("epsilon", "epsilon on every linear layer", false, s => LrpComposite.Epsilon(s.Epsilon ?? LrpRules.DefaultEpsilon));

    /// <summary>
    /// Vision-transformer LRP (Ali et al., ICML 2022; Achtibat et al., AttnLRP, ICML 2024): ε on every weighted layer, the
    /// LN-rule, attention as a constant in A·V (AH-rule), AttnLRP's Softmax rule.
    /// </summary>
    public static readonly LrpCompositeDescriptor Transformer = new("transformer", "vision transformers: epsilon, LN-rule, attention as constant, AttnLRP softmax", false, s => LrpComposite.Transformer(s.Epsilon ?? LrpRules.DefaultEpsilon));

    /// <summary>AttnLRP (Achtibat et al., ICML 2024): as <see cref="Transformer"/> with the uniform rule on every product of two run-time tensors.</summary>
    public static readonly LrpCompositeDescriptor AttnLrp = new("attn-lrp", "AttnLRP: transformer rules with the uniform rule on every product", false, s => LrpComposite.AttnLrp(s.Epsilon ?? LrpRules.DefaultEpsilon));

    /// <summary>Every named composite, in help order.</summary>
    public static IReadOnlyList<LrpCompositeDescriptor> All { get; } = [EpsilonPlus, EpsilonAlpha2Beta1, EpsilonGammaBox, EpsilonPlusFlat, Epsilon, Transformer, AttnLrp];

    /// <summary>The composite named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No composite has that name; the message lists the names.</exception>
    public static LrpCompositeDescriptor Find(string name) =>
        All.FirstOrDefault(c => string.Equals(c.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown LRP composite '{name}'. Composites: {string.Join(", ", All.Select(c => c.Name))}.", nameof(name));
}
