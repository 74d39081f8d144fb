using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>Finite-difference checks of the pointwise activation, softmax and unary math rules.</summary>
[TestClass]
public sealed class ActivationGradientTests
{
    private static readonly long[] Shape = [3, 5, 4];

    /// <summary>
    /// Uniform values in [low, high) moved at least 0.05 away from every kink, so that a finite-difference step
    /// (1e-2) never crosses one.
    /// </summary>
    private static FloatTensor AwayFrom(Random random, long[] shape, double low, double high, params double[] kinks)
    {
        var t = GradientCheck.RandomTensor(random, shape, low, high);
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

    private static void Check(string op, AttributeValue[] attributes, FloatTensor x, int opset = 17)
    {
        var t = new TestGraph(opset);
        var y = t.Node(op, [t.Input("x", [-1, .. x.Shape.Skip(1)])], attributes);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor> { ["x"] = x });
    }

    [TestMethod]
    [DataRow("Sigmoid", -3.0, 3.0)]
    [DataRow("Tanh", -2.0, 2.0)]
    [DataRow("Erf", -2.0, 2.0)]
    [DataRow("Exp", -1.5, 1.5)]
    [DataRow("Log", 0.3, 3.0)]
    [DataRow("Sqrt", 0.3, 3.0)]
    [DataRow("Neg", -1.0, 1.0)]
    [DataRow("Reciprocal", 0.5, 2.0)]
    public void Smooth_unary_gradients_match_finite_differences(string op, double low, double high) =>
        Check(op, [], AwayFrom(new Random(11), Shape, low, high));

    [TestMethod]
    public void Reciprocal_gradient_matches_finite_differences_for_negative_inputs() =>
        Check("Reciprocal", [], AwayFrom(new Random(12), Shape, -2.0, -0.5));

    [TestMethod]
    public void Abs_gradient_matches_finite_differences() =>
        Check("Abs", [], AwayFrom(new Random(13), Shape, -1.0, 1.0, 0));

    [TestMethod]
    [DataRow(0f)]
    [DataRow(0.2f)]
    public void LeakyRelu_gradient_matches_finite_differences(float alpha) =>
        // alpha 0 stands for the default (attribute absent, 0.01).
        Check("LeakyRelu", alpha > 0 ? [AttributeValue.Float("alpha", alpha)] : [], AwayFrom(new Random(14), Shape, -1.0, 1.0, 0));

    [TestMethod]
    [DataRow(0f, 0f)]
    [DataRow(0.3f, 0.4f)]
    public void HardSigmoid_gradient_matches_finite_differences(float alpha, float beta)
    {
        // alpha and beta 0 stand for the defaults (attributes absent, 0.2 and 0.5).
        AttributeValue[] attributes = alpha > 0 ? [AttributeValue.Float("alpha", alpha), AttributeValue.Float("beta", beta)] : [];

        // Kinks where α·x + β is 0 or 1; the range covers both saturated sides and the linear part.
        double al = alpha > 0 ? alpha : 0.2, be = alpha > 0 ? beta : 0.5;
        Check("HardSigmoid", attributes, AwayFrom(new Random(15), Shape, -4.5, 4.5, -be / al, (1 - be) / al));
    }

    [TestMethod]
    public void HardSwish_gradient_matches_finite_differences() =>
        Check("HardSwish", [], AwayFrom(new Random(16), Shape, -4.5, 4.5, -3, 3), opset: 17);

    [TestMethod]
    [DataRow("none")]
    [DataRow("tanh")]
    public void Gelu_gradient_matches_finite_differences(string approximate) =>
        Check("Gelu", [AttributeValue.String("approximate", approximate)], AwayFrom(new Random(17), Shape, -3.0, 3.0), opset: 20);

    [TestMethod]
    [DataRow("none")]
    [DataRow("tanh")]
    public void Gelu_gradient_matches_a_float64_reference_closely(string approximate)
    {
        // The float32 finite differences above cannot tell the two forms apart (their derivatives differ by ~1e-3),
        // so the backward graph's dY/dX (seed 1) is also compared with a float64 central difference of the form's
        // own formula, to a float32-rounding tolerance.
        var t = new TestGraph(opset: 20);
        var y = t.Node("Gelu", [t.Input("x", -1, 61)], AttributeValue.String("approximate", approximate));
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        using var session = new GradientSession(model);
        var x = Enumerable.Range(0, 61).Select(i => (float)(-3 + (0.1 * i))).ToArray();
        var seed = Enumerable.Repeat(1f, 61).ToArray();
        var gradient = session.Run(new Dictionary<string, FloatTensor> { ["x"] = new FloatTensor(x, 1, 61) }, seed: new FloatTensor(seed, 1, 61)).Gradients["x"];
        Func<double, double> gelu = approximate == "tanh"
            ? v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + (0.044715 * v * v * v))))
            : v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2)));
        for (int i = 0; i < x.Length; i++)
        {
            const double H = 1e-5;
            double expected = (gelu(x[i] + H) - gelu(x[i] - H)) / (2 * H);
            Assert.AreEqual(expected, gradient.Data[i], 2e-5, $"Gelu({approximate})' at x = {x[i]}");
        }
    }

    /// <summary>erf by its Maclaurin series, accurate to ~1e-13 for |x| ≤ 3 in float64.</summary>
    private static double Erf(double x)
    {
        double sum = 0, term = x;
        for (int n = 0; n < 80; n++)
        {
            sum += term / ((2 * n) + 1);
            term *= -x * x / (n + 1);
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    [TestMethod]
    [DataRow("Softmax", 1, 3)]
    [DataRow("Softmax", -1, 3)]
    [DataRow("Softmax", 1, 4)]
    [DataRow("Softmax", 2, 4)]
    [DataRow("Softmax", -1, 4)]
    [DataRow("LogSoftmax", 1, 3)]
    [DataRow("LogSoftmax", -1, 4)]
    public void Softmax_gradients_match_finite_differences(string op, int axis, int rank)
    {
        long[] shape = rank == 3 ? [2, 3, 4] : [2, 3, 4, 5];
        Check(op, [AttributeValue.Int("axis", axis)], AwayFrom(new Random(18), shape, -2.0, 2.0));
    }

    [TestMethod]
    public void Softmax_gradient_uses_the_last_axis_by_default()
    {
        var x = AwayFrom(new Random(19), [2, 3, 4], -2.0, 2.0);
        Check("Softmax", [], x);
        Check("LogSoftmax", [], x);
    }

    [TestMethod]
    [DataRow(new long[] { 5, 1 })]
    [DataRow(new long[] { 4 })]
    public void PRelu_gradients_match_finite_differences_for_input_and_broadcast_slope(long[] slopeShape)
    {
        var t = new TestGraph();
        var y = t.Node("PRelu", [t.Input("x", -1, 5, 4), t.Input("slope", slopeShape)]);
        var random = new Random(20);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = AwayFrom(random, Shape, -1.0, 1.0, 0),
            ["slope"] = GradientCheck.RandomTensor(random, slopeShape, 0.05, 0.5),
        });
    }

    [TestMethod]
    [DataRow(true, true)]
    [DataRow(true, false)]
    [DataRow(false, true)]
    public void Clip_gradients_match_finite_differences_for_input_and_bounds(bool withMin, bool withMax)
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 5, 4);
        var min = withMin ? t.Input("min") : "";
        var max = withMax ? t.Input("max") : "";
        var y = t.Node("Clip", withMax ? [x, min, max] : [x, min]);
        // Bounds ±0.5, inputs kept 0.05 away from them so that no step in x or in a bound crosses an input.
        var feeds = new Dictionary<string, FloatTensor> { ["x"] = AwayFrom(new Random(21), Shape, -1.0, 1.0, -0.5, 0.5) };
        if (withMin)
        {
            feeds["min"] = new FloatTensor([-0.5f]);
        }

        if (withMax)
        {
            feeds["max"] = new FloatTensor([0.5f]);
        }

        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, feeds);
    }

    [TestMethod]
    [DataRow(-0.5f, 0.5f)]
    [DataRow(-0.5f, float.NaN)]
    [DataRow(float.NaN, 0.5f)]
    [DataRow(0.5f, -0.5f)]
    public void Clip_with_constant_bounds_matches_finite_differences(float min, float max)
    {
        // Constant ordered bounds read the mask from the output; inverted bounds (the output is max everywhere) from X.
        var t = new TestGraph();
        var x = t.Input("x", -1, 5, 4);
        var minName = float.IsNaN(min) ? "" : t.Constant("min", [], [min]);
        var y = t.Node("Clip", float.IsNaN(max) ? [x, minName] : [x, minName, t.Constant("max", [], [max])]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor> { ["x"] = AwayFrom(new Random(22), Shape, -1.0, 1.0, -0.5, 0.5) });
    }

    [TestMethod]
    public void Clip_gives_no_gradient_to_an_input_at_a_bound()
    {
        var t = new TestGraph();
        var y = t.Node("Clip", [t.Input("x", -1, 4), t.Constant("min", [], [-0.5f]), t.Constant("max", [], [0.5f])]);
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        using var session = new GradientSession(model);
        var x = new FloatTensor([-0.5f, -0.2f, 0.5f, 0.7f], 1, 4);
        var gradient = session.Run(new Dictionary<string, FloatTensor> { ["x"] = x }, seed: new FloatTensor([1f, 2f, 3f, 4f], 1, 4)).Gradients["x"];
        CollectionAssert.AreEqual(new float[] { 0, 2, 0, 0 }, gradient.Data);
    }
}
