using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;

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
        new("Pow", Pow),
        new("Where", Where),
        new("Sum", Sum),
        new("Mean", Mean),
        new("Max", Max),
        new("Min", Min),
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

    /// <summary>
    /// Y = A · B: dA = dY · B, dB = dY · A. When one factor is a gate of the other — SiLU/Swish, Y = A·σ(A), and
    /// HardSwish, Y = A·h(A) with h = HardSigmoid(α, β), as exporters write them — and nobody asks for the gate's own
    /// gradient, the derivative through both factors is emitted at once (<see cref="SelfGate"/>): four or seven
    /// elementwise ops instead of the six or ten that the Mul and gate rules and the sum of their contributions take
    /// (EfficientNet-B0's saliency spent a third of its time in this chain; torch exports below opset 14 write
    /// HardSwish as X·HardSigmoid(X)). The gate's output then
    /// gets no gradient from this Mul; any other gradient it receives still flows through the gate's own rule, and
    /// the contributions add up to the same total.
    /// </summary>
    public static void Mul(GradientContext c)
    {
        var dY = c.OutputGradient(0)!;
        if (SelfGate(c) is var (x, gate))
        {
            c.SetInputGradient(x, c.Graph.Mul(dY, GatedDerivative(c, x, gate)));
            return;
        }

        if (c.NeedsInputGradient(0))
        {
            SetReduced(c, 0, c.Graph.Mul(dY, c.Input(1)));
        }

        if (c.NeedsInputGradient(1))
        {
            SetReduced(c, 1, c.Graph.Mul(dY, c.Input(0)));
        }
    }

    /// <summary>
    /// For Y = A·gate(A) in either operand order — gate a Sigmoid or HardSigmoid node reading A — with A, the gate and
    /// Y of one shape, A's gradient needed and the gate's not requested: the index of A and the gate node; else null.
    /// </summary>
    private static (int X, NodeProto Gate)? SelfGate(GradientContext c)
    {
        if (c.InputCount != 2 || !c.HasInput(0) || !c.HasInput(1) || c.Input(0) == c.Input(1))
        {
            return null;
        }

        for (int x = 0; x < 2; x++)
        {
            var gate = c.Input(1 - x);
            if (c.NeedsInputGradient(x) && !c.IsRequested(gate)
                && c.ProducerOf(gate) is { OpType: "Sigmoid" or "HardSigmoid", Domain: "" or "ai.onnx" } node && node.Input.Count == 1 && node.Input[0] == c.Input(x)
                && c.InputInfo(x).Shape.SequenceEqual(c.OutputInfo(0).Shape) && c.InputInfo(1 - x).Shape.SequenceEqual(c.OutputInfo(0).Shape))
            {
                return (x, node);
            }
        }

        return null;
    }

    /// <summary>
    /// dY/dA of Y = A·gate(A), from the forward tensors (s the gate's output). Sigmoid: s + A·s·(1 − s) = s + Y − Y·s.
    /// HardSigmoid, s = max(0, min(1, αA + β)): s + αA·[0 &lt; s &lt; 1], that is 2αA + β where 0 &lt; s &lt; 1 and s
    /// (0 or 1) where the gate saturates (at the corners the saturated side, as the HardSigmoid rule takes it).
    /// </summary>
    private static string GatedDerivative(GradientContext c, int x, NodeProto gate)
    {
        var g = c.Graph;
        var s = c.Input(1 - x);
        if (gate.OpType == "Sigmoid")
        {
            var y = c.Output(0);
            return g.Sub(g.Add(s, y), g.Mul(y, s));
        }

        float alpha = gate.GetFloat("alpha", 0.2f);
        float beta = gate.GetFloat("beta", 0.5f);
        var inside = g.Node("And", [g.Node("Greater", [s, c.Scalar(0)]), g.Node("Less", [s, c.Scalar(1)])]);
        var linear = g.Add(g.Mul(c.Input(x), c.Scalar(2.0 * alpha)), c.Scalar(beta));
        return g.Where(inside, linear, s);
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

    /// <summary>
    /// Y = A^B: dA = dY·B·A^(B−1); dB = dY·Y·ln A, built only when needed, and taken as 0 where A = 0 (the limit for
    /// B &gt; 0, as in PyTorch). For A &lt; 0 the real power has no derivative in B and dB is NaN there. An integer
    /// exponent (allowed from opset 12) is cast to the base's type and receives no gradient.
    /// </summary>
    public static void Pow(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var a = c.Input(0);
        var type = c.InputInfo(0).ElementType;
        if (c.NeedsInputGradient(0))
        {
            var b = c.InputInfo(1).ElementType == type ? c.Input(1) : g.Cast(c.Input(1), type);
            var power = g.Node("Pow", [a, g.Sub(b, g.Scalar(1, type))]);
            SetReduced(c, 0, g.Mul(dY, g.Mul(b, power)));
        }

        if (c.NeedsInputGradient(1))
        {
            var zero = g.Scalar(0, type);
            var logTerm = g.Where(g.Node("Equal", [a, zero]), zero, g.Mul(c.Output(0), g.Node("Log", [a])));
            SetReduced(c, 1, g.Mul(dY, logTerm));
        }
    }

    /// <summary>
    /// Y = Where(C, X1, X2): the condition is not differentiable; dX1 = Where(C, dY, 0), dX2 = Where(C, 0, dY), each
    /// summed over the axes its operand was broadcast along.
    /// </summary>
    public static void Where(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var zero = c.Scalar(0);
        if (c.NeedsInputGradient(1))
        {
            SetReduced(c, 1, g.Where(c.Input(0), dY, zero));
        }

        if (c.NeedsInputGradient(2))
        {
            SetReduced(c, 2, g.Where(c.Input(0), zero, dY));
        }
    }

    /// <summary>Y = Σ Xᵢ (variadic, broadcast): dXᵢ = dY summed to the shape of Xᵢ.</summary>
    public static void Sum(GradientContext c)
    {
        var dY = c.OutputGradient(0)!;
        for (int i = 0; i < c.InputCount; i++)
        {
            SetReduced(c, i, dY);
        }
    }

    /// <summary>Y = (Σ Xᵢ)/n (variadic, broadcast): dXᵢ = dY/n summed to the shape of Xᵢ.</summary>
    public static void Mean(GradientContext c)
    {
        var g = c.Graph;
        var share = c.InputCount == 1 ? c.OutputGradient(0)! : g.Mul(c.OutputGradient(0)!, c.Scalar(1.0 / c.InputCount));
        for (int i = 0; i < c.InputCount; i++)
        {
            SetReduced(c, i, share);
        }
    }

    /// <summary>
    /// Y = max(X₁, …, Xₙ) (variadic, broadcast): the gradient of each element goes to the operands equal to the result.
    /// Ties: when k operands share the maximum, each receives dY/k (the split PyTorch uses for binary maximum), so the
    /// gradient is conserved and no operand order is favoured.
    /// </summary>
    public static void Max(GradientContext c) => Extremum(c);

    /// <summary>Y = min(X₁, …, Xₙ): as <see cref="Max"/>, the gradient split evenly between the operands equal to the result.</summary>
    public static void Min(GradientContext c) => Extremum(c);

    private static void Extremum(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        if (c.InputCount == 1)
        {
            SetReduced(c, 0, dY);
            return;
        }

        var y = c.Output(0);
        var winners = Enumerable.Range(0, c.InputCount).Select(i => g.Node("Equal", [c.Input(i), y])).ToArray();
        var count = g.Sum(winners.Select(w => g.Cast(w, c.ElementType)).ToArray());
        var share = g.Div(dY, count);
        var zero = c.Scalar(0);
        for (int i = 0; i < c.InputCount; i++)
        {
            if (c.NeedsInputGradient(i))
            {
                SetReduced(c, i, g.Where(winners[i], share, zero));
            }
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
