using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>Finite-difference checks of the Conv rule over its attribute variants.</summary>
[TestClass]
public sealed class ConvolutionGradientTests
{
    public static IEnumerable<object[]> Variants =>
    [
        // channelsIn, channelsOut, size, kernel, strides, dilations, pads (begin..end), group, autoPad
        [3, 4, 7, 3, new long[] { 1, 1 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 1, "NOTSET"],
        [3, 4, 8, 3, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 1, "NOTSET"],
        [2, 2, 9, 3, new long[] { 2, 1 }, new long[] { 2, 2 }, new long[] { 2, 1, 0, 2 }, 1, "NOTSET"],
        [4, 6, 8, 3, new long[] { 1, 1 }, new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, 2, "NOTSET"],
        [4, 4, 8, 3, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 4, "NOTSET"],
        [3, 2, 7, 3, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 3, 3, 2, 2 }, 1, "NOTSET"],
        [3, 2, 8, 3, new long[] { 2, 2 }, new long[] { 1, 1 }, null!, 1, "SAME_UPPER"],
        [3, 2, 8, 4, new long[] { 3, 3 }, new long[] { 1, 1 }, null!, 1, "SAME_LOWER"],
        [3, 2, 9, 2, new long[] { 3, 2 }, new long[] { 1, 1 }, null!, 1, "VALID"],
        // Stride 1 takes the flipped-kernel Conv path: dilations, asymmetric pads, groups, depthwise.
        [4, 6, 9, 3, new long[] { 1, 1 }, new long[] { 2, 1 }, new long[] { 2, 0, 1, 2 }, 2, "NOTSET"],
        [4, 4, 8, 3, new long[] { 1, 1 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 4, "NOTSET"],
        [3, 5, 8, 4, new long[] { 1, 1 }, new long[] { 1, 1 }, null!, 1, "SAME_UPPER"],
        // Strided depthwise (MobileNet, EfficientNet) takes the upsampled flipped-Conv path: odd and even sizes, 5×5,
        // SAME padding, a pad wider than the reach (ConvTranspose again), dilation.
        [4, 4, 7, 3, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 4, "NOTSET"],
        [3, 3, 9, 5, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 2, 2, 2, 2 }, 3, "NOTSET"],
        [3, 3, 8, 3, new long[] { 3, 3 }, new long[] { 1, 1 }, null!, 3, "SAME_UPPER"],
        [2, 2, 8, 3, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 0, 0, 1, 1 }, 2, "NOTSET"],
        [2, 2, 8, 1, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1, 0, 0 }, 2, "NOTSET"],
        [2, 2, 11, 3, new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 2, 2, 2, 2 }, 2, "NOTSET"],
        // More strided geometries: grouped, 7×7 stride 2 (a ResNet stem), k×k stride k (patchifying stems), 5×5 with
        // asymmetric pads, and an input whose last rows the forward never reads.
        [4, 6, 9, 3, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 2, "NOTSET"],
        [3, 8, 15, 7, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 3, 3, 3, 3 }, 1, "NOTSET"],
        [3, 4, 8, 4, new long[] { 4, 4 }, new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, 1, "NOTSET"],
        [3, 4, 8, 2, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, 1, "NOTSET"],
        [2, 3, 9, 5, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 2, 1, 2, 0 }, 1, "NOTSET"],
        [3, 2, 8, 3, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 0, 0, 0, 0 }, 1, "NOTSET"],
        // A pad wider than the kernel's reach needs negative pads in the flipped form: ConvTranspose is used instead.
        [2, 3, 6, 1, new long[] { 1, 1 }, new long[] { 1, 1 }, new long[] { 1, 1, 1, 1 }, 1, "NOTSET"],
    ];

    [TestMethod]
    [DynamicData(nameof(Variants))]
    public void Conv2d_input_and_bias_gradients_match_finite_differences(int cin, int cout, int size, int k, long[] strides, long[] dilations, long[]? pads, int group, string autoPad)
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, cin, size, size);
        var w = t.Random("w", [cout, cin / group, k, k]);
        var b = t.Input("b", cout);
        var attributes = new List<AttributeValue>
        {
            AttributeValue.Ints("strides", strides),
            AttributeValue.Ints("dilations", dilations),
            AttributeValue.Int("group", group),
            AttributeValue.String("auto_pad", autoPad),
        };
        if (pads is not null)
        {
            attributes.Add(AttributeValue.Ints("pads", pads));
        }

        var y = t.Node("Conv", [x, w, b], [.. attributes]);
        var model = t.Output(y).Build();
        var random = new Random(1);
        GradientCheck.AgainstFiniteDifferences(model, y, new Dictionary<string, FloatTensor>
        {
            ["x"] = GradientCheck.RandomTensor(random, [2, cin, size, size]),
            ["b"] = GradientCheck.RandomTensor(random, [cout]),
        });
    }

    [TestMethod]
    public void Strided_depthwise_gradient_is_a_depthwise_conv_of_the_upsampled_gradient_not_a_conv_transpose()
    {
        var t = new TestGraph();
        var y = t.Node("Conv", [t.Input("x", -1, 4, 8, 8), t.Random("w", [4, 1, 3, 3])],
            AttributeValue.Ints("strides", [2, 2]), AttributeValue.Ints("pads", [1, 1, 1, 1]), AttributeValue.Int("group", 4));
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        var ops = model.Model.Proto.Graph.Node.Select(n => n.OpType).ToList();
        CollectionAssert.Contains(ops, "Resize");
        CollectionAssert.DoesNotContain(ops, "ConvTranspose");
    }

    [TestMethod]
    public void Conv1d_and_conv3d_gradients_match_finite_differences()
    {
        var random = new Random(2);
        var t1 = new TestGraph();
        var y1 = t1.Node("Conv", [t1.Input("x", -1, 2, 11), t1.Random("w", [3, 2, 3])], AttributeValue.Ints("strides", [2]), AttributeValue.Ints("pads", [1, 0]));
        GradientCheck.AgainstFiniteDifferences(t1.Output(y1).Build(), y1, new Dictionary<string, FloatTensor> { ["x"] = GradientCheck.RandomTensor(random, [2, 2, 11]) });

        var t3 = new TestGraph();
        var y3 = t3.Node("Conv", [t3.Input("x", -1, 2, 5, 5, 5), t3.Random("w", [2, 2, 3, 3, 3])], AttributeValue.Ints("pads", [1, 1, 1, 1, 1, 1]));
        GradientCheck.AgainstFiniteDifferences(t3.Output(y3).Build(), y3, new Dictionary<string, FloatTensor> { ["x"] = GradientCheck.RandomTensor(random, [1, 2, 5, 5, 5]) });
    }
}
