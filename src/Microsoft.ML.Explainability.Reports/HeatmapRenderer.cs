using System.Runtime.InteropServices;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;
using SkiaSharp;

namespace Microsoft.ML.Explainability.Reports;

/// <summary>
/// Renders an explanation as a heatmap over its input image and encodes it as PNG. The input is shown in grey (one
/// channel) or colour (three channels, min–max scaled per image); the saliency map s_p = Σ_c a[c, p] is min–max scaled
/// to [0, 1] (its absolute value when <c>absolute</c>), coloured by the colormap and alpha-blended over the input:
/// out = (1 − α)·image + α·colour(s).
/// </summary>
public static class HeatmapRenderer
{
    /// <summary>The overlay of row <paramref name="row"/> of a batch, as PNG bytes.</summary>
    /// <param name="inputs">The images, [N, C, H, W] (C = 1 or 3) or [N, H, W].</param>
    /// <param name="explanations">The explanations, the inputs' shape.</param>
    /// <param name="row">The sample.</param>
    /// <param name="colormap">The colormap. Default inferno.</param>
    /// <param name="alpha">Opacity α of the heatmap in [0, 1]. Default 0.5.</param>
    /// <param name="scale">Integer upscaling (nearest neighbour) so small images stay visible. Default 8.</param>
    /// <param name="absolute">Colour |s| instead of s. Default false.</param>
    public static byte[] OverlayPng(FloatTensor inputs, FloatTensor explanations, int row, HeatmapColormap colormap = HeatmapColormap.Inferno, double alpha = 0.5, int scale = 8, bool absolute = false)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(explanations);
        if (!inputs.Shape.SequenceEqual(explanations.Shape))
        {
            throw new EvaluationInputException($"The explanations have shape {explanations.ShapeText} but the inputs have shape {inputs.ShapeText}.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, inputs.BatchSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        var layout = FeatureLayout.Of(inputs);
        var saliency = layout.Saliency(explanations.Row(row));
        if (absolute)
        {
            saliency = saliency.Select(Math.Abs).ToArray();
        }

        double sMin = saliency.Min(), sMax = saliency.Max();
        var image = inputs.Row(row).ToArray();
        float iMin = image.Min(), iMax = image.Max();

        var colours = Colormaps.Table(colormap);
        bool colour = layout.Channels >= 3;
        int width = layout.Width * scale, height = layout.Height * scale;

        // The overlay is filled into one RGBA buffer (a row at source resolution, repeated `scale` times) and handed to
        // SkiaSharp once for PNG encoding, instead of H·W·scale² SetPixel calls.
        var pixels = new byte[width * height * 4];
        var line = new byte[width * 4];
        for (int i = 0; i < layout.Height; i++)
        {
            for (int j = 0; j < layout.Width; j++)
            {
                int p = (i * layout.Width) + j;
                double Channel(int c) => iMax > iMin ? (image[(Math.Min(c, layout.Channels - 1) * layout.Features) + p] - iMin) / (iMax - iMin) : 0;
                double r = Channel(0), g = colour ? Channel(1) : r, b = colour ? Channel(2) : r;
                var (hr, hg, hb) = colours[(int)Math.Round((sMax > sMin ? (saliency[p] - sMin) / (sMax - sMin) : 0) * 255)];
                byte Blend(double value, byte h) => (byte)Math.Clamp(Math.Round((((1 - alpha) * value) + (alpha * h / 255.0)) * 255), 0, 255);
                byte br = Blend(r, hr), bg = Blend(g, hg), bb = Blend(b, hb);
                for (int dj = 0; dj < scale; dj++)
                {
                    int o = ((j * scale) + dj) * 4;
                    line[o] = br;
                    line[o + 1] = bg;
                    line[o + 2] = bb;
                    line[o + 3] = 255;
                }
            }

            for (int di = 0; di < scale; di++)
            {
                line.CopyTo(pixels, ((i * scale) + di) * line.Length);
            }
        }

        // SKBitmap(info), GetPixels and Encode exist unchanged in SkiaSharp 2.88 (ML.NET's image transforms) and 3.x, so
        // this runs on whichever of the two an application resolves.
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        if (bitmap.RowBytes != line.Length)
        {
            throw new InvalidOperationException($"SkiaSharp allocated {bitmap.RowBytes} bytes per row for a {width}-pixel RGBA row.");
        }

        Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
