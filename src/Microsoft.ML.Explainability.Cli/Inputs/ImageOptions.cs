using System.Globalization;

namespace Microsoft.ML.Explainability.Cli.Inputs;

/// <summary>How image files become a model input: x = (pixel / 255 − mean) / std per channel, at a fixed size.</summary>
internal sealed class ImageOptions
{
    /// <summary>
    /// The default of <see cref="MaxPixels"/>: 50 megapixels (an RGBA decode of 200 MB). A PNG of a few hundred
    /// kilobytes can declare 20000×20000 pixels; the limit stops it before decoding.
    /// </summary>
    public const long DefaultMaxPixels = 50_000_000;

    /// <summary>The largest width × height an image file may declare, and <see cref="Size"/> may ask for (<c>--max-pixels</c>).</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Target height and width; null: the model input's fixed size.</summary>
    public (int Height, int Width)? Size { get; init; }

    /// <summary>Per-channel mean (one value, or one per channel). Default 0.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f];

    /// <summary>Per-channel standard deviation (one value, or one per channel). Default 1.</summary>
    public IReadOnlyList<float> Std { get; init; } = [1f];

    /// <summary>Convert to grey (0.299 R + 0.587 G + 0.114 B) before normalisation; also automatic for 1-channel models.</summary>
    public bool Grayscale { get; init; }

    /// <summary>Parses "H", "HxW" or "H,W"; the area H·W (in 64-bit arithmetic) must not exceed <paramref name="maxPixels"/>.</summary>
    public static (int Height, int Width)? ParseSize(string? text, string option = "--size", long maxPixels = DefaultMaxPixels)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split(['x', 'X', ','], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0))
        {
            throw new CliException(ExitCodes.Usage, $"{option} '{text}' is not a size: give H, HxW or H,W in pixels (positive integers).");
        }

        int h = int.Parse(parts[0], CultureInfo.InvariantCulture);
        int w = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : h;
        long area = (long)h * w;
        if (area > maxPixels)
        {
            throw new CliException(ExitCodes.Usage, string.Create(CultureInfo.InvariantCulture, $"{option} '{text}' is {h}×{w} = {area} pixels, above the limit of {maxPixels} (--max-pixels)."));
        }

        return (h, w);
    }

    /// <summary>Parses a comma-separated list of numbers (for --mean, --std, --low, --high).</summary>
    public static IReadOnlyList<float>? ParseFloats(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
            {
                throw new CliException(ExitCodes.Usage, $"{option} '{text}' is not a comma-separated list of numbers (e.g. 0.485,0.456,0.406).");
            }
        }

        return values;
    }
}
