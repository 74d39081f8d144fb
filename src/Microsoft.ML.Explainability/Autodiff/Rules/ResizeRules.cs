using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rule of Resize (its interpolation as a separable linear map; see <see cref="Resize"/>).</summary>
internal static class ResizeRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("Resize", Resize),
    ];

    /// <summary>
    /// Y = Resize(X) in modes nearest, linear and cubic, with every coordinate transformation mode (half_pixel,
    /// half_pixel_symmetric, asymmetric, align_corners, pytorch_half_pixel, tf_half_pixel_for_nn, tf_crop_and_resize
    /// with a constant roi and its extrapolation value) and every nearest_mode. These resizes are separable linear
    /// maps: along each resized axis, Y = W·X with W[out, in] the interpolation weights. W is computed here, in float32
    /// with the formulas ONNX Runtime uses, from the scales (given, or output size / input size when sizes are given)
    /// and the probed sizes; the backward applies Wᵀ along each resized axis as a MatMul (exact, whatever the mode).
    /// Axes whose scale is 1 are copied unchanged (as ONNX Runtime does). Needs fixed sizes on the resized axes and
    /// constant scales; antialias is not supported.
    /// </summary>
    public static void Resize(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var x = c.InputInfo(0);
        var y = c.OutputInfo(0);
        int rank = x.Rank;
        var mode = c.String("mode", "nearest");
        var transform = c.String("coordinate_transformation_mode", "half_pixel");
        if (mode is not ("nearest" or "linear" or "cubic"))
        {
            throw c.Unsupported($"unknown Resize mode '{mode}'.");
        }

        if (c.Int("antialias", 0) != 0)
        {
            throw c.Unsupported("antialiased resizing is not supported.");
        }

        if (transform is not ("half_pixel" or "half_pixel_symmetric" or "asymmetric" or "align_corners" or "pytorch_half_pixel" or "tf_half_pixel_for_nn" or "tf_crop_and_resize"))
        {
            throw c.Unsupported($"unknown coordinate_transformation_mode '{transform}'.");
        }

        if (x.Shape.SequenceEqual(y.Shape))
        {
            c.SetInputGradient(0, dY);
            return;
        }

        var axes = (c.Ints("axes") ?? Enumerable.Range(0, rank).Select(i => (long)i).ToArray()).Select(a => ShapeRules.NormalizeAxis(c, a, rank)).ToArray();
        var scales = ResizeScales(c, axes, x.Shape, y.Shape);
        var roi = new float[2 * rank];
        for (int a = 0; a < rank; a++)
        {
            roi[rank + a] = 1;
        }

        bool extrapolate = transform == "tf_crop_and_resize";
        if (extrapolate)
        {
            var given = c.ConstantInput(1) ?? throw c.Unsupported("tf_crop_and_resize needs a constant roi input.");
            if (given.Length != 2 * axes.Length)
            {
                throw c.Unsupported($"roi has {given.Length} values; {2 * axes.Length} were expected.");
            }

            for (int i = 0; i < axes.Length; i++)
            {
                roi[axes[i]] = (float)given[i];
                roi[rank + axes[i]] = (float)given[axes.Length + i];
            }
        }

        var settings = new ResizeSettings(mode, transform, c.String("nearest_mode", "round_prefer_floor"), c.Float("cubic_coeff_a", -0.75f), c.Int("exclude_outside", 0) != 0, extrapolate);
        var gradient = dY;
        for (int a = 0; a < rank; a++)
        {
            if (scales[a] == 1f)
            {
                continue;
            }

            long lengthIn = x.Shape[a], lengthOut = y.Shape[a];
            if (lengthIn < 0 || lengthOut < 0)
            {
                throw c.Unsupported($"axis {a} is resized but its size changes with the batch size.");
            }

            var weights = ResizeWeights(settings, checked((int)lengthIn), checked((int)lengthOut), scales[a], roi[a], roi[rank + a]);
            gradient = ShapeRules.ApplyTransposedAlongAxis(g, gradient, a, rank, weights, checked((int)lengthOut), checked((int)lengthIn), c.ElementType);
        }

        c.SetInputGradient(0, gradient);
    }

    private static float[] ResizeScales(GradientContext c, int[] axes, IReadOnlyList<long> inputShape, IReadOnlyList<long> outputShape)
    {
        int rank = inputShape.Count;
        var scales = Enumerable.Repeat(1f, rank).ToArray();
        var given = c.HasInput(2) ? c.ConstantInput(2) : [];
        if (given is null)
        {
            throw c.Unsupported("the scales input is computed at run time; constant scales (or the sizes input) are needed.");
        }

        if (given.Length > 0)
        {
            if (given.Length != axes.Length)
            {
                throw c.Unsupported($"scales has {given.Length} values for {axes.Length} axes.");
            }

            for (int i = 0; i < axes.Length; i++)
            {
                scales[axes[i]] = (float)given[i];
            }

            return scales;
        }

        // Sizes given: ONNX Runtime takes scale = output size / input size, then applies keep_aspect_ratio_policy.
        var sizes = c.HasInput(3) ? c.ConstantInt64Input(3) : null;
        var policy = c.String("keep_aspect_ratio_policy", "stretch");
        foreach (var a in axes)
        {
            long lengthIn = inputShape[a];
            long lengthOut = policy == "stretch" ? outputShape[a] : sizes is null ? -1 : sizes[Array.IndexOf(axes, a)];
            if (lengthIn < 0 || lengthOut < 0)
            {
                if (lengthIn == lengthOut)
                {
                    continue;
                }

                throw c.Unsupported($"the resize scale of axis {a} is unknown (sizes computed at run time, or a batch-dependent size).");
            }

            scales[a] = lengthIn == 0 ? 1f : (float)lengthOut / (float)lengthIn;
        }

        if (policy is "not_larger" or "not_smaller")
        {
            float chosen = policy == "not_larger" ? axes.Min(a => scales[a]) : axes.Max(a => scales[a]);
            foreach (var a in axes)
            {
                scales[a] = chosen;
            }
        }
        else if (policy != "stretch")
        {
            throw c.Unsupported($"unknown keep_aspect_ratio_policy '{policy}'.");
        }

        return scales;
    }

    private sealed record ResizeSettings(string Mode, string Transform, string NearestMode, float CubicA, bool ExcludeOutside, bool Extrapolate);

    /// <summary>The row-major [out, in] interpolation matrix of one axis, computed in float32 as ONNX Runtime does.</summary>
    private static float[] ResizeWeights(ResizeSettings s, int lengthIn, int lengthOut, float scale, float roiStart, float roiEnd)
    {
        var w = new float[lengthOut * lengthIn];
        for (int o = 0; o < lengthOut; o++)
        {
            float original = OriginalCoordinate(s.Transform, o, scale, lengthOut, lengthIn, roiStart, roiEnd);
            if (s.Extrapolate && (original < 0 || original > lengthIn - 1))
            {
                continue; // the output is the extrapolation value: no dependence on X
            }

            var row = w.AsSpan(o * lengthIn, lengthIn);
            switch (s.Mode)
            {
                case "nearest":
                    row[(int)Math.Clamp(NearestPixel(s.NearestMode, original), 0, lengthIn - 1)] = 1;
                    break;
                case "linear":
                    {
                        float v = Math.Max(0f, Math.Min(original, lengthIn - 1));
                        int x1 = Math.Min((int)v, lengthIn - 1);
                        int x2 = Math.Min(x1 + 1, lengthIn - 1);
                        if (x1 == x2)
                        {
                            row[x1] += 1;
                        }
                        else
                        {
                            row[x1] += Math.Abs(v - x2);
                            row[x2] += Math.Abs(v - x1);
                        }

                        break;
                    }

                default:
                    {
                        int x0 = (int)MathF.Floor(original);
                        var coefficients = CubicCoefficients(original - x0, s.CubicA);
                        float sum = 1;
                        if (s.ExcludeOutside)
                        {
                            sum = 0;
                            for (int i = 0; i < 4; i++)
                            {
                                int p = x0 - 1 + i;
                                coefficients[i] = p < 0 || p >= lengthIn ? 0f : coefficients[i];
                                sum += coefficients[i];
                            }
                        }

                        for (int i = 0; i < 4; i++)
                        {
                            row[Math.Clamp(x0 - 1 + i, 0, lengthIn - 1)] += coefficients[i] / sum;
                        }

                        break;
                    }
            }
        }

        return w;
    }

    /// <summary>ONNX Runtime's mapping from an output coordinate to an input coordinate (float32 arithmetic as in its kernels).</summary>
    private static float OriginalCoordinate(string transform, float resized, float scale, float lengthResized, float lengthOriginal, float roiStart, float roiEnd)
    {
        switch (transform)
        {
            case "asymmetric":
                return resized / scale;
            case "pytorch_half_pixel":
                return lengthResized > 1 ? ((resized + 0.5f) / scale) - 0.5f : 0f;
            case "tf_half_pixel_for_nn":
                return (resized + 0.5f) / scale;
            case "align_corners":
                return lengthResized == 1 ? 0f : resized * (lengthOriginal - 1) / (lengthResized - 1);
            case "tf_crop_and_resize":
                return lengthResized > 1
                    ? (roiStart * (lengthOriginal - 1)) + (resized * (roiEnd - roiStart) * (lengthOriginal - 1) / (lengthResized - 1))
                    : (float)(0.5 * (roiStart + roiEnd) * (lengthOriginal - 1));
            case "half_pixel_symmetric":
                {
                    float outputWidth = scale * lengthOriginal;
                    float adjustment = lengthResized / outputWidth;
                    float center = lengthOriginal / 2;
                    float offset = center * (1 - adjustment);
                    return (float)(offset + ((resized + 0.5) / scale) - 0.5);
                }

            default:
                return ((resized + 0.5f) / scale) - 0.5f;
        }
    }

    private static long NearestPixel(string nearestMode, float original) => nearestMode switch
    {
        "round_prefer_ceil" => (long)MathF.Round(original, MidpointRounding.AwayFromZero),
        "floor" => (long)MathF.Floor(original),
        "ceil" => (long)MathF.Ceiling(original),
        "round_prefer_floor" => original == (long)original + 0.5f ? (long)MathF.Floor(original) : (long)MathF.Round(original, MidpointRounding.AwayFromZero),
        _ => throw new NotSupportedException($"unknown nearest_mode '{nearestMode}'."),
    };

    /// <summary>Keys' cubic convolution weights of the 4 neighbours x₀−1 … x₀+2 at fractional offset <paramref name="s"/>.</summary>
    private static float[] CubicCoefficients(float s, float a)
    {
        float t = Math.Abs(s);
        return
        [
            (((((a * (t + 1)) - (5 * a)) * (t + 1)) + (8 * a)) * (t + 1)) - (4 * a),
            ((((a + 2) * t) - (a + 3)) * t * t) + 1,
            ((((a + 2) * (1 - t)) - (a + 3)) * (1 - t) * (1 - t)) + 1,
            (((((a * (2 - t)) - (5 * a)) * (2 - t)) + (8 * a)) * (2 - t)) - (4 * a),
        ];
    }
}
