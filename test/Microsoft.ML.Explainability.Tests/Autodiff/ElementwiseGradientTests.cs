using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>Finite-difference checks of Pow, Where and the variadic Sum, Mean, Max and Min rules, with broadcasting.</summary>
[TestClass]
public sealed class ElementwiseGradientTests
{
    /// <summary>
    /// Values k·0.1 + offset for random integers k in [−10, 10]: two tensors with offsets differing by at least 0.025
    /// (mod 0.1) never hold equal or nearly equal values, so a finite step (1e-2) never changes a Max/Min winner.
    /// </summary>
    private static FloatTensor Grid(Random random, long[] shape, double offset)
    {
        var t = FloatTensor.Zeros(shape);
        for (int i = 0; i < t.Length; i++)
        {
            t.Data[i] = (float)((random.Next(-10, 11) * 0.1) + offset);
        }

        return t;
    }

    [TestMethod]
    public void Pow_gradients_match_finite_differences_for_base_and_broadcast_exponent()
    {
        var t = new TestGraph();
        var y = t.Node("Pow", [t.Input("a", -1, 3, 4), t.Input("b", 3, 1)]);
        var random = new Random(31);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["a"] = GradientCheck.RandomTensor(random, [2, 3, 4], 0.5, 2.0),
            ["b"] = GradientCheck.RandomTensor(random, [3, 1], -1.5, 2.5),
        });
    }

    [TestMethod]
    public void Pow_gradient_matches_finite_differences_for_a_constant_float_exponent()
    {
        var t = new TestGraph();
        var y = t.Node("Pow", [t.Input("a", -1, 3, 4), t.Constant("two", [], [2f])]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["a"] = GradientCheck.RandomTensor(new Random(32), [2, 3, 4], -1.5, 1.5),
        });
    }

    [TestMethod]
    public void Pow_gradient_matches_finite_differences_for_an_integer_exponent_and_negative_base()
    {
        var t = new TestGraph();
        var y = t.Node("Pow", [t.Input("a", -1, 3, 4), t.Int64s("three", 3)]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["a"] = GradientCheck.RandomTensor(new Random(33), [2, 3, 4], -1.5, 1.5),
        });
    }

    [TestMethod]
    public void Where_gradients_match_finite_differences_with_broadcast_condition_and_operands()
    {
        var t = new TestGraph();
        var condition = t.Node("Greater", [t.Random("mask", [3, 1, 5]), t.Constant("zero", [], [0f])]);
        var y = t.Node("Where", [condition, t.Input("x", -1, 3, 4, 5), t.Input("y", 4, 5)]);
        var random = new Random(34);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(random, [2, 3, 4, 5]),
            ["y"] = GradientCheck.RandomTensor(random, [4, 5]),
        });
    }

    [TestMethod]
    [DataRow("Sum")]
    [DataRow("Mean")]
    [DataRow("Max")]
    [DataRow("Min")]
    public void Variadic_gradients_match_finite_differences_with_broadcasting(string op)
    {
        var t = new TestGraph();
        var y = t.Node(op, [t.Input("a", -1, 3, 4), t.Input("b", 3, 4), t.Input("c", 4)]);
        var random = new Random(35);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["a"] = Grid(random, [2, 3, 4], 0.0),
            ["b"] = Grid(random, [3, 4], 0.05),
            ["c"] = Grid(random, [4], 0.025),
        });
    }

    [TestMethod]
    [DataRow("Sum")]
    [DataRow("Mean")]
    [DataRow("Max")]
    [DataRow("Min")]
    public void Variadic_gradients_match_finite_differences_with_a_single_operand(string op)
    {
        var t = new TestGraph();
        var y = t.Node(op, [t.Input("a", -1, 3, 4)]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["a"] = GradientCheck.RandomTensor(new Random(36), [2, 3, 4]),
        });
    }

    [TestMethod]
    [DataRow("Max")]
    [DataRow("Min")]
    public void Max_and_min_split_the_gradient_evenly_between_tied_operands(string op)
    {
        // b equals a in the first two columns (a tie), the three-way tie in column 0 includes c.
        var t = new TestGraph();
        var y = t.Node(op, [t.Input("a", -1, 3), t.Input("b", 3), t.Input("c", 3)]);
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["a", "b", "c"] });
        using var session = new GradientSession(model);
        var sign = op == "Max" ? 1f : -1f;
        var feeds = new Dictionary<string, FloatTensor>
        {
            ["a"] = new FloatTensor([sign * 1f, sign * 2f, sign * 3f], 1, 3),
            ["b"] = new FloatTensor([sign * 1f, sign * 2f, sign * 0f], 3),
            ["c"] = new FloatTensor([sign * 1f, sign * -5f, sign * 0f], 3),
        };
        var gradients = session.Run(feeds, seed: new FloatTensor([6f, 4f, 2f], 1, 3)).Gradients;
        CollectionAssert.AreEqual(new float[] { 2, 2, 2 }, gradients["a"].Data);
        CollectionAssert.AreEqual(new float[] { 2, 2, 0 }, gradients["b"].Data);
        CollectionAssert.AreEqual(new float[] { 2, 0, 0 }, gradients["c"].Data);
    }
}
