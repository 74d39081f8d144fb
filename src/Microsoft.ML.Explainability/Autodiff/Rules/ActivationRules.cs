namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of pointwise activations. dY is the incoming gradient, X the input, Y the output.</summary>
internal static class ActivationRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("Relu", Relu),
        new("LeakyRelu", LeakyRelu),
        new("PRelu", PRelu),
        new("Sigmoid", Sigmoid),
        new("Tanh", Tanh),
        new("HardSigmoid", HardSigmoid),
        new("HardSwish", HardSwish),
        new("Clip", Clip),
        new("Erf", Erf),
        new("Gelu", Gelu),
        new("Softmax", Softmax),
        new("LogSoftmax", LogSoftmax),
        new("Exp", Exp),
        new("Log", Log),
        new("Sqrt", Sqrt),
        new("Neg", Neg),
        new("Abs", Abs),
        new("Reciprocal", Reciprocal),
    ];

    /// <summary>
    /// dX = dY where X &gt; 0, else 0 (the subgradient at 0 is 0, as in PyTorch). The mask is read from the output
    /// (Y &gt; 0 exactly where X &gt; 0) so that ONNX Runtime can still fuse Conv + ReLU in the forward pass, in the
    /// form <see cref="StepMasks"/> chooses.
    /// </summary>
    public static void Relu(GradientContext c) => c.SetInputGradient(0, StepMasks.TimesPositiveOutput(c, c.OutputGradient(0)!));

    /// <summary>Y = X for X ≥ 0, α·X otherwise (α default 0.01): dX = dY where X &gt; 0, else α·dY (slope α at 0, as in PyTorch).</summary>
    public static void LeakyRelu(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var positive = g.Node("Greater", [c.Input(0), c.Scalar(0)]);
        c.SetInputGradient(0, g.Where(positive, dY, g.Mul(dY, c.Scalar(c.Float("alpha", 0.01f)))));
    }

    /// <summary>
    /// Y = X for X ≥ 0, slope·X otherwise, slope broadcast to X: dX = dY where X &gt; 0, else slope·dY;
    /// dslope = X·dY where X ≤ 0, summed over the axes the slope was broadcast along.
    /// </summary>
    public static void PRelu(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var positive = g.Node("Greater", [c.Input(0), c.Scalar(0)]);
        if (c.NeedsInputGradient(0))
        {
            c.SetInputGradient(0, g.Where(positive, dY, g.Mul(dY, c.Input(1))));
        }

        if (c.NeedsInputGradient(1))
        {
            var atOutput = g.Where(positive, c.Scalar(0), g.Mul(dY, c.Input(0)));
            ElementwiseRules.SetReduced(c, 1, atOutput);
        }
    }

    /// <summary>dX = dY·Y·(1 − Y).</summary>
    public static void Sigmoid(GradientContext c)
    {
        var g = c.Graph;
        var y = c.Output(0);
        c.SetInputGradient(0, g.Mul(c.OutputGradient(0)!, g.Mul(y, g.Sub(c.Scalar(1), y))));
    }

    /// <summary>dX = dY·(1 − Y²).</summary>
    public static void Tanh(GradientContext c)
    {
        var g = c.Graph;
        var y = c.Output(0);
        c.SetInputGradient(0, g.Mul(c.OutputGradient(0)!, g.Sub(c.Scalar(1), g.Mul(y, y))));
    }

    /// <summary>
    /// Y = max(0, min(1, α·X + β)) (α default 0.2, β 0.5): dX = α·dY where 0 &lt; α·X + β &lt; 1, else 0
    /// (0 at both corners, where the output is saturated).
    /// </summary>
    public static void HardSigmoid(GradientContext c)
    {
        var g = c.Graph;
        float alpha = c.Float("alpha", 0.2f);
        float beta = c.Float("beta", 0.5f);
        var z = g.Add(g.Mul(c.Input(0), c.Scalar(alpha)), c.Scalar(beta));
        var inside = g.Node("And", [g.Node("Greater", [z, c.Scalar(0)]), g.Node("Less", [z, c.Scalar(1)])]);
        c.SetInputGradient(0, g.Where(inside, g.Mul(c.OutputGradient(0)!, c.Scalar(alpha)), c.Scalar(0)));
    }

    /// <summary>
    /// Y = X·HardSigmoid(X) with α = 1/6, β = 0.5: dY/dX = (2X + 3)/6 for −3 &lt; X &lt; 3, 1 for X ≥ 3 and 0 for X ≤ −3
    /// (at the corners the one-sided derivative of the saturated side is taken).
    /// </summary>
    public static void HardSwish(GradientContext c)
    {
        var g = c.Graph;
        var x = c.Input(0);
        var inner = g.Add(g.Div(x, c.Scalar(3)), c.Scalar(0.5));
        var belowUpper = g.Where(g.Node("Less", [x, c.Scalar(3)]), inner, c.Scalar(1));
        var derivative = g.Where(g.Node("Greater", [x, c.Scalar(-3)]), belowUpper, c.Scalar(0));
        c.SetInputGradient(0, g.Mul(c.OutputGradient(0)!, derivative));
    }

    /// <summary>
    /// Y = min(max(X, min), max), bounds from inputs 1 and 2 (opset ≥ 11, each optional) or from attributes (older
    /// opsets). dX = dY where min &lt; X &lt; max, else 0: at a bound the output is taken as saturated, so an input
    /// exactly at a bound gets no gradient (PyTorch passes it; the two differ only on a set of measure zero). A bound
    /// given as an input gets the gradient of the elements it clipped, ties included: dmin = Σ dY where X ≤ min,
    /// dmax = Σ dY where X ≥ max. When the bounds are constants with min &lt; max, the mask is read from the output
    /// (min &lt; Y &lt; max exactly where min &lt; X &lt; max), so that ONNX Runtime can still fuse Conv + Clip (ReLU6)
    /// in the forward pass: reading X keeps the pre-activation tensor alive and blocks the fusion. The mask of an NCHW
    /// tensor is then the product of two <see cref="StepMasks"/> steps of the output, when they apply.
    /// </summary>
    public static void Clip(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var x = c.Input(0);
        string? min;
        string? max;
        if (c.Opset < 11)
        {
            min = c.HasAttribute("min") ? c.Scalar(c.Float("min", float.MinValue)) : null;
            max = c.HasAttribute("max") ? c.Scalar(c.Float("max", float.MaxValue)) : null;
        }
        else
        {
            min = c.HasInput(1) ? c.Input(1) : null;
            max = c.HasInput(2) ? c.Input(2) : null;
        }

        bool ordered = BoundsAreOrdered(c, min, max);
        var maskSource = ordered ? c.Output(0) : x;
        if (ordered && c.NeedsInputGradient(0) && !c.NeedsInputGradient(1) && !c.NeedsInputGradient(2) && StepMasks.LikelyBlocked(g, dY) && BlockedInsideMask(c, min, max) is { } blocked)
        {
            c.SetInputGradient(0, StepMasks.Times(c, dY, blocked));
            return;
        }

        string? inside = null;
        if (min is not null)
        {
            inside = g.Node("Greater", [maskSource, min]);
        }

        if (max is not null)
        {
            var belowMax = g.Node("Less", [maskSource, max]);
            inside = inside is null ? belowMax : g.Node("And", [inside, belowMax]);
        }

        if (c.NeedsInputGradient(0))
        {
            c.SetInputGradient(0, inside is null ? dY : g.Where(inside, dY, c.Scalar(0)));
        }

        if (c.Opset >= 11 && min is not null && c.NeedsInputGradient(1))
        {
            ElementwiseRules.SetReduced(c, 1, g.Where(g.Node("LessOrEqual", [x, min]), dY, c.Scalar(0)));
        }

        if (c.Opset >= 11 && max is not null && c.NeedsInputGradient(2))
        {
            ElementwiseRules.SetReduced(c, 2, g.Where(g.Node("GreaterOrEqual", [x, max]), dY, c.Scalar(0)));
        }
    }

    /// <summary>
    /// 1{min &lt; Y &lt; max} as a product of <see cref="StepMasks"/> steps of the output, when every bound present is a
    /// constant and both steps have the blocked form; otherwise null.
    /// </summary>
    private static string? BlockedInsideMask(GradientContext c, string? min, string? max)
    {
        // Steps need Clip's input form of the bounds (opset 11 on), which StepMasks.Applies also requires.
        float? Bound(string? bound, int input) => bound is not null && c.ConstantInput(input) is [var v] ? (float)v : null;

        float? low = Bound(min, 1), high = Bound(max, 2);
        if (c.Opset < 11 || (min is not null && low is null) || (max is not null && high is null) || (min is null && max is null))
        {
            return null;
        }

        var y = c.OutputInfo(0);
        if ((low is { } l && !StepMasks.Applies(c, y, l)) || (high is { } h && !StepMasks.Applies(c, y, h)))
        {
            return null;
        }

        string? above = low is { } lower ? StepMasks.Above(c, y, lower) : null;
        string? below = high is { } upper ? StepMasks.Below(c, y, upper) : null;
        return above is not null && below is not null ? c.Graph.Mul(above, below) : above ?? below;
    }

    /// <summary>
    /// Whether Clip's bounds are constant scalars (or absent) with min &lt; max, so that comparing the output Y with
    /// a bound gives the same mask as comparing X: Y &gt; min ⇔ X &gt; min and Y &lt; max ⇔ X &lt; max.
    /// </summary>
    private static bool BoundsAreOrdered(GradientContext c, string? min, string? max)
    {
        if (c.Opset < 11)
        {
            return min is null || max is null || c.Float("min", float.MinValue) < c.Float("max", float.MaxValue);
        }

        double[]? low = min is null ? [double.NegativeInfinity] : c.ConstantInput(1);
        double[]? high = max is null ? [double.PositiveInfinity] : c.ConstantInput(2);
        return low is [var l] && high is [var h] && l < h;
    }

    /// <summary>dX = dY·(2/√π)·exp(−X²).</summary>
    public static void Erf(GradientContext c)
    {
        var g = c.Graph;
        var x = c.Input(0);
        var gaussian = g.Node("Exp", [g.Neg(g.Mul(x, x))]);
        c.SetInputGradient(0, g.Mul(c.OutputGradient(0)!, g.Mul(gaussian, c.Scalar(2 / Math.Sqrt(Math.PI)))));
    }

    /// <summary>
    /// Gelu (opset 20). approximate "none": Y = X·Φ(X), dY/dX = Φ(X) + X·φ(X) with Φ(x) = (1 + erf(x/√2))/2 and
    /// φ(x) = exp(−x²/2)/√(2π). approximate "tanh": Y = X·(1 + tanh(u))/2 with u = √(2/π)·(X + 0.044715·X³),
    /// dY/dX = (1 + tanh u)/2 + X·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·X²)/2.
    /// </summary>
    public static void Gelu(GradientContext c)
    {
        var g = c.Graph;
        var x = c.Input(0);
        var x2 = g.Mul(x, x);
        string derivative;
        switch (c.String("approximate", "none"))
        {
            case "none":
                {
                    var cdf = g.Mul(g.Add(c.Scalar(1), g.Node("Erf", [g.Mul(x, c.Scalar(1 / Math.Sqrt(2)))])), c.Scalar(0.5));
                    var pdf = g.Mul(g.Node("Exp", [g.Mul(x2, c.Scalar(-0.5))]), c.Scalar(1 / Math.Sqrt(2 * Math.PI)));
                    derivative = g.Add(cdf, g.Mul(x, pdf));
                    break;
                }

            case "tanh":
                {
                    const double Cubic = 0.044715;
                    double k = Math.Sqrt(2 / Math.PI);
                    var u = g.Mul(g.Mul(x, c.Scalar(k)), g.Add(c.Scalar(1), g.Mul(x2, c.Scalar(Cubic))));
                    var t = g.Node("Tanh", [u]);
                    var half = g.Mul(g.Add(c.Scalar(1), t), c.Scalar(0.5));
                    var du = g.Add(c.Scalar(k), g.Mul(x2, c.Scalar(3 * Cubic * k)));
                    var sech2 = g.Sub(c.Scalar(1), g.Mul(t, t));
                    derivative = g.Add(half, g.Mul(g.Mul(x, c.Scalar(0.5)), g.Mul(sech2, du)));
                    break;
                }

            default:
                throw c.Unsupported($"approximate '{c.String("approximate", "none")}' is not a valid value.");
        }

        c.SetInputGradient(0, g.Mul(c.OutputGradient(0)!, derivative));
    }

    /// <summary>dX = Y ⊙ (dY − Σ(dY ⊙ Y)), the sum over the softmax axes (keepdims).</summary>
    public static void Softmax(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var y = c.Output(0);
        var sum = g.ReduceSum(g.Mul(dY, y), SoftmaxAxes(c), keepDims: true);
        c.SetInputGradient(0, g.Mul(y, g.Sub(dY, sum)));
    }

    /// <summary>dX = dY − exp(Y) ⊙ Σ dY, the sum over the softmax axes (keepdims).</summary>
    public static void LogSoftmax(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var sum = g.ReduceSum(dY, SoftmaxAxes(c), keepDims: true);
        c.SetInputGradient(0, g.Sub(dY, g.Mul(g.Node("Exp", [c.Output(0)]), sum)));
    }

    /// <summary>dX = dY·Y.</summary>
    public static void Exp(GradientContext c) => c.SetInputGradient(0, c.Graph.Mul(c.OutputGradient(0)!, c.Output(0)));

    /// <summary>dX = dY / X.</summary>
    public static void Log(GradientContext c) => c.SetInputGradient(0, c.Graph.Div(c.OutputGradient(0)!, c.Input(0)));

    /// <summary>dX = dY / (2·Y).</summary>
    public static void Sqrt(GradientContext c)
    {
        var g = c.Graph;
        c.SetInputGradient(0, g.Div(g.Mul(c.OutputGradient(0)!, c.Scalar(0.5)), c.Output(0)));
    }

    /// <summary>dX = −dY.</summary>
    public static void Neg(GradientContext c) => c.SetInputGradient(0, c.Graph.Neg(c.OutputGradient(0)!));

    /// <summary>dX = dY·sign(X) (0 at X = 0).</summary>
    public static void Abs(GradientContext c)
    {
        var g = c.Graph;
        c.SetInputGradient(0, g.Mul(c.OutputGradient(0)!, g.Node("Sign", [c.Input(0)])));
    }

    /// <summary>Y = 1/X: dX = −dY·Y².</summary>
    public static void Reciprocal(GradientContext c)
    {
        var g = c.Graph;
        var y = c.Output(0);
        c.SetInputGradient(0, g.Neg(g.Mul(c.OutputGradient(0)!, g.Mul(y, y))));
    }

    /// <summary>
    /// The axes Softmax/LogSoftmax normalise over: the single axis (default −1) from opset 13, and below 13 every axis
    /// from <c>axis</c> (default 1) on, as the input was coerced to 2-D there.
    /// </summary>
    private static long[] SoftmaxAxes(GradientContext c)
    {
        int rank = c.InputInfo(0).Rank;
        long axis = c.Int("axis", c.Opset >= 13 ? -1 : 1);
        if (axis < -rank || axis >= rank)
        {
            throw c.Unsupported($"axis {axis} is out of range for rank {rank}.");
        }

        if (axis < 0)
        {
            axis += rank;
        }

        return c.Opset >= 13 ? [axis] : Enumerable.Range((int)axis, rank - (int)axis).Select(a => (long)a).ToArray();
    }
}
