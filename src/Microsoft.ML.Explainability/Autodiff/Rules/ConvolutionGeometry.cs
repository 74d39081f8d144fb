namespace Microsoft.ML.Explainability.Autodiff.Rules;

/// <summary>
/// Strides, dilations, kernel and explicit begin/end pads of a Conv-like or pooling node, with auto_pad resolved
/// (SAME_UPPER puts the extra pad at the end, SAME_LOWER at the beginning, VALID pads nothing), as the backward
/// ConvTranspose needs explicit pads.
/// </summary>
internal sealed record ConvolutionGeometry(long[] Kernel, long[] Strides, long[] Dilations, long[] PadsBegin, long[] PadsEnd)
{
    public int SpatialRank => Kernel.Length;

    /// <summary>Reads the geometry of node <paramref name="c"/> for input spatial sizes <paramref name="inputSpatial"/>.</summary>
    public static ConvolutionGeometry Of(GradientContext c, long[] kernel, IReadOnlyList<long> inputSpatial, bool ceilMode = false)
    {
        int r = kernel.Length;
        var strides = c.Ints("strides") ?? Enumerable.Repeat(1L, r).ToArray();
        var dilations = c.Ints("dilations") ?? Enumerable.Repeat(1L, r).ToArray();
        var pads = c.Ints("pads") ?? new long[2 * r];
        var autoPad = c.String("auto_pad", "NOTSET");
        var begin = pads.Take(r).ToArray();
        var end = pads.Skip(r).Take(r).ToArray();
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            for (int i = 0; i < r; i++)
            {
                long output = (inputSpatial[i] + strides[i] - 1) / strides[i];
                long total = Math.Max(0, ((output - 1) * strides[i]) + ((kernel[i] - 1) * dilations[i]) + 1 - inputSpatial[i]);
                long small = total / 2;
                (begin[i], end[i]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
            }
        }
        else if (autoPad == "VALID")
        {
            begin = new long[r];
            end = new long[r];
        }
        else if (autoPad != "NOTSET")
        {
            throw c.Unsupported($"auto_pad '{autoPad}' is not a valid value.");
        }

        _ = ceilMode;
        return new ConvolutionGeometry(kernel, strides, dilations, begin, end);
    }

    /// <summary>
    /// output_padding making ConvTranspose(dY) recover the input's spatial size H:
    /// op = H + pb + pe − s·(O − 1) − d·(k − 1) − 1, in [0, s − 1] for a valid convolution.
    /// </summary>
    public long[] OutputPadding(IReadOnlyList<long> inputSpatial, IReadOnlyList<long> outputSpatial) =>
        Enumerable.Range(0, SpatialRank)
            .Select(i => inputSpatial[i] + PadsBegin[i] + PadsEnd[i] - (Strides[i] * (outputSpatial[i] - 1)) - (Dilations[i] * (Kernel[i] - 1)) - 1)
            .ToArray();

    public long[] Pads => [.. PadsBegin, .. PadsEnd];
}
