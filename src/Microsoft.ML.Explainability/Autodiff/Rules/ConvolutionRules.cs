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
    /// which call it with modified weights.
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

        return c.Graph.Node("ConvTranspose", [outputGradient, weights],
            AttributeValue.Ints("kernel_shape", kernel),
            AttributeValue.Ints("strides", geometry.Strides),
            AttributeValue.Ints("dilations", geometry.Dilations),
            AttributeValue.Ints("pads", geometry.Pads),
            AttributeValue.Ints("output_padding", outputPadding),
            AttributeValue.Int("group", c.Int("group", 1)));
    }
}
