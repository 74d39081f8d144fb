using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>Backward rules of pooling.</summary>
internal static class PoolingRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("MaxPool", MaxPool),
        new("GlobalAveragePool", GlobalAveragePool),
        new("AveragePool", AveragePool),
        new("GlobalMaxPool", GlobalMaxPool),
    ];

    /// <summary>
    /// The gradient goes to the winner of each window. The forward node is made to emit its Indices output too (flat
    /// positions in the whole input, batch included, row-major; a node with a column-major storage_order is run again
    /// without it instead), and dY is scattered into zeros with ScatterElements(reduction "add"), so an input that wins
    /// several overlapping windows receives the sum of their gradients.
    /// </summary>
    public static void MaxPool(GradientContext c)
    {
        var g = c.Graph;
        string indices;
        if (c.Int("storage_order", 0) == 0)
        {
            indices = c.EnsureOutput(1);
        }
        else
        {
            var attributes = c.Attributes.Where(a => a.Proto.Name != "storage_order").ToArray();
            indices = g.Node("MaxPool", [c.Input(0)], 2, attributes)[1];
        }

        var flatZeros = g.Reshape(g.ZerosLike(c.Input(0), c.ElementType), g.Int64s(-1));
        var flatIndices = g.Reshape(indices, g.Int64s(-1));
        var flatGradient = g.Reshape(c.OutputGradient(0)!, g.Int64s(-1));
        var scattered = g.Node("ScatterElements", [flatZeros, flatIndices, flatGradient],
            AttributeValue.Int("axis", 0), AttributeValue.String("reduction", "add"));
        c.SetInputGradient(0, g.ReshapeLike(scattered, c.Input(0)));
    }

    /// <summary>Y = mean of X over space: dX = dY / (H·W·…) broadcast over space.</summary>
    public static void GlobalAveragePool(GradientContext c)
    {
        var g = c.Graph;
        var spatial = c.InputInfo(0).Shape.Skip(2).ToArray();
        if (spatial.Any(d => d < 0))
        {
            throw c.Unsupported("spatial dimensions that change with the batch size are not supported.");
        }

        double count = spatial.Aggregate(1.0, (a, d) => a * d);
        var scaled = g.Div(c.OutputGradient(0)!, c.Scalar(count));
        c.SetInputGradient(0, g.Node("Expand", [scaled, g.Shape(c.Input(0))]));
    }

    /// <summary>
    /// Y = AveragePool(X) with any kernel, strides, pads, auto_pad, dilations, ceil_mode and count_include_pad. Each
    /// output is (Σ of the input elements in its window) / divisor. Along every spatial axis the window sum is a 0/1
    /// matrix S[o, p] (p in window o and inside the input), so the sum is separable and dX = Sᵀ(dY / divisor) is one
    /// MatMul per spatial axis with Sᵀ. The divisors are not recomputed from conventions that differ between
    /// runtimes (count_include_pad with ceil_mode windows running past the padded input): they are measured at run
    /// time as 1/divisor = AveragePool(ones) / (number of input elements in the window), the latter computed here.
    /// Needs fixed spatial sizes.
    /// </summary>
    public static void AveragePool(GradientContext c)
    {
        var g = c.Graph;
        var x = c.InputInfo(0);
        var y = c.OutputInfo(0);
        var inputSpatial = x.Shape.Skip(2).ToArray();
        var outputSpatial = y.Shape.Skip(2).ToArray();
        if (inputSpatial.Concat(outputSpatial).Any(d => d < 0))
        {
            throw c.Unsupported("spatial dimensions that change with the batch size are not supported.");
        }

        var kernel = c.Ints("kernel_shape") ?? throw c.Unsupported("the kernel_shape attribute is missing.");
        var geometry = ConvolutionGeometry.Of(c, kernel, inputSpatial, c.Int("ceil_mode", 0) != 0);
        int spatialRank = kernel.Length;
        var windows = new float[spatialRank][];
        var inside = new double[spatialRank][];
        for (int a = 0; a < spatialRank; a++)
        {
            int lengthIn = checked((int)inputSpatial[a]), lengthOut = checked((int)outputSpatial[a]);
            windows[a] = new float[lengthOut * lengthIn];
            inside[a] = new double[lengthOut];
            for (int o = 0; o < lengthOut; o++)
            {
                long start = (o * geometry.Strides[a]) - geometry.PadsBegin[a];
                for (long j = 0; j < kernel[a]; j++)
                {
                    long p = start + (j * geometry.Dilations[a]);
                    if (p >= 0 && p < lengthIn)
                    {
                        windows[a][(o * lengthIn) + p] = 1;
                        inside[a][o]++;
                    }
                }
            }
        }

        // 1 / (elements inside each window), as a [Ho, Wo, …] constant broadcasting against dY (0 for empty windows).
        var reciprocal = new double[outputSpatial.Aggregate(1L, (n, d) => n * d)];
        for (int flat = 0; flat < reciprocal.Length; flat++)
        {
            double count = 1;
            for (int a = spatialRank - 1, rest = flat; a >= 0; a--)
            {
                count *= inside[a][rest % (int)outputSpatial[a]];
                rest /= (int)outputSpatial[a];
            }

            reciprocal[flat] = count == 0 ? 0 : 1 / count;
        }

        var ones = ShapeRules.Filled(g, g.Int64s([1, 1, .. inputSpatial]), 1, c.ElementType);
        var meanOfOnes = g.Node("AveragePool", [ones], [.. c.Attributes]);

        // ONNX shape inference can count one more ceil_mode window than ONNX Runtime computes (a last window starting
        // in the end padding is dropped at run time): cut to the probed output size so that both agree.
        meanOfOnes = g.Node("Slice", [meanOfOnes, g.Int64s(new long[spatialRank]), g.Int64s(outputSpatial), g.Int64s([.. Enumerable.Range(2, spatialRank).Select(a => (long)a)])]);
        var inverseDivisor = g.Mul(meanOfOnes, g.Constant(c.ElementType, outputSpatial, reciprocal));
        var gradient = g.Mul(c.OutputGradient(0)!, inverseDivisor);
        for (int a = 0; a < spatialRank; a++)
        {
            gradient = ShapeRules.ApplyTransposedAlongAxis(g, gradient, a + 2, x.Rank, windows[a], (int)outputSpatial[a], (int)inputSpatial[a], c.ElementType);
        }

        c.SetInputGradient(0, gradient);
    }

    /// <summary>
    /// Y = max of X over space: the gradient goes to the positions equal to the maximum, split equally among ties
    /// (dX = dY · [X = Y] / #ties), like ReduceMax; MaxPool instead gives it all to the one winner ONNX Runtime picks.
    /// </summary>
    public static void GlobalMaxPool(GradientContext c)
    {
        var g = c.Graph;
        var axes = Enumerable.Range(2, c.InputInfo(0).Rank - 2).Select(a => (long)a).ToArray();
        var mask = g.Cast(g.Node("Equal", [c.Input(0), c.Output(0)]), c.ElementType);
        var ties = g.ReduceSum(mask, axes, keepDims: true);
        c.SetInputGradient(0, g.Mul(mask, g.Div(c.OutputGradient(0)!, ties)));
    }
}
