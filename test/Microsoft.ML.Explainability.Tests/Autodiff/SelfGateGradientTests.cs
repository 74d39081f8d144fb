using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>
/// Y = X·gate(X) (SiLU as Sigmoid then Mul, HardSwish as HardSigmoid then Mul): the Mul rule differentiates through
/// both factors at once. Checked against finite differences in both operand orders, with the gate read elsewhere too,
/// and with the gate's own gradient requested (then the one-expression form must not be used).
/// </summary>
[TestClass]
public sealed class SelfGateGradientTests
{
    private static readonly long[] Shape = [3, 4, 5];

    private static FloatTensor AwayFrom(Random random, double low, double high, params double[] kinks)
    {
        var t = GradientCheck.RandomTensor(random, Shape, low, high);
        for (int i = 0; i < t.Length; i++)
        {
            foreach (var kink in kinks)
            {
                double d = t.Data[i] - kink;
                if (Math.Abs(d) < 0.05)
                {
                    t.Data[i] = (float)(kink + (d < 0 ? d - 0.05 : d + 0.05));
                }
            }
        }

        return t;
    }

    private static (TestGraph Graph, string X, string Gate) Gated(string gateOp, AttributeValue[] attributes)
    {
        var t = new TestGraph();
        var x = t.Input("x", [-1, .. Shape.Skip(1)]);
        return (t, x, t.Node(gateOp, [x], attributes));
    }

    private static int Count(GradientModel model, string opType) => model.Model.Graph.Node.Count(n => n.OpType == opType);

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void Silu_gradient_matches_finite_differences_and_is_one_expression(bool gateFirst)
    {
        var (t, x, s) = Gated("Sigmoid", []);
        var y = t.Node("Mul", gateFirst ? [s, x] : [x, s]);
        var model = t.Output(y).Build();
        var inputs = new Dictionary<string, FloatTensor> { ["x"] = AwayFrom(new Random(31), -4, 4) };
        GradientCheck.AgainstFiniteDifferences(model, y, inputs);

        // The Sigmoid rule's (1 − s)·s and the sum of the two contributions are not emitted.
        var gradient = GradientModel.Build(model, new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        Assert.AreEqual(0, Count(gradient, "Sum"));
        Assert.AreEqual(1, Count(gradient, "Sub"));
    }

    [TestMethod]
    [DataRow(0f, 0f, false)]
    [DataRow(1f / 6, 0.5f, false)]
    [DataRow(1f / 6, 0.5f, true)]
    [DataRow(-0.3f, 0.4f, false)]
    public void Hard_swish_as_mul_by_hard_sigmoid_gradient_matches_finite_differences(float alpha, float beta, bool gateFirst)
    {
        // alpha and beta 0 stand for the defaults (attributes absent, 0.2 and 0.5); a negative alpha flips the ramp.
        AttributeValue[] attributes = alpha != 0 ? [AttributeValue.Float("alpha", alpha), AttributeValue.Float("beta", beta)] : [];
        double al = alpha != 0 ? alpha : 0.2, be = alpha != 0 ? beta : 0.5;
        var (t, x, h) = Gated("HardSigmoid", attributes);
        var y = t.Node("Mul", gateFirst ? [h, x] : [x, h]);
        var model = t.Output(y).Build();

        // Kinks where α·x + β is 0 or 1; the range covers both saturated sides and the ramp.
        var inputs = new Dictionary<string, FloatTensor> { ["x"] = AwayFrom(new Random(32), -6, 6, -be / al, (1 - be) / al) };
        GradientCheck.AgainstFiniteDifferences(model, y, inputs, samples: 40);
        var gradient = GradientModel.Build(model, new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        Assert.AreEqual(0, Count(gradient, "Sum"));
    }

    [TestMethod]
    public void A_gate_read_by_another_node_still_passes_that_gradient()
    {
        // Y = x·σ(x) + 3·σ(x): the Add's gradient reaches σ(x) directly and flows through the Sigmoid rule.
        var (t, x, s) = Gated("Sigmoid", []);
        var y = t.Node("Add", [t.Node("Mul", [x, s]), t.Node("Mul", [s, t.Constant("three", [], [3f])])]);
        var inputs = new Dictionary<string, FloatTensor> { ["x"] = AwayFrom(new Random(33), -4, 4) };
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, inputs);
    }

    [TestMethod]
    public void A_requested_gate_gets_its_gradient_from_the_mul()
    {
        // Y = x·σ(x) with σ(x) requested too: dL/dσ = u ⊙ x (by hand), so the Mul must not fold σ's share into x.
        var (t, x, s) = Gated("Sigmoid", []);
        var y = t.Node("Mul", [x, s]);
        var model = t.Output(y).Build();
        var inputs = new Dictionary<string, FloatTensor> { ["x"] = AwayFrom(new Random(34), -4, 4) };
        GradientCheck.AgainstFiniteDifferences(model, y, inputs);

        var gradientModel = GradientModel.Build(model, new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x", s] });
        using var session = new GradientSession(gradientModel);
        var u = GradientCheck.RandomTensor(new Random(35), Shape);
        var result = session.Run(inputs, seed: u);
        var ds = result.Gradients[s];
        for (int i = 0; i < ds.Length; i++)
        {
            Assert.AreEqual(u.Data[i] * inputs["x"].Data[i], ds.Data[i], 1e-6, $"dL/dσ[{i}]");
        }

        // And dL/dx still sums both paths: u·(σ + x·σ·(1 − σ)).
        var dx = result.Gradients["x"];
        for (int i = 0; i < dx.Length; i++)
        {
            double v = inputs["x"].Data[i], sigma = 1 / (1 + Math.Exp(-v));
            Assert.AreEqual(u.Data[i] * (sigma + (v * sigma * (1 - sigma))), dx.Data[i], 1e-5, $"dL/dx[{i}]");
        }
    }
}
