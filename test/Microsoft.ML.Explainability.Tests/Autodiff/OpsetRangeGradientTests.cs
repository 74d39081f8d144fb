using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>The same small network declared at every opset from 8 to 21 is upgraded and differentiated correctly.</summary>
[TestClass]
public sealed class OpsetRangeGradientTests
{
    public static IEnumerable<object[]> Opsets => Enumerable.Range(8, 14).Select(o => new object[] { o });

    [TestMethod]
    [DynamicData(nameof(Opsets))]
    public void Conv_pool_dense_softmax_network_matches_finite_differences(int opset)
    {
        var t = new TestGraph(opset);
        var x = t.Input("x", -1, 2, 8, 8);
        var conv = t.Node("Conv", [x, t.Random("w", [4, 2, 3, 3]), t.Random("b", [4])], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var act = t.Node("Sigmoid", [conv]);
        var pooled = t.Node("AveragePool", [act], AttributeValue.Ints("kernel_shape", [2, 2]), AttributeValue.Ints("strides", [2, 2]));
        var flat = t.Node("Flatten", [pooled], AttributeValue.Int("axis", 1));
        var dense = t.Node("Gemm", [flat, t.Random("wd", [5, 64]), t.Random("bd", [5])], AttributeValue.Int("transB", 1));
        var y = t.Node("Softmax", [dense], AttributeValue.Int("axis", 1));
        var model = t.Output(y).Build();
        Assert.AreEqual(opset, model.Opset);
        Assert.AreEqual(Math.Max(17, opset), GradientModel.Prepare(model).Opset);
        GradientCheck.AgainstFiniteDifferences(model, y, new Dictionary<string, FloatTensor> { ["x"] = GradientCheck.RandomTensor(new Random(opset), [2, 2, 8, 8]) });
    }
}
