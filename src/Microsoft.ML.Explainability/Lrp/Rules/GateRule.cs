using Microsoft.ML.Explainability.Autodiff;

namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// Gate, for a product y = x ⊙ g of a feature map x by a gate g: squeeze-excitation (g = Sigmoid/HardSigmoid(…)
/// broadcast over space, MobileNetV3, EfficientNet, RegNetY) and gated activations written as products (SiLU x·σ(x),
/// GELU x·Φ(x) as exported with Erf, HardSwish x·HardSigmoid(x)). The gate is treated as a constant, so y is linear in x
/// and the ε-rule gives R_x = x·g·R/stab(x·g) = R_out: all relevance goes to the feature map, none to the gate branch.
/// This is the "signal-take-all" treatment of multiplicative gates in the LRP literature (Arras et al. 2017,
/// "Explaining Recurrent Neural Network Predictions in Sentiment Analysis", for LSTM gates; Ali et al. 2022, "XAI for
/// Transformers: Better Explanations through Conservative Propagation", for gating and attention), and for gated
/// activations it equals Zennit's Pass on the SiLU/GELU/Hardswish module. (Zennit itself leaves a functional product
/// to autograd, which scales the relevance by the gate and so does not conserve it.)
/// The gate is, in this order: the input computed element-wise from the other input (gated activations); the input
/// produced by Sigmoid or HardSigmoid; the input broadcast to the output's shape. A Mul by a constant passes relevance
/// to its data input. The feature map must have the output's shape.
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
        else if (facts.IsElementwiseFunctionOf(c.Input(1), c.Input(0)) != facts.IsElementwiseFunctionOf(c.Input(0), c.Input(1)))
        {
            feature = facts.IsElementwiseFunctionOf(c.Input(1), c.Input(0)) ? 0 : 1;
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
