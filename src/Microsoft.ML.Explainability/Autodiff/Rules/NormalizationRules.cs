namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of normalisation layers.</summary>
internal static class NormalizationRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table => [];
}
