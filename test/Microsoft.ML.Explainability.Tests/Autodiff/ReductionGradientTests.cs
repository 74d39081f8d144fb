using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>Finite-difference checks of the reduction rules over axes, keepdims and noop_with_empty_axes.</summary>
[TestClass]
public sealed class ReductionGradientTests
{
    private static readonly long[] BatchedShape = [2, 3, 4, 5];

    /// <summary>
    /// Builds Y = Reduce(X)² for X [N, 3, 4, 5] (or an unbatched X [3, 4, 5]: reducing the batch axis would leave no
    /// batch rows). Axes go in an attribute for ReduceMean/Max/Min… below opset 18 and in an input otherwise
    /// (ReduceSum always).
    /// </summary>
    private static (OnnxModel Model, string Output) Reduction(string op, long[]? axes, int keepDims, int opset = 17, bool runTimeAxes = false, int noop = 0, bool batched = true)
    {
        var t = new TestGraph(opset);
        var inputs = new List<string> { batched ? t.Input("x", -1, 3, 4, 5) : t.Input("x", 3, 4, 5) };
        var attributes = new List<AttributeValue> { AttributeValue.Int("keepdims", keepDims) };
        bool axesAsInput = op == "ReduceSum" || opset >= 18;
        if (axes is not null && axesAsInput)
        {
            var axesTensor = t.Int64s("axes", axes);
            inputs.Add(runTimeAxes ? t.Node("Identity", [axesTensor]) : axesTensor);
        }
        else if (axes is not null)
        {
            attributes.Add(AttributeValue.Ints("axes", axes));
        }

        if (noop != 0)
        {
            attributes.Add(AttributeValue.Int("noop_with_empty_axes", noop));
        }

        var reduced = t.Node(op, [.. inputs], [.. attributes]);
        var y = t.Node("Mul", [reduced, reduced]);
        return (t.Output(y).Build(), y);
    }

    /// <summary>Distinct values (a shuffled ramp) so that max and min have no ties and a finite step never changes the winner.</summary>
    private static FloatTensor Distinct(int seed, bool batched = true)
    {
        var random = new Random(seed);
        long[] shape = batched ? BatchedShape : BatchedShape[1..];
        var count = (int)shape.Aggregate(1L, (a, b) => a * b);
        return new FloatTensor(Enumerable.Range(0, count).Select(i => (float)(0.3 + (i * 0.05))).OrderBy(_ => random.Next()).ToArray(), shape);
    }

    private static Dictionary<string, FloatTensor> Feeds(FloatTensor x) => new() { ["x"] = x };

    [TestMethod]
    [DataRow("ReduceSum", new long[] { 1 }, 1, 17)]
    [DataRow("ReduceSum", new long[] { 1, 3 }, 0, 17)]
    [DataRow("ReduceSum", new long[] { -1, -2 }, 1, 17)]
    [DataRow("ReduceMean", new long[] { 1 }, 0, 17)]
    [DataRow("ReduceMean", new long[] { 1, 3 }, 1, 17)]
    [DataRow("ReduceMean", new long[] { -1, 2 }, 0, 18)]
    [DataRow("ReduceMean", new long[] { 3, 1, 2 }, 0, 17)]
    [DataRow("ReduceMax", new long[] { 2 }, 0, 17)]
    [DataRow("ReduceMax", new long[] { 1, 3 }, 1, 18)]
    [DataRow("ReduceMin", new long[] { -1 }, 1, 17)]
    [DataRow("ReduceMin", new long[] { 2, 3 }, 0, 18)]
    [DataRow("ReduceL1", new long[] { 1, 2 }, 0, 17)]
    [DataRow("ReduceL2", new long[] { 3 }, 1, 18)]
    [DataRow("ReduceSumSquare", new long[] { 1, 3 }, 0, 17)]
    [DataRow("ReduceLogSum", new long[] { 2 }, 1, 17)]
    [DataRow("ReduceLogSumExp", new long[] { 1, -1 }, 0, 18)]
    public void Reduction_gradients_match_finite_differences(string op, long[]? axes, int keepDims, int opset)
    {
        var (model, y) = Reduction(op, axes, keepDims, opset);
        GradientCheck.AgainstFiniteDifferences(model, y, Feeds(Distinct(1)), samples: 40);
    }

    [TestMethod]
    [DataRow("ReduceSum", new long[] { 0, 2 }, 17)]
    [DataRow("ReduceSum", null, 17)]
    [DataRow("ReduceMean", new long[] { 0 }, 17)]
    [DataRow("ReduceMean", null, 18)]
    [DataRow("ReduceMax", null, 17)]
    public void Reductions_over_the_first_axis_or_all_axes_of_an_unbatched_tensor_match_finite_differences(string op, long[]? axes, int opset)
    {
        var (model, y) = Reduction(op, axes, keepDims: 1, opset, batched: false);
        GradientCheck.AgainstFiniteDifferences(model, y, Feeds(Distinct(4, batched: false)), samples: 30);
    }

    [TestMethod]
    [DataRow("ReduceSum", 0)]
    [DataRow("ReduceMean", 0)]
    [DataRow("ReduceMax", 0)]
    [DataRow("ReduceMean", 1)]
    public void Reductions_over_axes_computed_at_run_time_match_finite_differences(string op, int keepDims)
    {
        var (model, y) = Reduction(op, [1, -1], keepDims, opset: 18, runTimeAxes: true);
        GradientCheck.AgainstFiniteDifferences(model, y, Feeds(Distinct(2)), samples: 40);
    }

    [TestMethod]
    [DataRow("ReduceSum")]
    [DataRow("ReduceMean")]
    [DataRow("ReduceMax")]
    [DataRow("ReduceL2")]
    public void Noop_with_empty_axes_is_the_identity(string op)
    {
        var (model, y) = Reduction(op, null, 1, opset: 18, noop: 1);
        GradientCheck.AgainstFiniteDifferences(model, y, Feeds(Distinct(3)), samples: 30);
    }

    [TestMethod]
    public void ReduceMax_splits_the_gradient_equally_among_ties()
    {
        var t = new TestGraph(18);
        var y = t.Node("ReduceMax", [t.Input("x", -1, 4), t.Int64s("axes", 1)], AttributeValue.Int("keepdims", 0));
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        using var session = new GradientSession(model);
        var x = new FloatTensor([3, 1, 3, 3, 0, 5, 2, 1], 2, 4);
        var gradient = session.Run(new Dictionary<string, FloatTensor> { ["x"] = x }, seed: new FloatTensor([6, 2], 2)).Gradients["x"];
        CollectionAssert.AreEqual(new float[] { 2, 0, 2, 2, 0, 2, 0, 0 }, gradient.Data);
    }
}
