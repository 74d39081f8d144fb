namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of reductions.</summary>
internal static class ReductionRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table => [];
}
