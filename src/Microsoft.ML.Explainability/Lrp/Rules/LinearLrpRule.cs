using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// Base of the rules for linear layers z = F(x; W, b): Conv, ConvTranspose, Gemm (any transA, transB, alpha, beta)
/// and MatMul with a constant 2-D right operand. Weights and biases must be constants; a rule that needs them throws
/// an <see cref="LrpRuleException"/> naming the node otherwise.
/// </summary>
public abstract class LinearLrpRule : LrpRule
{
    private protected LinearLrpRule()
    {
    }

    /// <summary>True for Conv, ConvTranspose, Gemm and MatMul.</summary>
    public override bool CanApplyTo(string opType) => LrpOperatorTable.Is(opType, LrpOperatorKind.Linear);

    private protected override string Applicability => "it applies to linear layers (Conv, ConvTranspose, Gemm, MatMul with constant weights).";

    internal override void Propagate(GradientContext c, LrpGraphFacts facts)
    {
        var layer = LinearLayer.Of(c, Name, facts);
        c.SetInputGradient(0, Propagate(layer, c.OutputGradient(0)!));
    }

    /// <summary>Emits R_in for layer <paramref name="layer"/> given R_out <paramref name="relevance"/>.</summary>
    private protected abstract string Propagate(LinearLayer layer, string relevance);
}
