namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// An explanation target does not fit the model or the request: an unknown kind, an output of the wrong shape, a
/// parameter (mask, box, concept) of the wrong size or missing, or a row the target has no score for (a detector row
/// without a box matching the reference). The message names the target kind and what was expected.
/// </summary>
public sealed class ExplanationTargetException : ExplainabilityException
{
    /// <summary>Creates the exception.</summary>
    public ExplanationTargetException(string kind, string message) : base(message) => Kind = kind;

    /// <summary>The target kind's name (as given, when it is unknown).</summary>
    public string Kind { get; }
}
