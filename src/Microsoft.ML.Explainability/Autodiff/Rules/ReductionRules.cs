using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>
/// Backward rules of reductions. The reduced axes come from the <c>axes</c> attribute (ReduceMean, ReduceMax… below
/// opset 18) or input (ReduceSum from opset 13, the others from 18); an empty or absent list means every axis, or no
/// reduction at all (Y = X) when <c>noop_with_empty_axes</c> is 1. dY (and Y where needed) is first brought to the
/// keepdims shape, then broadcast against X.
/// </summary>
internal static class ReductionRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("ReduceSum", ReduceSum),
        new("ReduceMean", ReduceMean),
        new("ReduceMax", ReduceExtremum),
        new("ReduceMin", ReduceExtremum),
        new("ReduceL1", ReduceL1),
        new("ReduceL2", ReduceL2),
        new("ReduceSumSquare", ReduceSumSquare),
        new("ReduceLogSum", ReduceLogSum),
        new("ReduceLogSumExp", ReduceLogSumExp),
    ];

    /// <summary>Y = Σ X over the axes: dX = dY broadcast back to X's shape.</summary>
    public static void ReduceSum(GradientContext c)
    {
        var g = c.Graph;
        c.SetInputGradient(0, g.Node("Expand", [KeepDims(c, c.OutputGradient(0)!), g.Shape(c.Input(0))]));
    }

    /// <summary>Y = mean of X over the axes: dX = dY / n broadcast back to X's shape, n the number of elements averaged (numel(X) / numel(Y) when a reduced size changes with the batch).</summary>
    public static void ReduceMean(GradientContext c)
    {
        var g = c.Graph;
        var scaled = g.Div(KeepDims(c, c.OutputGradient(0)!), Count(c));
        c.SetInputGradient(0, g.Node("Expand", [scaled, g.Shape(c.Input(0))]));
    }

    /// <summary>
    /// Y = max (or min) of X over the axes: the gradient goes to the elements equal to the result; when several tie,
    /// it is split equally among them (dX = dY · [X = Y] / #ties), which is the average of the one-hot subgradients.
    /// </summary>
    public static void ReduceExtremum(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        if (ReducedAxes(c) is { Length: 0 })
        {
            c.SetInputGradient(0, dY);
            return;
        }

        var mask = g.Cast(g.Node("Equal", [c.Input(0), KeepDims(c, c.Output(0))]), c.ElementType);
        var ties = SumKeepDims(c, mask);
        c.SetInputGradient(0, g.Mul(mask, g.Div(KeepDims(c, dY), ties)));
    }

    /// <summary>Y = Σ |X|: dX = sign(X) · dY (0 at X = 0).</summary>
    public static void ReduceL1(GradientContext c)
    {
        var g = c.Graph;
        c.SetInputGradient(0, g.Mul(g.Node("Sign", [c.Input(0)]), KeepDims(c, c.OutputGradient(0)!)));
    }

    /// <summary>Y = √(Σ X²): dX = X / Y · dY, taken as 0 where Y = 0 (then X = 0 too).</summary>
    public static void ReduceL2(GradientContext c)
    {
        var g = c.Graph;
        var y = KeepDims(c, c.Output(0));
        var safe = g.Where(g.Node("Equal", [y, c.Scalar(0)]), c.Scalar(1), y);
        c.SetInputGradient(0, g.Mul(c.Input(0), g.Div(KeepDims(c, c.OutputGradient(0)!), safe)));
    }

    /// <summary>Y = Σ X²: dX = 2X · dY.</summary>
    public static void ReduceSumSquare(GradientContext c)
    {
        var g = c.Graph;
        c.SetInputGradient(0, g.Mul(g.Mul(c.Input(0), c.Scalar(2)), KeepDims(c, c.OutputGradient(0)!)));
    }

    /// <summary>Y = log Σ X: dX = dY / Σ X = dY / exp(Y), broadcast back to X's shape.</summary>
    public static void ReduceLogSum(GradientContext c)
    {
        var g = c.Graph;
        var scaled = g.Div(KeepDims(c, c.OutputGradient(0)!), g.Node("Exp", [KeepDims(c, c.Output(0))]));
        c.SetInputGradient(0, g.Node("Expand", [scaled, g.Shape(c.Input(0))]));
    }

    /// <summary>Y = log Σ exp X: dX = exp(X − Y) · dY (the softmax over the reduced axes).</summary>
    public static void ReduceLogSumExp(GradientContext c)
    {
        var g = c.Graph;
        var softmax = g.Node("Exp", [g.Sub(c.Input(0), KeepDims(c, c.Output(0)))]);
        c.SetInputGradient(0, g.Mul(softmax, KeepDims(c, c.OutputGradient(0)!)));
    }

    /// <summary>
    /// The reduced axes, normalised and sorted: empty for the identity (<c>noop_with_empty_axes</c> with no axes),
    /// every axis for an empty list otherwise, null when the axes input is computed at run time.
    /// </summary>
    private static long[]? ReducedAxes(GradientContext c)
    {
        int rank = c.InputInfo(0).Rank;
        long[]? axes;
        if (c.HasAttribute("axes"))
        {
            axes = c.Ints("axes")!;
        }
        else if (c.HasInput(1))
        {
            axes = c.ConstantInt64Input(1);
            if (axes is null)
            {
                return null;
            }
        }
        else
        {
            axes = [];
        }

        if (axes.Length == 0)
        {
            return c.Int("noop_with_empty_axes", 0) != 0 ? [] : Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        }

        return axes.Select(a => (long)ShapeRules.NormalizeAxis(c, a, rank)).Distinct().Order().ToArray();
    }

    /// <summary>Reshapes <paramref name="t"/> (shaped like Y) to the keepdims shape of the reduction (reduced axes kept with size 1).</summary>
    private static string KeepDims(GradientContext c, string t)
    {
        var g = c.Graph;
        if (c.Int("keepdims", 1) != 0)
        {
            return t;
        }

        return ReducedAxes(c) switch
        {
            { Length: 0 } => t,
            { } axes => g.Unsqueeze(t, axes),
            null => g.Reshape(t, g.Shape(SumKeepDims(c, c.Input(0)))),
        };
    }

    /// <summary>Σ <paramref name="t"/> (shaped like X) over the reduced axes, keeping them with size 1.</summary>
    private static string SumKeepDims(GradientContext c, string t)
    {
        var g = c.Graph;
        return ReducedAxes(c) switch
        {
            { Length: 0 } => t,
            { } axes => g.ReduceSum(t, axes, keepDims: true),
            null => g.Node("ReduceSum", [t, c.Input(1)], AttributeValue.Int("keepdims", 1), AttributeValue.Int("noop_with_empty_axes", c.Int("noop_with_empty_axes", 0))),
        };
    }

    /// <summary>The number of elements each output averages: a constant when the reduced sizes are fixed, numel(X) / numel(Y) otherwise.</summary>
    private static string Count(GradientContext c)
    {
        var g = c.Graph;
        var shape = c.InputInfo(0).Shape;
        if (ReducedAxes(c) is { } axes && axes.All(a => shape[(int)a] >= 0))
        {
            return c.Scalar(axes.Aggregate(1.0, (n, a) => n * shape[(int)a]));
        }

        var size = (string t) => g.Cast(g.Node("Size", [t]), c.ElementType);
        return g.Div(size(c.Input(0)), size(c.Output(0)));
    }
}
