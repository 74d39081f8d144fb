using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>
/// Finite-difference checks of MatMul with numpy semantics: plain, batched, broadcast batch axes and 1-D operands.
/// Shapes give the batch as −1 for a batched operand; an operand whose first dimension is fixed (and &gt; 1) is fed whole.
/// </summary>
[TestClass]
public sealed class MatMulGradientTests
{
    private const int Batch = 2;

    private static long[] Fed(long[] declared) => declared.Select(d => d < 0 ? Batch : d).ToArray();

    /// <summary>Y = MatMul(a, b), both graph inputs; gradients checked for both.</summary>
    private static void Check(long[] aShape, long[] bShape, int seed)
    {
        var t = new TestGraph();
        var y = t.Node("MatMul", [t.Input("a", aShape), t.Input("b", bShape)]);
        var random = new Random(seed);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["a"] = GradientCheck.RandomTensor(random, Fed(aShape)),
            ["b"] = GradientCheck.RandomTensor(random, Fed(bShape)),
        });
    }

    [TestMethod]
    public void MatMul_2d_by_2d_gradients_match_finite_differences() => Check([-1, 4], [4, 3], 51);

    [TestMethod]
    public void MatMul_3d_by_2d_gradients_match_finite_differences() => Check([-1, 3, 4], [4, 5], 52);

    [TestMethod]
    public void MatMul_2d_by_3d_gradients_match_finite_differences() => Check([3, 4], [-1, 4, 5], 53);

    [TestMethod]
    public void MatMul_batched_3d_by_3d_gradients_match_finite_differences() => Check([-1, 3, 4], [-1, 4, 5], 54);

    [TestMethod]
    public void MatMul_4d_by_3d_broadcast_gradients_match_finite_differences() => Check([-1, 1, 3, 4], [3, 4, 5], 55);

    [TestMethod]
    public void MatMul_2d_by_1d_gradients_match_finite_differences() => Check([-1, 4], [4], 56);

    [TestMethod]
    public void MatMul_3d_by_1d_gradients_match_finite_differences() => Check([-1, 3, 4], [4], 57);

    [TestMethod]
    public void MatMul_1d_by_3d_gradients_match_finite_differences() => Check([4], [-1, 4, 5], 58);

    [TestMethod]
    public void MatMul_4d_by_4d_gradients_match_finite_differences_with_batch_broadcast_both_ways()
    {
        // A [N, 1, 3, 4] × B [1, 3, 4, 5] → [N, 3, 3, 5]: A is broadcast along axis 1, B along axis 0. B is the
        // input [3, 4, 5] reshaped, as a fed input with a fixed leading 1 would be taken for a batched one.
        var t = new TestGraph();
        var b = t.Node("Reshape", [t.Input("b", 3, 4, 5), t.Int64s("b_shape", 1, 3, 4, 5)]);
        var y = t.Node("MatMul", [t.Input("a", -1, 1, 3, 4), b]);
        var random = new Random(59);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["a"] = GradientCheck.RandomTensor(random, [2, 1, 3, 4]),
            ["b"] = GradientCheck.RandomTensor(random, [3, 4, 5]),
        });
    }

    [TestMethod]
    public void MatMul_unbatched_4d_by_4d_gradients_match_finite_differences_with_batch_broadcast()
    {
        // A [2, 1, 3, 4] (fed whole) × B [1, 3, 4, 5] (a reshaped input) → [2, 3, 3, 5], then scaled by a batched
        // z [N, 2, 3, 3, 5] so that the checked output has a batch dimension; A and B get gradients summed over N.
        var t = new TestGraph();
        var b = t.Node("Reshape", [t.Input("b", 3, 4, 5), t.Int64s("b_shape", 1, 3, 4, 5)]);
        var product = t.Node("MatMul", [t.Input("a", 2, 1, 3, 4), b]);
        var y = t.Node("Mul", [product, t.Input("z", -1, 2, 3, 3, 5)]);
        var random = new Random(60);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["a"] = GradientCheck.RandomTensor(random, [2, 1, 3, 4]),
            ["b"] = GradientCheck.RandomTensor(random, [3, 4, 5]),
            ["z"] = GradientCheck.RandomTensor(random, [2, 2, 3, 3, 5]),
        });
    }

    [TestMethod]
    public void MatMul_1d_by_2d_gradients_match_finite_differences()
    {
        // a [4] × B [4, 3] → [3], scaled by a batched z [N, 3] so that the checked output has a batch dimension.
        var t = new TestGraph();
        var product = t.Node("MatMul", [t.Input("a", 4), t.Input("b", 4, 3)]);
        var y = t.Node("Mul", [product, t.Input("z", -1, 3)]);
        var random = new Random(61);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["a"] = GradientCheck.RandomTensor(random, [4]),
            ["b"] = GradientCheck.RandomTensor(random, [4, 3]),
            ["z"] = GradientCheck.RandomTensor(random, [2, 3]),
        });
    }

    [TestMethod]
    public void MatMul_1d_by_1d_gradients_match_finite_differences()
    {
        // a [4] · b [4] → a scalar, scaled by a batched z [N].
        var t = new TestGraph();
        var product = t.Node("MatMul", [t.Input("a", 4), t.Input("b", 4)]);
        var y = t.Node("Mul", [product, t.Input("z", -1)]);
        var random = new Random(62);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["a"] = GradientCheck.RandomTensor(random, [4]),
            ["b"] = GradientCheck.RandomTensor(random, [4]),
            ["z"] = GradientCheck.RandomTensor(random, [2]),
        });
    }

    [TestMethod]
    public void MatMul_gradient_with_a_constant_weight_matches_finite_differences()
    {
        // Only the data operand is differentiated; the weight is an initializer.
        var t = new TestGraph();
        var y = t.Node("MatMul", [t.Input("x", -1, 5, 6), t.Random("w", [6, 4])]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(new Random(63), [2, 5, 6]),
        });
    }

    [TestMethod]
    public void MatMul_gradient_is_the_transposed_product_on_a_known_example()
    {
        // Y = X·W with X [1, 2], W [2, 2]: dX = dY·Wᵀ exactly.
        var t = new TestGraph();
        var y = t.Node("MatMul", [t.Input("x", -1, 2), t.Constant("w", [2, 2], [1, 2, 3, 4])]);
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        using var session = new GradientSession(model);
        var gradient = session.Run(new Dictionary<string, FloatTensor> { ["x"] = new FloatTensor([5f, 6f], 1, 2) }, seed: new FloatTensor([1f, 10f], 1, 2)).Gradients["x"];
        CollectionAssert.AreEqual(new float[] { 21, 43 }, gradient.Data);
    }
}
