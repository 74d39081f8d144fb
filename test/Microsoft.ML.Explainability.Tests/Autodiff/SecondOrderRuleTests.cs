using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>
/// Finite-difference checks of the rules of the ops that backward rules emit (SecondOrderRules): ConvTranspose,
/// ScatterElements, ScatterND, GatherElements, GatherND and Sign.
/// </summary>
[TestClass]
public sealed class SecondOrderRuleTests
{
    /// <summary>Y with a leading unit dimension: the session takes an output without batch dimension as one row.</summary>
    private static string AsOneRow(TestGraph t, string y) => t.Node("Unsqueeze", [y, t.Int64s("row_axis", 0)]);

    private static string Int64Tensor(TestGraph t, string name, long[] dims, long[] values)
    {
        t.Graph.Initializer.Add(TensorProtos.Int64(name, dims, values));
        return name;
    }

    [TestMethod]
    [DataRow(1L, 1L, 0L, 1L)]
    [DataRow(2L, 1L, 1L, 1L)]
    [DataRow(2L, 2L, 1L, 2L)]
    [DataRow(3L, 1L, 2L, 1L)]
    public void ConvTranspose_gradients_match_finite_differences(long stride, long dilation, long outputPadding, long group)
    {
        var t = new TestGraph();
        var y = t.Node("ConvTranspose", [t.Input("x", -1, 4, 5, 4), t.Input("w", 4, 6 / group, 3, 2), t.Input("b", 6)],
            AttributeValue.Ints("strides", [stride, stride]),
            AttributeValue.Ints("dilations", [dilation, dilation]),
            AttributeValue.Ints("pads", [1, 0, 0, 1]),
            AttributeValue.Ints("output_padding", [outputPadding, 0]),
            AttributeValue.Int("group", group));
        var random = new Random(71);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(random, [2, 4, 5, 4]),
            ["w"] = GradientCheck.RandomTensor(random, [4, 6 / group, 3, 2]),
            ["b"] = GradientCheck.RandomTensor(random, [6]),
        }, withRespectTo: ["x", "b"]);
    }

    [TestMethod]
    public void ConvTranspose_with_auto_pad_same_is_refused_naming_the_node()
    {
        var t = new TestGraph();
        var y = t.Node("ConvTranspose", [t.Input("x", -1, 2, 4, 4), t.Random("w", [2, 3, 3, 3])],
            AttributeValue.Ints("strides", [2, 2]), AttributeValue.String("auto_pad", "SAME_UPPER"));
        var e = Assert.ThrowsExactly<GradientException>(() => GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] }));
        StringAssert.Contains(e.Message, "ConvTranspose node");
        StringAssert.Contains(e.Message, "SAME_UPPER");
    }

    [TestMethod]
    [DataRow("none")]
    [DataRow("add")]
    public void ScatterElements_gradients_match_finite_differences(string reduction)
    {
        var t = new TestGraph();
        // Axis 1 of a [3, 5] tensor; distinct positions per row without reduction, repeated ones with "add".
        long[] positions = reduction == "add" ? [0, 0, 4, 2, 2, 2, 1, 3, 1] : [0, 3, 4, 2, 1, 0, 4, 3, 1];
        var indices = Int64Tensor(t, "i", [3, 3], positions);
        var y = t.Node("ScatterElements", [t.Input("d", 3, 5), indices, t.Input("u", 3, 3)],
            AttributeValue.Int("axis", 1), AttributeValue.String("reduction", reduction));
        y = AsOneRow(t, y);
        var random = new Random(72);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["d"] = GradientCheck.RandomTensor(random, [3, 5]),
            ["u"] = GradientCheck.RandomTensor(random, [3, 3]),
        });
    }

    [TestMethod]
    [DataRow("none")]
    [DataRow("add")]
    public void ScatterND_gradients_match_finite_differences(string reduction)
    {
        var t = new TestGraph();
        // Index pairs into a [4, 3, 2] tensor: updates are [3, 2] slices; repeated pairs only with "add".
        long[] pairs = reduction == "add" ? [1, 2, 3, 0, 1, 2] : [1, 2, 3, 0, 0, 1];
        var indices = Int64Tensor(t, "i", [3, 2], pairs);
        var y = AsOneRow(t, t.Node("ScatterND", [t.Input("d", 4, 3, 2), indices, t.Input("u", 3, 2)], AttributeValue.String("reduction", reduction)));
        var random = new Random(73);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["d"] = GradientCheck.RandomTensor(random, [4, 3, 2]),
            ["u"] = GradientCheck.RandomTensor(random, [3, 2]),
        });
    }

    [TestMethod]
    public void GatherElements_gradient_matches_finite_differences_with_repeated_and_negative_indices()
    {
        var t = new TestGraph();
        var indices = Int64Tensor(t, "i", [2, 4, 2], [0, 2, 2, 2, -1, 0, 1, 1, 0, 0, 2, -3, 1, 2, 0, 1]);
        var y = t.Node("GatherElements", [t.Input("x", -1, 3, 2), indices], AttributeValue.Int("axis", 1));
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(new Random(74), [2, 3, 2]),
        });
    }

    [TestMethod]
    public void GatherND_gradient_matches_finite_differences_with_repeated_indices()
    {
        var t = new TestGraph();
        var indices = Int64Tensor(t, "i", [4, 2], [0, 1, 2, 0, 0, 1, 1, 2]);
        var y = AsOneRow(t, t.Node("GatherND", [t.Input("x", 3, 3, 2), indices]));
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(new Random(75), [3, 3, 2]),
        });
    }

    [TestMethod]
    public void Sign_gradient_is_zero_as_finite_differences_away_from_zero()
    {
        var t = new TestGraph();
        var y = t.Node("Mul", [t.Node("Sign", [t.Input("x", -1, 6)]), t.Random("w", [6])]);
        var x = new FloatTensor([0.5f, -0.7f, 0.3f, -0.2f, 0.9f, -1.1f, 0.25f, 0.35f, -0.45f, 0.55f, -0.65f, 0.75f], [2, 6]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor> { ["x"] = x });
    }
}
