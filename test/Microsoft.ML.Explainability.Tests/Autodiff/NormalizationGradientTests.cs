using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>Finite-difference checks of BatchNormalization (inference), LayerNormalization and InstanceNormalization.</summary>
[TestClass]
public sealed class NormalizationGradientTests
{
    [TestMethod]
    [DataRow(new long[] { 2, 3, 4, 5 }, 0f)]
    [DataRow(new long[] { 4, 3 }, 0f)]
    [DataRow(new long[] { 2, 3, 6 }, 0.01f)]
    public void BatchNormalization_gradients_match_finite_differences_for_input_and_parameters(long[] shape, float epsilon)
    {
        // epsilon 0 stands for the default (attribute absent, 1e-5).
        var t = new TestGraph();
        var y = t.Node("BatchNormalization",
            [t.Input("x", [-1, .. shape.Skip(1)]), t.Input("scale", 3), t.Input("bias", 3), t.Input("mean", 3), t.Input("var", 3)],
            epsilon > 0 ? [AttributeValue.Float("epsilon", epsilon)] : []);
        var random = new Random(41);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(random, shape, -2, 2),
            ["scale"] = GradientCheck.RandomTensor(random, [3], 0.5, 1.5),
            ["bias"] = GradientCheck.RandomTensor(random, [3]),
            ["mean"] = GradientCheck.RandomTensor(random, [3], -0.5, 0.5),
            ["var"] = GradientCheck.RandomTensor(random, [3], 0.5, 1.5),
        });
    }

    [TestMethod]
    public void BatchNormalization_input_gradient_with_constant_parameters_matches_finite_differences()
    {
        var t = new TestGraph();
        var y = t.Node("BatchNormalization",
            [t.Input("x", -1, 3, 4, 4), t.Random("scale", [3]), t.Random("bias", [3]), t.Random("mean", [3]), t.Random("var", [3], 0.2, 2)]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(new Random(42), [2, 3, 4, 4]),
        });
    }

    [TestMethod]
    [DataRow(-1, false)]
    [DataRow(-2, false)]
    [DataRow(-1, true)]
    [DataRow(2, true)]
    public void LayerNormalization_gradients_match_finite_differences(int axis, bool fourD)
    {
        long[] shape = fourD ? [2, 3, 4, 5] : [3, 4, 5];
        var normalized = shape.Skip(axis < 0 ? shape.Length + axis : axis).ToArray();
        var t = new TestGraph();
        var y = t.Node("LayerNormalization",
            [t.Input("x", [-1, .. shape.Skip(1)]), t.Input("scale", normalized), t.Input("bias", normalized)],
            AttributeValue.Int("axis", axis));
        var random = new Random(43);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(random, shape, -2, 2),
            ["scale"] = GradientCheck.RandomTensor(random, normalized, 0.5, 1.5),
            ["bias"] = GradientCheck.RandomTensor(random, normalized),
        });
    }

    [TestMethod]
    public void LayerNormalization_without_bias_and_with_epsilon_matches_finite_differences()
    {
        var t = new TestGraph();
        var y = t.Node("LayerNormalization", [t.Input("x", -1, 6), t.Input("scale", 6)], AttributeValue.Float("epsilon", 0.1f));
        var random = new Random(44);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(random, [3, 6], -2, 2),
            ["scale"] = GradientCheck.RandomTensor(random, [6], 0.5, 1.5),
        });
    }

    [TestMethod]
    [DataRow("LayerNormalization", "x")]
    [DataRow("LayerNormalization", "scale")]
    [DataRow("LayerNormalization", "bias")]
    [DataRow("InstanceNormalization", "x")]
    [DataRow("InstanceNormalization", "scale")]
    [DataRow("InstanceNormalization", "bias")]
    public void Normalization_gradient_of_one_input_alone_matches_finite_differences(string op, string wanted)
    {
        // Only the wanted tensor's gradient is built, so the rules' partial paths are exercised.
        long[] shape = [2, 3, 4, 5];
        long[] parameterShape = op == "LayerNormalization" ? [5] : [3];
        var t = new TestGraph();
        var y = t.Node(op, [t.Input("x", -1, 3, 4, 5), t.Input("scale", parameterShape), t.Input("bias", parameterShape)]);
        var random = new Random(46);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(random, shape, -2, 2),
            ["scale"] = GradientCheck.RandomTensor(random, parameterShape, 0.5, 1.5),
            ["bias"] = GradientCheck.RandomTensor(random, parameterShape),
        }, withRespectTo: [wanted]);
    }

    [TestMethod]
    [DataRow(new long[] { 2, 3, 4, 5 })]
    [DataRow(new long[] { 2, 3, 7 })]
    public void InstanceNormalization_gradients_match_finite_differences(long[] shape)
    {
        var t = new TestGraph();
        var y = t.Node("InstanceNormalization", [t.Input("x", [-1, .. shape.Skip(1)]), t.Input("scale", 3), t.Input("bias", 3)]);
        var random = new Random(45);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(random, shape, -2, 2),
            ["scale"] = GradientCheck.RandomTensor(random, [3], 0.5, 1.5),
            ["bias"] = GradientCheck.RandomTensor(random, [3]),
        });
    }
}
