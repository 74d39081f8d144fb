using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// Pass: R_in = R_out for the node's one relevance-carrying input, which must have the output's shape. The default of
/// the <see cref="LrpOperatorKind.Activation"/>, <see cref="LrpOperatorKind.Normalisation"/> and
/// <see cref="LrpOperatorKind.Scaling"/> operators of <see cref="LrpOperatorTable"/> (Zennit's <c>Pass</c> on
/// activations: Relu, Clip/ReLU6, Sigmoid, HardSigmoid, HardSwish, Gelu, …); also applicable to a Mul, Add or Sub by a constant (for a linear y = a·x the ε-rule gives
/// x·a·R/stab(a·x) = R up to the stabiliser). A Div passes relevance to its numerator; a data-dependent denominator,
/// such as the standard deviation of a LayerNorm exported as (x − mean)/√(var + ε), is treated as a constant (Ali et
/// al. 2022, "XAI for Transformers: Better Explanations through Conservative Propagation").
/// </summary>
public sealed class PassRule : LrpRule
{
    /// <summary>"Pass".</summary>
    public override string Name => "Pass";

    /// <summary>True for element-wise activations, normalisations, Identity, Dropout, and Mul/Div/Add/Sub (by a constant).</summary>
    public override bool CanApplyTo(string opType) =>
        LrpOperatorTable.Is(opType, LrpOperatorKind.Activation, LrpOperatorKind.Normalisation, LrpOperatorKind.Scaling) || opType is "Mul" or "Add" or "Sub";

    private protected override string Applicability => "it applies to element-wise activations, normalisations, Identity, Dropout, and Mul/Div/Add/Sub by a constant.";

    internal override void Propagate(GradientContext c, LrpGraphFacts facts)
    {
        var needed = Enumerable.Range(0, c.InputCount).Where(c.NeedsInputGradient).ToArray();

        // Activations, Clip, PRelu and normalisations carry relevance through their data input only. A Div carries it
        // through its numerator: a data-dependent denominator (the standard deviation of a LayerNorm written out as
        // (x − mean) / √(var + ε)) is treated as a constant, as Ali et al. (2022) treat LayerNorm's scale.
        if (c.OpType is not ("Mul" or "Add" or "Sub"))
        {
            needed = needed.Where(i => i == 0).ToArray();
        }

        if (needed.Length != 1 || (c.OpType == "Div" && needed[0] != 0))
        {
            throw new LrpRuleException(Name, c.OpType, c.NodeName,
                $"LRP rule Pass cannot be applied to {c.Describe()}: relevance must flow into exactly one data input (a {c.OpType} by a constant), but the network input reaches inputs [{string.Join(", ", needed)}]. Use Norm for sums or Gate for gated products.");
        }

        int i = needed[0];
        var inShape = c.InputInfo(i).Shape;
        var outShape = c.OutputInfo(0).Shape;
        if (!inShape.SequenceEqual(outShape))
        {
            throw new LrpRuleException(Name, c.OpType, c.NodeName,
                $"LRP rule Pass cannot be applied to {c.Describe()}: input {i} has shape {c.InputInfo(i).ShapeText} but the output {c.OutputInfo(0).ShapeText}.");
        }

        var r = c.OutputGradient(0)!;
        c.SetInputGradient(i, c.OpType == "Sub" && i == 1 ? c.Graph.Neg(r) : r);
    }
}
