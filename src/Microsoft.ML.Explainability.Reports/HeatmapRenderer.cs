using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;
using ScottPlot;
using SkiaSharp;

namespace Microsoft.ML.Explainability.Reports;

/// <summary>Colormaps for heatmap overlays (ScottPlot's implementations).</summary>
public enum HeatmapColormap
{
    /// <summary>Matplotlib's perceptually uniform "inferno" (black–purple–yellow).</summary>
    Inferno,

    /// <summary>The classic rainbow "jet" (blue–cyan–yellow–red), as in the Grad-CAM paper's figures.</summary>
    Jet,

    /// <summary>Matplotlib's "viridis".</summary>
    Viridis,
}

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
        IColormap map = colormap switch
        {
            HeatmapColormap.Jet => new ScottPlot.Colormaps.Jet(),
            HeatmapColormap.Viridis => new ScottPlot.Colormaps.Viridis(),
            _ => new ScottPlot.Colormaps.Inferno(),
        };

        int width = layout.Width * scale, height = layout.Height * scale;
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int i = 0; i < layout.Height; i++)
        {
            for (int j = 0; j < layout.Width; j++)
            {
                int p = (i * layout.Width) + j;
                double Channel(int c) => iMax > iMin ? (image[(Math.Min(c, layout.Channels - 1) * layout.Features) + p] - iMin) / (iMax - iMin) : 0;
                bool colour = layout.Channels >= 3;
                double r = Channel(0), g = colour ? Channel(1) : r, b = colour ? Channel(2) : r;
                var heat = map.GetColor(sMax > sMin ? (saliency[p] - sMin) / (sMax - sMin) : 0);
                byte Blend(double value, byte h) => (byte)Math.Clamp(Math.Round((((1 - alpha) * value) + (alpha * h / 255.0)) * 255), 0, 255);
                var pixel = new SKColor(Blend(r, heat.R), Blend(g, heat.G), Blend(b, heat.B));
                for (int di = 0; di < scale; di++)
                {
                    for (int dj = 0; dj < scale; dj++)
                    {
                        bitmap.SetPixel((j * scale) + dj, (i * scale) + di, pixel);
                    }
                }
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
