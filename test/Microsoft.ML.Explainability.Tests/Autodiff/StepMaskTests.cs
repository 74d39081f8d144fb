using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>
/// The ReLU, Clip and Guided Backprop masks of NCHW tensors, which are emitted as a depthwise 1×1 Conv with a saturating
/// Clip (<c>StepMasks</c>), are exact steps: at the bound and at the float next to it, at the smallest normal float,
/// at ±float.MaxValue, they give exactly 0 or exactly 1 — the same as comparing, which the expected values do here.
/// The one documented exception, a positive subnormal ReLU output, is checked to get a mask between 0 and 1.
/// </summary>
[TestClass]
public sealed class StepMaskTests
{
    private const int Channels = 8;

    /// <summary>Edge values around <paramref name="bounds"/> plus the extremes of float32, repeated over 8 channels × 2 rows.</summary>
    private static FloatTensor EdgeValues(params float[] bounds)
    {
        var values = new List<float> { 0f, -0f, 1f, -1f, 1e-30f, -1e-30f, 5e-20f, 1.17549435e-38f, -1.17549435e-38f, float.MaxValue, -float.MaxValue, 3f, 7f, -7f };
        foreach (var b in bounds)
        {
            values.AddRange([b, MathF.BitIncrement(b), MathF.BitDecrement(b), MathF.BitIncrement(MathF.BitIncrement(b)), MathF.BitDecrement(MathF.BitDecrement(b))]);
        }

        var data = new float[2 * Channels * values.Count];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = values[(i * 7) % values.Count]; // a different order in each channel
        }

        return new FloatTensor(data, 2, Channels, 1, values.Count);
    }

    /// <summary>
    /// The gradient of x for the seed on Conv(y, I) (a 1×1 convolution with identity weights), so that dY reaches the
    /// mask from a convolution (a tensor ONNX Runtime holds in its blocked layout, where the Conv form of the mask is
    /// used) and still equals the seed exactly.
    /// </summary>
    private static (FloatTensor Gradient, OnnxModel GradientGraph) Backward(TestGraph t, string y, FloatTensor x, FloatTensor seed, GradientRuleRegistry? rules = null, bool throughConvolution = true)
    {
        if (throughConvolution)
        {
            var identity = new float[Channels * Channels];
            for (int k = 0; k < Channels; k++)
            {
                identity[(k * Channels) + k] = 1;
            }

            y = t.Node("Conv", [y, t.Constant("identity", [Channels, Channels, 1, 1], identity)]);
        }

        var gradientModel = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"], Rules = rules ?? GradientRuleRegistry.Default });
        using var session = new GradientSession(gradientModel);
        return (session.Run(new Dictionary<string, FloatTensor> { ["x"] = x }, seed: seed).Gradients["x"], gradientModel.Model);
    }

    private static FloatTensor Seed(FloatTensor x)
    {
        var seed = GradientCheck.RandomTensor(new Random(3), x.Shape, -2, 2);
        for (int i = 0; i < seed.Length; i++)
        {
            seed.Data[i] = seed.Data[i] == 0 ? 1 : seed.Data[i];
        }

        return seed;
    }

    private static void AssertMask(FloatTensor x, FloatTensor seed, FloatTensor gradient, Func<float, bool> passes, string what)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float expected = passes(x.Data[i]) ? seed.Data[i] : 0f;
            if (float.IsSubnormal(x.Data[i]) && x.Data[i] > 0)
            {
                // The documented limit: a positive subnormal output (below 2^-126) gets a mask in [0, 1].
                Assert.IsTrue(gradient.Data[i] / seed.Data[i] is >= 0f and <= 1f, $"{what}: x = {x.Data[i]:R}, dY = {seed.Data[i]:R}, dX = {gradient.Data[i]:R}");
                continue;
            }

            Assert.AreEqual(expected, gradient.Data[i], $"{what}: x = {x.Data[i]:R}, dY = {seed.Data[i]:R}");
        }
    }

    /// <summary>The mask's signature: a backward Conv whose output only a Clip reads, and no Where.</summary>
    private static void AssertBlockedForm(OnnxModel gradientGraph)
    {
        var nodes = gradientGraph.Nodes;
        var clipped = nodes.Where(n => n.OpType == "Clip").Select(n => n.Inputs[0]).ToHashSet(StringComparer.Ordinal);
        Assert.IsTrue(nodes.Any(n => n.OpType == "Conv" && n.Name.StartsWith("grad/", StringComparison.Ordinal) && clipped.Contains(n.Outputs[0])), "the mask took the comparison form, so this test did not exercise the convolution form");
        Assert.IsFalse(nodes.Any(n => n.OpType == "Where" && n.Name.StartsWith("grad/", StringComparison.Ordinal)), "a comparison form is left in the backward graph");
    }

    [TestMethod]
    public void Relu_mask_is_exactly_one_where_the_output_is_positive()
    {
        var x = EdgeValues();
        var t = new TestGraph();
        var y = t.Node("Relu", [t.Input("x", [-1, .. x.Shape.Skip(1)])]);
        var seed = Seed(x);
        var (gradient, graph) = Backward(t, y, x, seed);
        AssertBlockedForm(graph);
        AssertMask(x, seed, gradient, v => v > 0, "ReLU");
    }

    [TestMethod]
    [DataRow(0f, 6f)]
    [DataRow(-1.5f, 3.25f)]
    [DataRow(1e-20f, 1e20f)]
    [DataRow(-3.4e38f, 0.1f)]
    public void Clip_mask_is_exactly_one_strictly_between_the_bounds(float min, float max)
    {
        var x = EdgeValues(min, max);
        var t = new TestGraph();
        var y = t.Node("Clip", [t.Input("x", [-1, .. x.Shape.Skip(1)]), t.Constant("min", [], [min]), t.Constant("max", [], [max])]);
        var seed = Seed(x);
        var (gradient, graph) = Backward(t, y, x, seed);
        AssertBlockedForm(graph);
        AssertMask(x, seed, gradient, v => v > min && v < max, $"Clip({min:R}, {max:R})");
    }

    [TestMethod]
    public void Clip_with_only_a_lower_bound_masks_one_side()
    {
        var x = EdgeValues(0.75f);
        var t = new TestGraph();
        var y = t.Node("Clip", [t.Input("x", [-1, .. x.Shape.Skip(1)]), t.Constant("min", [], [0.75f])]);
        var seed = Seed(x);
        var (gradient, graph) = Backward(t, y, x, seed);
        AssertBlockedForm(graph);
        AssertMask(x, seed, gradient, v => v > 0.75f, "Clip(0.75, ∞)");
    }

    [TestMethod]
    public void Guided_backprop_mask_keeps_positive_gradients_where_the_output_is_positive()
    {
        var x = EdgeValues();
        var t = new TestGraph();
        var y = t.Node("Relu", [t.Input("x", [-1, .. x.Shape.Skip(1)])]);
        var seed = Seed(x);
        var (gradient, graph) = Backward(t, y, x, seed, ModifiedReluRules.WithGuidedBackprop());
        AssertBlockedForm(graph);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.AreEqual(x.Data[i] > 0 ? Math.Max(seed.Data[i], 0f) : 0f, gradient.Data[i], $"x = {x.Data[i]:R}, dY = {seed.Data[i]:R}");
        }
    }

    [TestMethod]
    public void A_gradient_not_in_the_blocked_layout_keeps_the_comparison_form()
    {
        var x = EdgeValues();
        var t = new TestGraph();
        var y = t.Node("Relu", [t.Input("x", [-1, .. x.Shape.Skip(1)])]);
        var seed = Seed(x);
        var (gradient, graph) = Backward(t, y, x, seed, throughConvolution: false);
        Assert.IsFalse(graph.Nodes.Any(n => n.OpType == "Conv"), "dY is the seed input itself, not a convolution's output");
        AssertMask(x, seed, gradient, v => v > 0, "ReLU, comparison form");
    }

    [TestMethod]
    public void A_tensor_that_is_not_NCHW_keeps_the_comparison_form()
    {
        var edges = EdgeValues();
        var x = new FloatTensor(edges.Data, 2, Channels, edges.Shape[3]);
        var t = new TestGraph();
        var y = t.Node("Relu", [t.Input("x", [-1, .. x.Shape.Skip(1)])]);
        var seed = Seed(x);
        var (gradient, graph) = Backward(t, y, x, seed, throughConvolution: false);
        Assert.IsFalse(graph.Nodes.Any(n => n.OpType == "Conv"), "the convolution form is for NCHW tensors");
        AssertMask(x, seed, gradient, v => v > 0, "ReLU, comparison form");
    }
}
