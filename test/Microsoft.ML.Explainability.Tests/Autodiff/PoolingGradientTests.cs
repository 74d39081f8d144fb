using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>Finite-difference checks of the AveragePool rule over its attribute variants, and of GlobalMaxPool.</summary>
[TestClass]
public sealed class PoolingGradientTests
{
    public static IEnumerable<object?[]> AveragePoolVariants =>
    [
        // size, kernel, strides, pads (begin..end), ceil_mode, count_include_pad, auto_pad
        [7, new long[] { 3, 3 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 0, 0, "NOTSET"],
        [7, new long[] { 3, 3 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 0, 1, "NOTSET"],
        [8, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1, 1, 1 }, 1, 0, "NOTSET"],
        [8, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1, 1, 1 }, 1, 1, "NOTSET"],
        [7, new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 0, 0, 0, 0 }, 1, 0, "NOTSET"],
        [7, new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 0, 0, 0, 0 }, 1, 1, "NOTSET"],
        [8, new long[] { 3, 2 }, new long[] { 2, 1 }, new long[] { 0, 1, 2, 0 }, 0, 0, "NOTSET"],
        [8, new long[] { 3, 2 }, new long[] { 2, 1 }, new long[] { 0, 1, 2, 0 }, 0, 1, "NOTSET"],
        [9, new long[] { 4, 4 }, new long[] { 3, 3 }, new long[] { 2, 1, 1, 2 }, 1, 1, "NOTSET"],
        [8, new long[] { 3, 3 }, new long[] { 2, 2 }, null, 0, 0, "SAME_UPPER"],
        [8, new long[] { 4, 4 }, new long[] { 3, 3 }, null, 0, 1, "SAME_LOWER"],
        [9, new long[] { 2, 3 }, new long[] { 3, 2 }, null, 0, 0, "VALID"],
    ];

    [TestMethod]
    [DynamicData(nameof(AveragePoolVariants))]
    public void AveragePool2d_gradient_matches_finite_differences(int size, long[] kernel, long[] strides, long[]? pads, int ceil, int countIncludePad, string autoPad)
    {
        var attributes = new List<AttributeValue>
        {
            AttributeValue.Ints("kernel_shape", kernel),
            AttributeValue.Ints("strides", strides),
            AttributeValue.Int("ceil_mode", ceil),
            AttributeValue.Int("count_include_pad", countIncludePad),
            AttributeValue.String("auto_pad", autoPad),
        };
        if (pads is not null)
        {
            attributes.Add(AttributeValue.Ints("pads", pads));
        }

        var t = new TestGraph();
        var pooled = t.Node("AveragePool", [t.Input("x", -1, 2, size, size)], [.. attributes]);
        var y = t.Node("Mul", [pooled, pooled]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(new Random(size + (int)kernel[0]), [2, 2, size, size]),
        }, samples: 60);
    }

    [TestMethod]
    [DataRow(0, 0)]
    [DataRow(1, 1)]
    public void AveragePool_with_dilations_matches_finite_differences(int countIncludePad, int ceil)
    {
        // Opset 19 added dilations to AveragePool: windows of 3×2 taps spaced 2 apart.
        var t = new TestGraph(19);
        var pooled = t.Node("AveragePool", [t.Input("x", -1, 2, 9, 8)],
            AttributeValue.Ints("kernel_shape", [3, 2]), AttributeValue.Ints("strides", [2, 1]), AttributeValue.Ints("dilations", [2, 2]),
            AttributeValue.Ints("pads", [1, 1, 2, 1]), AttributeValue.Int("count_include_pad", countIncludePad), AttributeValue.Int("ceil_mode", ceil));
        var y = t.Node("Mul", [pooled, pooled]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(new Random(4), [2, 2, 9, 8]),
        }, samples: 60);
    }

    [TestMethod]
    public void AveragePool1d_and_3d_gradients_match_finite_differences()
    {
        var random = new Random(2);
        var t1 = new TestGraph();
        var p1 = t1.Node("AveragePool", [t1.Input("x", -1, 2, 11)],
            AttributeValue.Ints("kernel_shape", [3]), AttributeValue.Ints("strides", [2]), AttributeValue.Ints("pads", [1, 2]), AttributeValue.Int("ceil_mode", 1));
        // The last ceil_mode window would start in the end padding: ONNX Runtime drops it (6 outputs) while ONNX shape
        // inference counts 7, so the pooled tensor is the output itself (a forward tensor of the wrong static shape
        // cannot meet the seed in a backward Mul).
        GradientCheck.AgainstFiniteDifferences(t1.Output(p1).Build(), p1, new Dictionary<string, FloatTensor> { ["x"] = GradientCheck.RandomTensor(random, [2, 2, 11]) }, samples: 40);

        var t3 = new TestGraph();
        var p3 = t3.Node("AveragePool", [t3.Input("x", -1, 2, 5, 4, 5)],
            AttributeValue.Ints("kernel_shape", [3, 2, 3]), AttributeValue.Ints("strides", [2, 1, 2]), AttributeValue.Ints("pads", [1, 0, 1, 1, 1, 0]));
        var y3 = t3.Node("Mul", [p3, p3]);
        GradientCheck.AgainstFiniteDifferences(t3.Output(y3).Build(), y3, new Dictionary<string, FloatTensor> { ["x"] = GradientCheck.RandomTensor(random, [2, 2, 5, 4, 5]) }, samples: 60);
    }

    [TestMethod]
    public void GlobalMaxPool_gradient_matches_finite_differences()
    {
        var t = new TestGraph();
        var pooled = t.Node("GlobalMaxPool", [t.Input("x", -1, 3, 4, 5)]);
        var y = t.Node("Mul", [pooled, pooled]);
        // A permutation of well-separated values: no ties, and a step of 1e-2 never changes a window's winner.
        var random = new Random(3);
        var values = Enumerable.Range(0, 2 * 3 * 20).Select(i => (float)(i * 0.05)).OrderBy(_ => random.Next()).ToArray();
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor> { ["x"] = new FloatTensor(values, 2, 3, 4, 5) }, samples: 60);
    }

    [TestMethod]
    public void GlobalMaxPool_splits_the_gradient_equally_among_ties()
    {
        var t = new TestGraph();
        var y = t.Node("GlobalMaxPool", [t.Input("x", -1, 2, 2, 2)]);
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        using var session = new GradientSession(model);
        var x = new FloatTensor([1, 4, 4, 0, 7, 2, 3, 6], 1, 2, 2, 2);
        var gradient = session.Run(new Dictionary<string, FloatTensor> { ["x"] = x }, seed: new FloatTensor([10, 3], 1, 2, 1, 1)).Gradients["x"];
        CollectionAssert.AreEqual(new float[] { 0, 5, 5, 0, 3, 0, 0, 0 }, gradient.Data);
    }
}
