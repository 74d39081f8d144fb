using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>
/// Finite-difference checks of the Resize rule: nearest, linear and cubic modes with each coordinate transformation
/// mode, up- and downsampling, scales or sizes. Resize is linear in X, so the differences are exact up to float32
/// rounding and every output's weights are checked wherever the sampled input coordinates fall.
/// </summary>
[TestClass]
public sealed class ResizeGradientTests
{
    private const int Height = 5;
    private const int Width = 6;

    private static readonly string[] Transforms = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"];

    /// <summary>Y = Resize(X)² for X [N, 2, 5, 6], resized along H and W by the scales given (or to the sizes they imply).</summary>
    private static void Check(string mode, string transform, float scaleH, float scaleW, bool sizes, string nearestMode = "round_prefer_floor", int opset = 17, params AttributeValue[] extra)
    {
        var t = new TestGraph(opset);
        var x = t.Input("x", -1, 2, Height, Width);
        var attributes = new List<AttributeValue>
        {
            AttributeValue.String("mode", mode),
            AttributeValue.String("coordinate_transformation_mode", transform),
            AttributeValue.String("nearest_mode", nearestMode),
        };
        attributes.AddRange(extra);
        string[] inputs;
        if (sizes)
        {
            // sizes = [N, 2] read from X at run time, then the spatial sizes: not a constant, as exporters write it.
            long outH = (long)Math.Floor(Height * scaleH), outW = (long)Math.Floor(Width * scaleW);
            var leading = t.Node("Shape", [x], AttributeValue.Int("start", 0), AttributeValue.Int("end", 2));
            var size = t.Node("Concat", [leading, t.Int64s("spatial", outH, outW)], AttributeValue.Int("axis", 0));
            inputs = [x, "", "", size];
        }
        else
        {
            inputs = [x, "", t.Constant("scales", [4], [1, 1, scaleH, scaleW])];
        }

        var resized = t.Node("Resize", inputs, [.. attributes]);
        var y = t.Node("Mul", [resized, resized]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(new Random(1), [2, 2, Height, Width]),
        }, samples: 60);
    }

    public static IEnumerable<object[]> LinearVariants =>
        from transform in Transforms
        from scales in new[] { (2f, 1.5f), (0.6f, 0.5f), (1.7f, 0.7f) }
        from sizes in new[] { false, true }
        select new object[] { transform, scales.Item1, scales.Item2, sizes };

    [TestMethod]
    [DynamicData(nameof(LinearVariants))]
    public void Linear_resize_gradient_matches_finite_differences(string transform, float scaleH, float scaleW, bool sizes) =>
        Check("linear", transform, scaleH, scaleW, sizes);

    public static IEnumerable<object[]> NearestVariants =>
        from transform in Transforms
        from nearest in new[] { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" }
        from scales in new[] { (2f, 3f), (0.6f, 0.5f), (1.5f, 0.7f) }
        select new object[] { transform, nearest, scales.Item1, scales.Item2, nearest == "floor" };

    [TestMethod]
    [DynamicData(nameof(NearestVariants))]
    public void Nearest_resize_gradient_matches_finite_differences(string transform, string nearestMode, float scaleH, float scaleW, bool sizes) =>
        Check("nearest", transform, scaleH, scaleW, sizes, nearestMode);

    [TestMethod]
    [DataRow("half_pixel", 2f, 1.5f, 0)]
    [DataRow("asymmetric", 1.6f, 1.4f, 1)]
    [DataRow("align_corners", 2f, 2f, 0)]
    [DataRow("pytorch_half_pixel", 1.5f, 1.75f, 1)]
    public void Cubic_resize_gradient_matches_finite_differences(string transform, float scaleH, float scaleW, int excludeOutside) =>
        Check("cubic", transform, scaleH, scaleW, sizes: false, extra: [AttributeValue.Int("exclude_outside", excludeOutside), AttributeValue.Float("cubic_coeff_a", -0.5f)]);

    [TestMethod]
    [DataRow("linear")]
    [DataRow("nearest")]
    public void Half_pixel_symmetric_resize_gradient_matches_finite_differences(string mode) =>
        Check(mode, "half_pixel_symmetric", 1.7f, 0.7f, sizes: false, opset: 19);

    [TestMethod]
    [DataRow("linear")]
    [DataRow("nearest")]
    public void Tf_crop_and_resize_gradient_matches_finite_differences(string mode)
    {
        // A roi that reaches outside the input on both sides: outputs there take the extrapolation value and get no gradient.
        var t = new TestGraph();
        var x = t.Input("x", -1, 2, Height, Width);
        var roi = t.Constant("roi", [8], [0, 0, -0.2f, 0.3f, 1, 1, 0.9f, 1.3f]);
        var resized = t.Node("Resize", [x, roi, t.Constant("scales", [4], [1, 1, 1.6f, 1.5f])],
            AttributeValue.String("mode", mode), AttributeValue.String("coordinate_transformation_mode", "tf_crop_and_resize"), AttributeValue.Float("extrapolation_value", 2f));
        var y = t.Node("Mul", [resized, resized]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(new Random(2), [2, 2, Height, Width]),
        }, samples: 60);
    }

    [TestMethod]
    public void Resize_with_axes_and_constant_sizes_matches_finite_differences()
    {
        // Opset 18: sizes given for axes [3, 2] only, as a constant.
        var t = new TestGraph(18);
        var resized = t.Node("Resize", [t.Input("x", -1, 2, Height, Width), "", "", t.Int64s("sizes", 4, 9)],
            AttributeValue.String("mode", "linear"), AttributeValue.Ints("axes", [3, 2]));
        var y = t.Node("Mul", [resized, resized]);
        GradientCheck.AgainstFiniteDifferences(t.Output(y).Build(), y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(new Random(3), [2, 2, Height, Width]),
        }, samples: 60);
    }

    [TestMethod]
    public void Nearest_upsampling_by_2_sends_each_input_the_sum_of_its_four_copies()
    {
        var t = new TestGraph();
        var y = t.Node("Resize", [t.Input("x", -1, 1, 2, 2), "", t.Constant("scales", [4], [1, 1, 2, 2])], AttributeValue.String("mode", "nearest"));
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        using var session = new GradientSession(model);
        var seed = new FloatTensor(Enumerable.Range(0, 16).Select(i => (float)(1 << (i % 8)) * (i < 8 ? 1 : 1000)).ToArray(), 1, 1, 4, 4);
        var gradient = session.Run(new Dictionary<string, FloatTensor> { ["x"] = new FloatTensor([1, 2, 3, 4], 1, 1, 2, 2) }, seed: seed).Gradients["x"];

        // half_pixel, round_prefer_floor, scale 2: output row/column o reads input ⌊o/2⌋ (o = 0,1 → 0; 2,3 → 1).
        var expected = new float[4];
        for (int o = 0; o < 16; o++)
        {
            expected[((o / 4 / 2) * 2) + (o % 4 / 2)] += seed.Data[o];
        }

        CollectionAssert.AreEqual(expected, gradient.Data);
    }
}
