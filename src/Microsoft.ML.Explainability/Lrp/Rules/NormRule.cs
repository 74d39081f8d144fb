using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Autodiff.Rules;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Lrp.Rules;

/// <summary>
/// Norm (Zennit's Norm: the ε-rule with W the operator itself, stabiliser 1e-6): relevance is split in proportion to
/// each input's contribution. For sums y = Σₖ aₖ (Add, Sum; Sub as a + (−b)), s = R_out / stab(y) and
/// R_aₖ = aₖ ⊙ s (summed over the axes aₖ was broadcast along); constant inputs (biases) receive none, so the
/// relevance they absorb is lost, as in the ε-rule. For average pooling, R_in = x ⊙ Pᵀ(R_out / stab(P(x))) with P
/// the window sum (a depthwise convolution with ones, same geometry); for GlobalAveragePool, ReduceMean and ReduceSum
/// over axes A, R_in = x ⊙ R_out / stab(Σ_A x) (broadcast back over A; the 1/|A| of a mean cancels between the
/// contribution x/|A| and the output Σx/|A|). Mean (the element-wise mean of k tensors) splits as a sum of aₖ/k.
/// Source: Zennit's <c>Norm</c> rule (zennit.rules.Norm), which its composites assign to <c>Sum</c> and average pooling.
/// </summary>
public sealed class NormRule : LrpRule
{
    /// <summary>"Norm".</summary>
    public override string Name => "Norm";

    /// <summary>True for the <see cref="LrpOperatorKind.Sum"/> and <see cref="LrpOperatorKind.MeanPooling"/> operators (Add, Sum, Sub, Mean, AveragePool, GlobalAveragePool, ReduceMean, ReduceSum).</summary>
    public override bool CanApplyTo(string opType) => LrpOperatorTable.Is(opType, LrpOperatorKind.Sum, LrpOperatorKind.MeanPooling);

    private protected override string Applicability => "it applies to Add, Sum, Sub, Mean, AveragePool, GlobalAveragePool, ReduceMean and ReduceSum.";

    internal override void Propagate(GradientContext c, LrpGraphFacts facts)
    {
        switch (c.OpType)
        {
            case "GlobalAveragePool":
                GlobalAveragePool(c);
                break;
            case "AveragePool":
                AveragePool(c);
                break;
            case "ReduceMean" or "ReduceSum":
                Reduce(c);
                break;
            default:
                Sum(c);
                break;
        }
    }

    private static void Sum(GradientContext c)
    {
        var g = c.Graph;
        var s = g.Div(c.OutputGradient(0)!, Stabilizer.Apply(c, c.Output(0), LrpRules.DefaultEpsilon));
        var outShape = c.OutputInfo(0).Shape;
        for (int i = 0; i < c.InputCount; i++)
        {
            if (!c.HasInput(i) || !c.NeedsInputGradient(i))
            {
                continue;
            }

            var contribution = c.OpType == "Sub" && i == 1 ? g.Neg(c.Input(i))
                : c.OpType == "Mean" ? g.Div(c.Input(i), c.Scalar(c.InputCount))
                : c.Input(i);
            c.SetInputGradient(i, g.ReduceToShape(g.Mul(contribution, s), outShape, c.Input(i), c.InputInfo(i).Shape));
        }
    }

    private static void GlobalAveragePool(GradientContext c)
    {
        var g = c.Graph;
        var x = c.Input(0);
        var axes = Enumerable.Range(2, c.InputInfo(0).Rank - 2).Select(a => (long)a).ToArray();
        var total = g.ReduceSum(x, axes, keepDims: true);
        var s = g.Div(c.OutputGradient(0)!, Stabilizer.Apply(c, total, LrpRules.DefaultEpsilon));
        c.SetInputGradient(0, g.Mul(x, s));
    }

    private static void Reduce(GradientContext c)
    {
        var g = c.Graph;
        var x = c.Input(0);
        int rank = c.InputInfo(0).Rank;
        var axes = c.HasInput(1) ? c.ConstantInt64Input(1) : c.Ints("axes");
        if (c.HasInput(1) && axes is null)
        {
            throw new LrpRuleException("Norm", c.OpType, c.NodeName, $"LRP rule Norm cannot be applied to {c.Describe()}: its axes (input 1) are not a constant.");
        }

        if (axes is null || axes.Length == 0)
        {
            if (c.Int("noop_with_empty_axes", 0) != 0)
            {
                c.SetInputGradient(0, c.OutputGradient(0)!);
                return;
            }

            axes = Enumerable.Range(0, rank).Select(a => (long)a).ToArray();
        }

        var normalized = axes.Select(a => a < 0 ? a + rank : a).Order().ToArray();
        var total = g.ReduceSum(x, normalized, keepDims: true);
        var r = c.OutputGradient(0)!;
        if (c.Int("keepdims", 1) == 0)
        {
            r = g.Unsqueeze(r, normalized);
        }

        var s = g.Div(r, Stabilizer.Apply(c, total, LrpRules.DefaultEpsilon));
        c.SetInputGradient(0, g.Mul(x, s));
    }

    private static void AveragePool(GradientContext c)
    {
        var g = c.Graph;
        var x = c.InputInfo(0);
        var y = c.OutputInfo(0);
        var inputSpatial = x.Shape.Skip(2).ToArray();
        var outputSpatial = y.Shape.Skip(2).ToArray();
        if (inputSpatial.Concat(outputSpatial).Append(x.Shape[1]).Any(d => d < 0))
        {
            throw new LrpRuleException("Norm", c.OpType, c.NodeName, $"LRP rule Norm cannot be applied to {c.Describe()}: its channel and spatial sizes must not depend on the batch.");
        }

        var kernel = c.Ints("kernel_shape") ?? throw c.Unsupported("the kernel_shape attribute is missing.");
        var geometry = ConvolutionGeometry.Of(c, kernel, inputSpatial);
        int r = kernel.Length;

        // ceil_mode windows may run past the end padding: pad the end further with zeros (they add nothing to a sum).
        var padsEnd = Enumerable.Range(0, r)
            .Select(a => Math.Max(geometry.PadsEnd[a], ((outputSpatial[a] - 1) * geometry.Strides[a]) + (geometry.Dilations[a] * (kernel[a] - 1)) + 1 - inputSpatial[a] - geometry.PadsBegin[a]))
            .ToArray();
        long channels = x.Shape[1];
        var ones = g.Constant(c.ElementType, [channels, 1, .. kernel], Enumerable.Repeat(1.0, checked((int)(channels * kernel.Aggregate(1L, (a, k) => a * k)))).ToArray());
        var sum = g.Node("Conv", [c.Input(0), ones],
            AttributeValue.Ints("kernel_shape", kernel),
            AttributeValue.Ints("strides", geometry.Strides),
            AttributeValue.Ints("dilations", geometry.Dilations),
            AttributeValue.Ints("pads", [.. geometry.PadsBegin, .. padsEnd]),
            AttributeValue.Int("group", channels));
        var s = g.Div(c.OutputGradient(0)!, Stabilizer.Apply(c, sum, LrpRules.DefaultEpsilon));
        var outputPadding = Enumerable.Range(0, r)
            .Select(a => inputSpatial[a] + geometry.PadsBegin[a] + padsEnd[a] - (geometry.Strides[a] * (outputSpatial[a] - 1)) - (geometry.Dilations[a] * (kernel[a] - 1)) - 1)
            .ToArray();
        var spread = g.Node("ConvTranspose", [s, ones],
            AttributeValue.Ints("kernel_shape", kernel),
            AttributeValue.Ints("strides", geometry.Strides),
            AttributeValue.Ints("dilations", geometry.Dilations),
            AttributeValue.Ints("pads", [.. geometry.PadsBegin, .. padsEnd]),
            AttributeValue.Ints("output_padding", outputPadding),
            AttributeValue.Int("group", channels));
        c.SetInputGradient(0, g.Mul(c.Input(0), spread));
    }
}
