using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of convolutions.</summary>
internal static class ConvolutionRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("Conv", Conv),
    ];

    /// <summary>
    /// Y = Conv(X, W) + B: dX = ConvTranspose(dY, W) with the same strides, dilations, group and explicit pads, and
    /// output_padding chosen so dX has X's spatial size (any auto_pad is resolved first); dB = Σ dY over batch and
    /// space. Gradients with respect to the weights are not built (no explanation method needs them).
    /// </summary>
    public static void Conv(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var x = c.InputInfo(0);
        var y = c.OutputInfo(0);
        if (c.NeedsInputGradient(1))
        {
            throw c.Unsupported("gradients with respect to convolution weights are not supported; ask for gradients of inputs or activations.");
        }

        if (c.NeedsInputGradient(0))
        {
            c.SetInputGradient(0, TransposedConvolution(c, dY, c.Input(1), x.Shape, y.Shape));
        }

        if (c.HasInput(2) && c.NeedsInputGradient(2))
        {
            var axes = Enumerable.Range(0, y.Rank).Where(a => a != 1).Select(a => (long)a).ToArray();
            c.SetInputGradient(2, g.ReduceSum(dY, axes, keepDims: false));
        }
    }

    /// <summary>
    /// The input gradient of a convolution of X (shape <paramref name="inputShape"/>) with <paramref name="weights"/>:
    /// ConvTranspose(<paramref name="outputGradient"/>, weights) with the forward node's geometry. Shared with LRP rules,
    /// which call it with modified weights. When every stride is 1 and the weights are constant, the same result is
    /// computed as a plain Conv with the kernel flipped in space and its channel axes swapped per group, and pads
    /// d·(k − 1) − p: ONNX Runtime's Conv kernels are much faster than its ConvTranspose.
    /// </summary>
    internal static string TransposedConvolution(GradientContext c, string outputGradient, string weights, IReadOnlyList<long> inputShape, IReadOnlyList<long> outputShape)
    {
        var w = c.InputInfo(1);
        var kernel = c.Ints("kernel_shape") ?? w.Shape.Skip(2).ToArray();
        var inputSpatial = inputShape.Skip(2).ToArray();
        var outputSpatial = outputShape.Skip(2).ToArray();
        if (inputSpatial.Concat(outputSpatial).Any(d => d < 0))
        {
            throw c.Unsupported("spatial dimensions that change with the batch size are not supported.");
        }

        var geometry = ConvolutionGeometry.Of(c, kernel, inputSpatial);
        var outputPadding = geometry.OutputPadding(inputSpatial, outputSpatial);
        if (outputPadding.Where((p, i) => p < 0 || p >= Math.Max(geometry.Strides[i], geometry.Dilations[i])).Any())
        {
            throw c.Unsupported($"inconsistent geometry: output_padding [{string.Join(", ", outputPadding)}] would be needed to recover the input size.");
        }

        if (geometry.Strides.All(stride => stride == 1) && FlippedConvolution(c, outputGradient, weights, geometry, FlippedPads(geometry)) is { } flipped)
        {
            return flipped;
        }

        if (IsDepthwise(c, w) && UpsampledConvolution(c, outputGradient, weights, geometry, inputSpatial, outputSpatial) is { } upsampled)
        {
            return upsampled;
        }

        return c.Graph.Node("ConvTranspose", [outputGradient, weights],
            AttributeValue.Ints("kernel_shape", kernel),
            AttributeValue.Ints("strides", geometry.Strides),
            AttributeValue.Ints("dilations", geometry.Dilations),
            AttributeValue.Ints("pads", geometry.Pads),
            AttributeValue.Ints("output_padding", outputPadding),
            AttributeValue.Int("group", c.Int("group", 1)));
    }

    /// <summary>The pads of the stride-1 flipped correlation: (d·(K−1) − p_begin, d·(K−1) − p_end).</summary>
    private static long[] FlippedPads(ConvolutionGeometry geometry)
    {
        int r = geometry.SpatialRank;
        var pads = new long[2 * r];
        for (int i = 0; i < r; i++)
        {
            long extent = geometry.Dilations[i] * (geometry.Kernel[i] - 1);
            pads[i] = extent - geometry.PadsBegin[i];
            pads[r + i] = extent - geometry.PadsEnd[i];
        }

        return pads;
    }

    /// <summary>A depthwise convolution: one input and one output channel per group.</summary>
    private static bool IsDepthwise(GradientContext c, TensorInfo w) =>
        w.Rank == 4 && w.Shape[1] == 1 && c.Int("group", 1) > 1 && w.Shape[0] == c.Int("group", 1);

    /// <summary>
    /// A strided 2-D depthwise convolution (MobileNet, EfficientNet): ONNX Runtime's grouped ConvTranspose runs one
    /// small GEMM per channel, while its depthwise Conv is a fast blocked kernel. With equal strides s, dY is spread
    /// onto a grid s times finer (U[s·o] = dY[o], zeros between: nearest Resize by s times a constant 0/1 grid), and
    /// dX[i] = Σₖ W[k]·U[i + p_begin − d·k] is the stride-1 flipped correlation of U, with begin pad d·(K−1) − p_begin
    /// and the end pad that gives X's size (or a Slice when U reaches past it). Null when it does not apply.
    /// </summary>
    private static string? UpsampledConvolution(GradientContext c, string outputGradient, string weights, ConvolutionGeometry geometry, long[] inputSpatial, long[] outputSpatial)
    {
        long s = geometry.Strides[0];
        if (geometry.SpatialRank != 2 || geometry.Strides[1] != s)
        {
            return null;
        }

        var g = c.Graph;
        var pads = new long[4];
        bool slice = false;
        for (int i = 0; i < 2; i++)
        {
            long extent = geometry.Dilations[i] * (geometry.Kernel[i] - 1);
            pads[i] = extent - geometry.PadsBegin[i];
            pads[2 + i] = inputSpatial[i] - (s * outputSpatial[i]) - pads[i] + extent;
            if (pads[2 + i] < 0)
            {
                pads[2 + i] = 0;
                slice = true;
            }
        }

        if (pads[0] < 0 || pads[1] < 0 || c.Graph.FindInitializer(weights) is null)
        {
            return null;
        }

        // Nearest-neighbour Resize by s (ONNX Runtime's fast integer-scale upsampling), then a 0/1 grid keeping U[s·o].
        var repeated = g.Node("Resize", [outputGradient, "", g.Constant(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, [4], [1, 1, s, s])],
            AttributeValue.String("mode", "nearest"), AttributeValue.String("coordinate_transformation_mode", "asymmetric"), AttributeValue.String("nearest_mode", "floor"));
        long height = s * outputSpatial[0], width = s * outputSpatial[1];
        var grid = new double[height * width];
        for (long i = 0; i < height; i += s)
        {
            for (long j = 0; j < width; j += s)
            {
                grid[(i * width) + j] = 1;
            }
        }

        var upsampled = g.Mul(repeated, g.Constant(c.ElementType, [1, 1, height, width], grid));
        var stride1 = geometry with { Strides = [1, 1] };
        var result = FlippedConvolution(c, upsampled, weights, stride1, pads);
        if (result is null || !slice)
        {
            return result;
        }

        return g.Node("Slice", [result, g.Int64s(0, 0), g.Int64s(inputSpatial), g.Int64s(2, 3)]);
    }

    /// <summary>
    /// For stride 1: dX[i] = Σₖ W[K−1−k]·dY[i + d·k − (d·(K−1) − p_begin)], a correlation of dY with the flipped kernel
    /// W′[g·Cg + c, m] = flip(W[g·Mg + m, c]) and <paramref name="pads"/> (normally (d·(K−1) − p_begin, d·(K−1) − p_end)).
    /// Null when the weights are not constant or a pad would be negative (then ConvTranspose is used).
    /// </summary>
    private static string? FlippedConvolution(GradientContext c, string outputGradient, string weights, ConvolutionGeometry geometry, long[] pads)
    {
        var tensor = c.Graph.FindInitializer(weights);
        if (tensor is null || tensor.Dims.Count != geometry.SpatialRank + 2 || pads.Any(p => p < 0))
        {
            return null;
        }

        long groups = c.Int("group", 1);
        long outChannels = tensor.Dims[0];
        long inPerGroup = tensor.Dims[1];
        long outPerGroup = outChannels / groups;
        long kernelSize = tensor.Dims.Skip(2).Aggregate(1L, (a, b) => a * b);
        var values = Onnx.TensorProtos.ToDoubles(tensor);
        var flipped = new double[values.Length];
        for (long gi = 0; gi < groups; gi++)
        {
            for (long m = 0; m < outPerGroup; m++)
            {
                for (long ci = 0; ci < inPerGroup; ci++)
                {
                    long source = (((gi * outPerGroup) + m) * inPerGroup) + ci;
                    long target = (((gi * inPerGroup) + ci) * outPerGroup) + m;
                    for (long k = 0; k < kernelSize; k++)
                    {
                        // Reversing the flat index of a row-major kernel reverses every spatial axis at once.
                        flipped[(target * kernelSize) + (kernelSize - 1 - k)] = values[(source * kernelSize) + k];
                    }
                }
            }
        }

        var type = (Microsoft.ML.OnnxRuntime.Tensors.TensorElementType)tensor.DataType;
        var flippedName = c.Graph.Constant(type, [groups * inPerGroup, outPerGroup, .. tensor.Dims.Skip(2)], flipped);
        return c.Graph.Node("Conv", [outputGradient, flippedName],
            AttributeValue.Ints("kernel_shape", geometry.Kernel),
            AttributeValue.Ints("dilations", geometry.Dilations),
            AttributeValue.Ints("pads", pads),
            AttributeValue.Int("group", groups));
    }
}
