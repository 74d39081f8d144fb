using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// The operator's true gradient (from <see cref="GradientRuleRegistry.Default"/>): the default of the
/// <see cref="LrpOperatorKind.Movement"/> operators of <see cref="LrpOperatorTable"/> (Flatten, Reshape, Transpose,
/// Concat, Split, Slice, Gather, Pad, …), whose relevance moves with its value so Σ R is conserved, and of the
/// <see cref="LrpOperatorKind.WinnerTakeAll"/> ones (MaxPool: relevance to the winner). Any other differentiable
/// operator may be given this rule explicitly.
/// </summary>
public sealed class TrueGradientRule : LrpRule
{
    /// <summary>"Gradient".</summary>
    public override string Name => "Gradient";

    /// <summary>True for every operator the engine can differentiate.</summary>
    public override bool CanApplyTo(string opType) => GradientRuleRegistry.Default.ForOperator(opType) is not null;

    private protected override string Applicability => "the engine has no gradient for this operator.";

    internal override void Propagate(GradientContext c, LrpGraphFacts facts) =>
        GradientRuleRegistry.Default.ForOperator(c.OpType)!(c);
}
