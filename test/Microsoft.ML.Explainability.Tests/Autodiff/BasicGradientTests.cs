using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>Finite-difference checks of ReLU, Gemm, broadcasting arithmetic and pooling rules.</summary>
[TestClass]
public sealed class BasicGradientTests
{
    private static Dictionary<string, FloatTensor> Feeds(params (string Name, FloatTensor Value)[] feeds) => feeds.ToDictionary(f => f.Name, f => f.Value);

    /// <summary>Values kept at least 0.1 away from 0 so that a finite step never crosses the ReLU kink.</summary>
    private static FloatTensor AwayFromZero(Random random, long[] shape)
    {
        var t = GradientCheck.RandomTensor(random, shape);
        for (int i = 0; i < t.Length; i++)
        {
            t.Data[i] = (t.Data[i] < 0 ? -0.1f : 0.1f) + t.Data[i];
        }

        return t;
    }

    [TestMethod]
    public void Relu_gradient_matches_finite_differences()
    {
        var t = new TestGraph();
        var y = t.Node("Relu", [t.Input("x", -1, 5, 4)]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", AwayFromZero(new Random(3), [3, 5, 4]))));
    }

    [TestMethod]
    [DataRow(0, 0, 1.0f, 1.0f)]
    [DataRow(1, 0, 0.5f, 2.0f)]
    [DataRow(0, 1, 1.5f, 0.25f)]
    [DataRow(1, 1, -0.7f, 1.0f)]
    public void Gemm_gradients_match_finite_differences(int transA, int transB, float alpha, float beta)
    {
        var t = new TestGraph();
        var x = t.Input("a", -1, 4);
        var a = transA == 1 ? t.Node("Transpose", [x], AttributeValue.Ints("perm", [1, 0])) : x;
        var b = t.Input("b", transB == 1 ? [3, 4] : [4, 3]);
        var c = t.Input("c", 3);
        var y = t.Node("Gemm", [a, b, c], AttributeValue.Int("transA", transA), AttributeValue.Int("transB", transB), AttributeValue.Float("alpha", alpha), AttributeValue.Float("beta", beta));
        var random = new Random(4);
        // With transA, A is the transposed batch [4, N], so Gemm's output is still [N, 3].
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(
            ("a", GradientCheck.RandomTensor(random, [5, 4])),
            ("b", GradientCheck.RandomTensor(random, transB == 1 ? [3, 4] : [4, 3])),
            ("c", GradientCheck.RandomTensor(random, [3]))));
    }

    [TestMethod]
    [DataRow("Add")]
    [DataRow("Sub")]
    [DataRow("Mul")]
    [DataRow("Div")]
    public void Broadcasting_arithmetic_gradients_match_finite_differences(string op)
    {
        var t = new TestGraph();
        var a = t.Input("a", -1, 3, 4, 5);
        var b = t.Input("b", 3, 1, 5);
        var c = t.Input("c", 5);
        var y = t.Node(op, [t.Node(op, [a, b]), c]);
        var random = new Random(5);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(
            ("a", GradientCheck.RandomTensor(random, [2, 3, 4, 5], 0.5, 1.5)),
            ("b", GradientCheck.RandomTensor(random, [3, 1, 5], 0.5, 1.5)),
            ("c", GradientCheck.RandomTensor(random, [5], 0.5, 1.5))));
    }

    [TestMethod]
    [DataRow(2, 2, 0, 0)]
    [DataRow(3, 2, 1, 0)]
    [DataRow(3, 1, 1, 0)]
    [DataRow(3, 2, 0, 1)]
    public void MaxPool_gradient_matches_finite_differences_with_overlapping_windows(int kernel, int stride, int pad, int ceil)
    {
        var t = new TestGraph();
        var y = t.Node("MaxPool", [t.Input("x", -1, 2, 7, 7)],
            AttributeValue.Ints("kernel_shape", [kernel, kernel]), AttributeValue.Ints("strides", [stride, stride]),
            AttributeValue.Ints("pads", [pad, pad, pad, pad]), AttributeValue.Int("ceil_mode", ceil));
        // A permutation of well-separated values: no ties, and a step of 1e-2 never changes a window's winner.
        var random = new Random(6);
        var values = Enumerable.Range(0, 2 * 2 * 49).Select(i => (float)(i * 0.05)).OrderBy(_ => random.Next()).ToArray();
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", new FloatTensor(values, 2, 2, 7, 7))), samples: 60);
    }

    [TestMethod]
    public void MaxPool_sends_the_sum_of_overlapping_window_gradients_to_a_shared_winner()
    {
        // 1×1×3×3 input whose centre is the maximum of all four 2×2 windows (stride 1): its gradient is the sum of the four seeds.
        var t = new TestGraph();
        var y = t.Node("MaxPool", [t.Input("x", -1, 1, 3, 3)], AttributeValue.Ints("kernel_shape", [2, 2]));
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        using var session = new GradientSession(model);
        var x = new FloatTensor([0, 1, 0, 2, 9, 3, 0, 4, 0], 1, 1, 3, 3);
        var seed = new FloatTensor([1, 10, 100, 1000], 1, 1, 2, 2);
        var gradient = session.Run(new Dictionary<string, FloatTensor> { ["x"] = x }, seed: seed).Gradients["x"];
        CollectionAssert.AreEqual(new float[] { 0, 0, 0, 0, 1111, 0, 0, 0, 0 }, gradient.Data);
    }

    [TestMethod]
    public void GlobalAveragePool_flatten_and_reshape_gradients_match_finite_differences()
    {
        var t = new TestGraph();
        var pooled = t.Node("GlobalAveragePool", [t.Input("x", -1, 3, 4, 5)]);
        var flat = t.Node("Flatten", [pooled], AttributeValue.Int("axis", 1));
        var y = t.Node("Reshape", [t.Node("Identity", [flat]), t.Int64s("shape", -1, 3, 1)]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, Feeds(("x", GradientCheck.RandomTensor(new Random(7), [2, 3, 4, 5]))));
    }
}
