using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>
/// Backward rules of the ops that the other backward rules emit and that a forward model rarely holds, so that the
/// engine can differentiate its own backward graph (reverse over reverse, for Hessian-vector products): the
/// ConvTranspose of a convolution's input gradient, the ScatterElements/ScatterND of max-pooling, Gather, Slice, Pad
/// and Tile gradients, the GatherElements/GatherND that differentiating those scatters emits in turn, and the Sign of
/// Abs and ReduceL1. Comparisons, Not, And, Shape, Size, Range and ArgMax produce integer or boolean tensors, which
/// stop differentiation without a rule: the masks they build from forward values are piecewise constant, so treating
/// them as constants is exact wherever no value sits on a kink.
/// </summary>
internal static class SecondOrderRules
{
    public static IEnumerable<KeyValuePair<string, GradientRule>> Table =>
    [
        new("ConvTranspose", ConvTranspose),
        new("ScatterElements", ScatterElements),
        new("ScatterND", ScatterND),
        new("GatherElements", GatherElements),
        new("GatherND", GatherND),
        new("Sign", Sign),
    ];

    /// <summary>
    /// Y = ConvTranspose(X, W) + B, the adjoint of a convolution with W: dX = Conv(dY, W) with the same kernel,
    /// strides, dilations, explicit pads and group (W's layout [C_in, C_out/group, k…] is Conv's [M, C/group, k…] with
    /// M = C_in), so dX[i] = Σₖ W[k]·dY[s·i + d·k − p_begin]. dB = Σ dY over batch and space. Pads implied by auto_pad SAME_* or output_shape, and
    /// gradients with respect to the weights, are refused.
    /// </summary>
    public static void ConvTranspose(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var x = c.InputInfo(0);
        var y = c.OutputInfo(0);
        if (c.NeedsInputGradient(1))
        {
            throw c.Unsupported("gradients with respect to ConvTranspose weights are not supported; ask for gradients of inputs or activations.");
        }

        if (c.NeedsInputGradient(0))
        {
            var autoPad = c.String("auto_pad", "NOTSET");
            if (autoPad is not ("NOTSET" or "VALID") || c.HasAttribute("output_shape"))
            {
                throw c.Unsupported($"pads implied by auto_pad '{autoPad}' or output_shape are not supported; give explicit pads.");
            }

            int r = x.Rank - 2;
            var kernel = c.Ints("kernel_shape") ?? c.InputInfo(1).Shape.Skip(2).ToArray();
            var strides = c.Ints("strides") ?? Enumerable.Repeat(1L, r).ToArray();
            var dilations = c.Ints("dilations") ?? Enumerable.Repeat(1L, r).ToArray();
            var pads = autoPad == "VALID" ? new long[2 * r] : c.Ints("pads") ?? new long[2 * r];
            var inputSpatial = x.Shape.Skip(2).ToArray();
            var outputSpatial = y.Shape.Skip(2).ToArray();
            if (inputSpatial.Concat(outputSpatial).Any(d => d < 0))
            {
                throw c.Unsupported("spatial dimensions that change with the batch size are not supported.");
            }

            var dX = g.Node("Conv", [dY, c.Input(1)],
                AttributeValue.Ints("kernel_shape", kernel),
                AttributeValue.Ints("strides", strides),
                AttributeValue.Ints("dilations", dilations),
                AttributeValue.Ints("pads", pads),
                AttributeValue.Int("group", c.Int("group", 1)));
            // Conv(dY) has ⌊(O + p_begin + p_end − d·(k − 1) − 1)/s⌋ + 1 = I + ⌊output_padding/s⌋ positions: X's size, as
            // ONNX Runtime accepts only output_padding < stride.
            var convolved = Enumerable.Range(0, r)
                .Select(i => ((outputSpatial[i] + pads[i] + pads[r + i] - (dilations[i] * (kernel[i] - 1)) - 1) / strides[i]) + 1)
                .ToArray();
            if (!convolved.SequenceEqual(inputSpatial))
            {
                throw c.Unsupported($"inconsistent geometry: the adjoint convolution gives spatial size [{string.Join(", ", convolved)}] for input [{string.Join(", ", inputSpatial)}].");
            }

            c.SetInputGradient(0, dX);
        }

        if (c.HasInput(2) && c.NeedsInputGradient(2))
        {
            var axes = Enumerable.Range(0, y.Rank).Where(a => a != 1).Select(a => (long)a).ToArray();
            c.SetInputGradient(2, g.ReduceSum(dY, axes, keepDims: false));
        }
    }

    /// <summary>
    /// Y = ScatterElements(D, I, U) along an axis. U lands at the positions I names: dU = GatherElements(dY, I).
    /// Without reduction those positions of D are overwritten: dD = dY with them zeroed (ScatterElements(dY, I, 0));
    /// with reduction "add", dD = dY. Duplicate indices without reduction leave Y unspecified and are not supported;
    /// the mul, max and min reductions are refused.
    /// </summary>
    public static void ScatterElements(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var axis = AttributeValue.Int("axis", c.Int("axis", 0));
        var reduction = Reduction(c);
        if (c.NeedsInputGradient(0))
        {
            c.SetInputGradient(0, reduction == "add" ? dY : g.Node("ScatterElements", [dY, c.Input(1), g.ZerosLike(c.Input(2), c.ElementType)], axis));
        }

        if (c.NeedsInputGradient(2))
        {
            c.SetInputGradient(2, g.Node("GatherElements", [dY, c.Input(1)], axis));
        }
    }

    /// <summary>
    /// Y = ScatterND(D, I, U): dU = GatherND(dY, I); dD = dY with the written slices zeroed without reduction, dY with
    /// reduction "add". Other reductions are refused.
    /// </summary>
    public static void ScatterND(GradientContext c)
    {
        var g = c.Graph;
        var dY = c.OutputGradient(0)!;
        var reduction = Reduction(c);
        if (c.NeedsInputGradient(0))
        {
            c.SetInputGradient(0, reduction == "add" ? dY : g.Node("ScatterND", [dY, c.Input(1), g.ZerosLike(c.Input(2), c.ElementType)]));
        }

        if (c.NeedsInputGradient(2))
        {
            c.SetInputGradient(2, g.Node("GatherND", [dY, c.Input(1)]));
        }
    }

    /// <summary>
    /// Y = GatherElements(X, I) along an axis: dX = ScatterElements(0, I, dY, reduction "add"), so a position read
    /// several times receives the sum of their gradients.
    /// </summary>
    public static void GatherElements(GradientContext c)
    {
        var g = c.Graph;
        c.SetInputGradient(0, g.Node("ScatterElements", [g.ZerosLike(c.Input(0), c.ElementType), c.Input(1), c.OutputGradient(0)!],
            AttributeValue.Int("axis", c.Int("axis", 0)), AttributeValue.String("reduction", "add")));
    }

    /// <summary>
    /// Y = GatherND(X, I) with batch_dims 0: dX = ScatterND(0, I, dY, reduction "add"). Index tuples must be
    /// non-negative (ScatterND does not wrap negative indices as GatherND does); batch_dims &gt; 0 is refused.
    /// </summary>
    public static void GatherND(GradientContext c)
    {
        if (c.Int("batch_dims", 0) != 0)
        {
            throw c.Unsupported("batch_dims other than 0 is not supported.");
        }

        var g = c.Graph;
        c.SetInputGradient(0, g.Node("ScatterND", [g.ZerosLike(c.Input(0), c.ElementType), c.Input(1), c.OutputGradient(0)!],
            AttributeValue.String("reduction", "add")));
    }

    /// <summary>Y = Sign(X) is piecewise constant: dX = 0 (taken as 0 at X = 0 too, where Sign jumps).</summary>
    public static void Sign(GradientContext c) => c.SetInputGradient(0, c.Graph.ZerosLike(c.Input(0), c.ElementType));

    private static string Reduction(GradientContext c)
    {
        var reduction = c.String("reduction", "none");
        if (reduction is not ("none" or "add"))
        {
            throw c.Unsupported($"reduction '{reduction}' is not supported (only 'none' and 'add').");
        }

        return reduction;
    }
}
