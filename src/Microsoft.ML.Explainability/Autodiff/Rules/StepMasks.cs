using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>
/// The 0/1 masks of piecewise-linear activations (ReLU, Clip/ReLU6, Guided Backprop's ReLU), emitted in the form ONNX
/// Runtime's CPU provider runs fastest on image tensors.
/// </summary>
/// <remarks>
/// <para>
/// The plain form, <c>Where(Y &gt; t, dY, 0)</c>, has no kernel in ONNX Runtime's blocked (NCHWc) layout: around every
/// mask the runtime converts dY out of the blocked layout and back (ReorderOutput/ReorderInput), and its Where and
/// comparison kernels are slow. On MobileNetV2 these took half the backward pass. For a float NCHW tensor whose channel
/// count is known and a multiple of 8, and whose dY the runtime most likely holds blocked (<see cref="LikelyBlocked"/>),
/// the mask is instead a per-channel (depthwise) 1×1 convolution followed by Clip(·, 0, 1), which the runtime fuses
/// into one blocked convolution, and the product dY·mask is a Mul of two blocked tensors of the same shape (dY's shape
/// is declared so that it can prove that), which it keeps blocked too. Every other tensor gets the plain form:
/// next to a dY in plain layout the convolution form is slower.
/// </para>
/// <para>
/// The step is exact, not a steep ramp. 1{Y &gt; t} = Clip(B·Y − B·t, 0, 1) with B a power of two: B·Y and B·t are
/// exact (scaling by a power of two), so B·Y − B·t is 0 exactly when Y = t and otherwise at least B times the gap
/// between t and its nearest float. B is chosen so that this is ≥ 1, and B·t stays far from overflow (an overflowing
/// B·Y gives ±∞, which Clip saturates correctly). For t = 0 (ReLU) B = 2^126: every positive normal float gives 1; only
/// a positive subnormal output (below 2^-126 ≈ 1.2e-38) would get a fraction instead of 1. This holds for any float32
/// convolution (the product B·Y is one exact term); it needs the convolution to run in float32, not TF32 — the library
/// turns TF32 off in its CUDA sessions.
/// </para>
/// </remarks>
internal static class StepMasks
{
    /// <summary>dY·1{Y &gt; 0}, with Y the node's output 0 (ReLU's mask: the output is positive exactly where the input is).</summary>
    public static string TimesPositiveOutput(GradientContext c, string dY)
    {
        var g = c.Graph;
        var y = c.Output(0);
        return LikelyBlocked(c.Graph, dY) && Above(c, c.OutputInfo(0), 0f) is { } mask
            ? Times(c, dY, mask)
            : g.Where(g.Node("Greater", [y, c.Scalar(0)]), dY, c.Scalar(0));
    }

    /// <summary>
    /// dY·mask, with dY's shape (the node's output's) declared, so that ONNX Runtime can prove the two factors equal in
    /// shape and keep the product blocked: the mask's shape it infers from the forward output, dY's it cannot once a
    /// shape computed at run time lies on the way back from the seed.
    /// </summary>
    public static string Times(GradientContext c, string dY, string mask)
    {
        c.Graph.DeclareShape(dY, c.OutputInfo(0));
        return c.Graph.Mul(dY, mask);
    }

    /// <summary>
    /// Whether ONNX Runtime's CPU provider will most likely hold <paramref name="tensor"/> in its blocked layout: the
    /// output of a convolution with constant weights and a multiple of 8 output channels (a Clip after it is fused
    /// into it), or a Relu, Add, Sum or Mul of such tensors — the operators its NCHWc transformer rewrites. A mask is
    /// worth its convolution only for such a dY: next to a dY in plain layout (the gradient of a Split, a Slice or a
    /// MaxPool scatter), the mask would be converted out of the blocked layout and the product back into it, and the
    /// comparison form is faster. This decides speed only; both forms give the same values.
    /// </summary>
    public static bool LikelyBlocked(GraphEmitter graph, string tensor, int depth = 0)
    {
        var producer = graph.FindProducer(tensor);
        if (producer is null || depth > 8)
        {
            return false;
        }

        return producer.OpType switch
        {
            "Conv" => producer.Input.Count > 1 && graph.FindInitializer(producer.Input[1]) is { Dims.Count: 4 } weights && weights.Dims[0] % 8 == 0,
            "Clip" or "Relu" => LikelyBlocked(graph, producer.Input[0], depth + 1),
            "Add" or "Sum" or "Mul" => producer.Input.All(i => LikelyBlocked(graph, i, depth + 1)),
            _ => false,
        };
    }

    /// <summary>
    /// 1{<paramref name="tensor"/> &gt; <paramref name="threshold"/>} as a float 0/1 tensor, or null when the tensor is not
    /// a float NCHW tensor with a known channel count that is a multiple of 8 (the blocked layout's channel block on
    /// AVX2) or the threshold is too small for an exact step (then the caller uses a comparison).
    /// </summary>
    public static string? Above(GradientContext c, TensorInfo tensor, float threshold) => Step(c, tensor, threshold, 1);

    /// <summary>1{<paramref name="tensor"/> &lt; <paramref name="threshold"/>}; null as for <see cref="Above"/>.</summary>
    public static string? Below(GradientContext c, TensorInfo tensor, float threshold) => Step(c, tensor, threshold, -1);

    /// <summary>Whether <see cref="Above"/> and <see cref="Below"/> give a mask (not null) for this tensor and threshold.</summary>
    public static bool Applies(GradientContext c, TensorInfo tensor, float threshold) =>
        tensor.ElementType == TensorElementType.Float && tensor.Rank == 4 && tensor.Shape[1] > 0 && tensor.Shape[1] % 8 == 0
        && float.IsFinite(threshold) && c.Opset >= 11 && 24 - Exponent(threshold) <= 126;

    /// <summary>e with t = m·2^e, 1 ≤ |m| &lt; 2; for t = 0, the e that gives B = 2^126.</summary>
    private static int Exponent(float threshold) => threshold == 0 ? 24 - 126 : float.ILogB(threshold);

    /// <summary>Clip(sign·B·(X − t), 0, 1) as a depthwise 1×1 Conv (weight sign·B, bias −sign·B·t) and a Clip.</summary>
    private static string? Step(GradientContext c, TensorInfo tensor, float threshold, int sign)
    {
        if (!Applies(c, tensor, threshold))
        {
            return null;
        }

        // B·gap ≥ 1 with gap ≥ 2^(e−24) the spacing of floats next to t = m·2^e; B·t ≈ m·2^24 cannot overflow.
        int exponent = Exponent(threshold);

        float scale = float.ScaleB(1f, 24 - exponent);
        long channels = tensor.Shape[1];
        var g = c.Graph;
        var weight = g.Constant(TensorElementType.Float, [channels, 1, 1, 1], Enumerable.Repeat((double)(sign * scale), (int)channels).ToArray());
        var bias = g.Constant(TensorElementType.Float, [channels], Enumerable.Repeat((double)(-sign * scale * threshold), (int)channels).ToArray());
        var scaled = g.Node("Conv", [tensor.Name, weight, bias], AttributeValue.Int("group", channels), AttributeValue.Ints("kernel_shape", [1, 1]));
        return g.Node("Clip", [scaled, c.Scalar(0), c.Scalar(1)]);
    }
}
