namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>
/// Backward rules of elementwise arithmetic with numpy broadcasting: each operand's gradient is computed at the
/// output's shape and summed back to the operand's shape (<see cref="Onnx.GraphEmitter.ReduceToShape"/>).
/// </summary>
internal static class ElementwiseRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("Add", Add),
        new("Sub", Sub),
        new("Mul", Mul),
        new("Div", Div),
    ];

    /// <summary>Y = A + B: dA = dY, dB = dY.</summary>
    public static void Add(GradientContext c)
    {
        var dY = c.OutputGradient(0)!;
        SetReduced(c, 0, dY);
        SetReduced(c, 1, dY);
    }

    /// <summary>Y = A − B: dA = dY, dB = −dY.</summary>
    public static void Sub(GradientContext c)
    {
        var dY = c.OutputGradient(0)!;
        SetReduced(c, 0, dY);
        if (c.NeedsInputGradient(1))
        {
            SetReduced(c, 1, c.Graph.Neg(dY));
        }
    }

    /// <summary>Y = A · B: dA = dY · B, dB = dY · A.</summary>
    public static void Mul(GradientContext c)
    {
        var dY = c.OutputGradient(0)!;
        if (c.NeedsInputGradient(0))
        {
            SetReduced(c, 0, c.Graph.Mul(dY, c.Input(1)));
        }

        if (c.NeedsInputGradient(1))
        {
            SetReduced(c, 1, c.Graph.Mul(dY, c.Input(0)));
        }
    }

    /// <summary>Y = A / B: dA = dY / B, dB = −dY · Y / B.</summary>
    public static void Div(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        if (c.NeedsInputGradient(0))
        {
            SetReduced(c, 0, g.Div(dY, c.Input(1)));
        }

        if (c.NeedsInputGradient(1))
        {
            SetReduced(c, 1, g.Neg(g.Div(g.Mul(dY, c.Output(0)), c.Input(1))));
        }
    }

    /// <summary>Reports <paramref name="gradientAtOutput"/>, summed over the axes input <paramref name="i"/> was broadcast along.</summary>
    internal static void SetReduced(GradientContext c, int i, string gradientAtOutput)
    {
        if (!c.NeedsInputGradient(i))
        {
            return;
        }

        c.SetInputGradient(i, c.Graph.ReduceToShape(gradientAtOutput, c.OutputInfo(0).Shape, c.Input(i), c.InputInfo(i).Shape));
    }
}
