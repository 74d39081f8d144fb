using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// Gate, for a product y = x ⊙ g of a feature map x by a gate g (squeeze-excitation: g = Sigmoid/HardSigmoid(…),
/// broadcast over space; also HardSwish written as x·HardSigmoid(x)): the gate is treated as a constant, so y is
/// linear in x and the ε-rule gives R_x = x·g·R/stab(x·g) = R_out. All relevance goes to the feature map, none to the
/// gate branch. The gate is the input produced by Sigmoid or HardSigmoid, else the one broadcast to the output's shape;
/// the feature map must have the output's shape.
/// </summary>
public sealed class GateRule : LrpRule
{
    /// <summary>"Gate".</summary>
    public override string Name => "Gate";

    /// <summary>True for Mul.</summary>
    public override bool CanApplyTo(string opType) => opType == "Mul";

    private protected override string Applicability => "it applies to Mul (a feature map times a gate).";

    internal override void Propagate(GradientContext c, LrpGraphFacts facts)
    {
        var outShape = c.OutputInfo(0).Shape;
        bool IsGate(int i) => facts.ProducerOp(c.Input(i)) is "Sigmoid" or "HardSigmoid";
        bool FullShape(int i) => c.InputInfo(i).Shape.SequenceEqual(outShape);
        int feature;
        if (!c.NeedsInputGradient(0) || !c.NeedsInputGradient(1))
        {
            feature = c.NeedsInputGradient(0) ? 0 : 1;
        }
        else if (IsGate(0) != IsGate(1))
        {
            feature = IsGate(0) ? 1 : 0;
        }
        else if (FullShape(0) != FullShape(1))
        {
            feature = FullShape(0) ? 0 : 1;
        }
        else
        {
            throw new LrpRuleException(Name, c.OpType, c.NodeName,
                $"LRP rule Gate cannot tell the gate from the feature map in {c.Describe()}: neither or both inputs come from a Sigmoid/HardSigmoid and neither or both are broadcast. Assign another rule to this node.");
        }

        if (!FullShape(feature))
        {
            throw new LrpRuleException(Name, c.OpType, c.NodeName,
                $"LRP rule Gate cannot be applied to {c.Describe()}: the feature map (input {feature}) has shape {c.InputInfo(feature).ShapeText}, the output {c.OutputInfo(0).ShapeText}.");
        }

        c.SetInputGradient(feature, c.OutputGradient(0)!);
    }
}
