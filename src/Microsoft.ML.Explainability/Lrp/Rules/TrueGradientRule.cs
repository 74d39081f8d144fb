using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// The operator's true gradient (from <see cref="GradientRuleRegistry.Default"/>), for ops that move values without
/// arithmetic (Flatten, Reshape, Transpose, Concat, Split, Slice, Gather, Pad, Squeeze, Unsqueeze, Identity, Expand,
/// Tile, Cast): relevance moves with its value, so Σ R is conserved; and for MaxPool/GlobalMaxPool, whose gradient is
/// winner-take-all. Any other operator may be given this rule explicitly.
/// </summary>
public sealed class TrueGradientRule : LrpRule
{
    internal static readonly IReadOnlySet<string> DefaultOperators = new HashSet<string>(StringComparer.Ordinal)
    {
        "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice", "Gather", "Pad", "Squeeze", "Unsqueeze",
        "Identity", "Expand", "Tile", "Cast", "Dropout", "MaxPool", "GlobalMaxPool",
    };

    /// <summary>"Gradient".</summary>
    public override string Name => "Gradient";

    /// <summary>True for every operator the engine can differentiate.</summary>
    public override bool CanApplyTo(string opType) => GradientRuleRegistry.Default.ForOperator(opType) is not null;

    private protected override string Applicability => "the engine has no gradient for this operator.";

    internal override void Propagate(GradientContext c, LrpGraphFacts facts) =>
        GradientRuleRegistry.Default.ForOperator(c.OpType)!(c);
}
