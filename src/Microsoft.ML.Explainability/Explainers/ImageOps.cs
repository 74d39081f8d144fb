namespace Microsoft.ML.Explainability.Explainers;

/// <summary>Resizing and normalisation of single-channel maps, as pytorch-grad-cam does them with NumPy and OpenCV.</summary>
internal static class ImageOps
{
    /// <summary>
    /// Bilinear resize with half-pixel centres and edge clamping, as <c>cv2.resize(..., INTER_LINEAR)</c> and PyTorch's
    /// <c>interpolate(mode="bilinear", align_corners=False)</c>: source x = (X + 0.5)·w/W − 0.5, clamped to [0, w − 1].
    /// </summary>
    public static void ResizeHalfPixel(ReadOnlySpan<float> source, int height, int width, Span<float> target, int targetHeight, int targetWidth)
    {
        var (y0, y1, fy) = HalfPixelTaps(height, targetHeight);
        var (x0, x1, fx) = HalfPixelTaps(width, targetWidth);
        Interpolate(source, width, target, targetHeight, targetWidth, y0, y1, fy, x0, x1, fx);
    }

    /// <summary>
    /// Bilinear resize with aligned corners, as PyTorch's <c>UpsamplingBilinear2d</c> (Score-CAM's upsampling):
    /// source x = X·(w − 1)/(W − 1).
    /// </summary>
    public static void ResizeAlignCorners(ReadOnlySpan<float> source, int height, int width, Span<float> target, int targetHeight, int targetWidth)
    {
        var (y0, y1, fy) = AlignCornerTaps(height, targetHeight);
        var (x0, x1, fx) = AlignCornerTaps(width, targetWidth);
        Interpolate(source, width, target, targetHeight, targetWidth, y0, y1, fy, x0, x1, fx);
    }

    /// <summary>
    /// The source index of output index <paramref name="index"/> in PyTorch's "nearest" interpolation from
    /// <paramref name="inSize"/> to <paramref name="outSize"/> cells: min(⌊index · (in/out)⌋, in − 1), the scale in float32
    /// as PyTorch computes it (so that the rounding of each cell matches).
    /// </summary>
    public static int NearestSource(int index, int inSize, int outSize) =>
        inSize == outSize ? index : Math.Min((int)MathF.Floor(index * ((float)inSize / outSize)), inSize - 1);

    /// <summary>pytorch-grad-cam's <c>scale_cam_image</c> normalisation: m ← m − min(m); m ← m / (1e-7 + max(m)).</summary>
    public static void MinMax(Span<float> map)
    {
        float min = float.PositiveInfinity;
        foreach (var v in map)
        {
            min = Math.Min(min, v);
        }

        float max = float.NegativeInfinity;
        for (int i = 0; i < map.Length; i++)
        {
            map[i] -= min;
            max = Math.Max(max, map[i]);
        }

        float scale = 1e-7f + max;
        for (int i = 0; i < map.Length; i++)
        {
            map[i] /= scale;
        }
    }

    /// <summary>
    /// One test-time augmentation of an image batch [N, C, H, W] as <c>ttach</c> applies it: flipped horizontally
    /// (along W) when <paramref name="flip"/>, then multiplied by <paramref name="factor"/> (float32 product).
    /// </summary>
    public static void Augment(Runtime.FloatTensor batch, bool flip, float factor, Span<float> target)
    {
        int width = (int)batch.Shape[^1], lines = batch.Data.Length / width;
        var source = batch.Data.AsSpan();
        for (int line = 0; line < lines; line++)
        {
            int offset = line * width;
            for (int x = 0; x < width; x++)
            {
                target[offset + x] = source[offset + (flip ? width - 1 - x : x)] * factor;
            }
        }
    }

    public static void Relu(Span<float> map)
    {
        for (int i = 0; i < map.Length; i++)
        {
            map[i] = Math.Max(map[i], 0f);
        }
    }

    private static void Interpolate(ReadOnlySpan<float> source, int width, Span<float> target, int targetHeight, int targetWidth, int[] y0, int[] y1, float[] fy, int[] x0, int[] x1, float[] fx)
    {
        for (int i = 0; i < targetHeight; i++)
        {
            var top = source.Slice(y0[i] * width, width);
            var bottom = source.Slice(y1[i] * width, width);
            float wy = fy[i];
            for (int j = 0; j < targetWidth; j++)
            {
                float t = top[x0[j]] + (fx[j] * (top[x1[j]] - top[x0[j]]));
                float b = bottom[x0[j]] + (fx[j] * (bottom[x1[j]] - bottom[x0[j]]));
                target[(i * targetWidth) + j] = t + (wy * (b - t));
            }
        }
    }

    private static (int[] Low, int[] High, float[] Fraction) HalfPixelTaps(int size, int targetSize)
    {
        var low = new int[targetSize];
        var high = new int[targetSize];
        var fraction = new float[targetSize];
        double scale = (double)size / targetSize;
        for (int i = 0; i < targetSize; i++)
        {
            double x = ((i + 0.5) * scale) - 0.5;
            int x0 = (int)Math.Floor(x);
            double f = x - x0;
            if (x0 < 0)
            {
                x0 = 0;
                f = 0;
            }

            if (x0 >= size - 1)
            {
                x0 = size - 1;
                f = 0;
            }

            low[i] = x0;
            high[i] = Math.Min(x0 + 1, size - 1);
            fraction[i] = (float)f;
        }

        return (low, high, fraction);
    }

    private static (int[] Low, int[] High, float[] Fraction) AlignCornerTaps(int size, int targetSize)
    {
        var low = new int[targetSize];
        var high = new int[targetSize];
        var fraction = new float[targetSize];
        double scale = targetSize > 1 ? (size - 1.0) / (targetSize - 1.0) : 0;
        for (int i = 0; i < targetSize; i++)
        {
            double x = i * scale;
            int x0 = Math.Min((int)Math.Floor(x), size - 1);
            low[i] = x0;
            high[i] = Math.Min(x0 + 1, size - 1);
            fraction[i] = (float)(x - x0);
        }

        return (low, high, fraction);
    }
}
