namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>The table of true-gradient rules, one small function per operator, gathered from the rule families.</summary>
internal static class DefaultRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
        ActivationRules.Table
            .Concat(ElementwiseRules.Table)
            .Concat(LinearRules.Table)
            .Concat(ConvolutionRules.Table)
            .Concat(PoolingRules.Table)
            .Concat(NormalizationRules.Table)
            .Concat(ReductionRules.Table)
            .Concat(ShapeRules.Table)
            .Concat(ResizeRules.Table)
            .Concat(SecondOrderRules.Table);
}
