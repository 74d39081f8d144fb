using System.Globalization;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;

namespace Microsoft.ML.Explainability.Cli.Inputs;

/// <summary>Reads the <c>--input</c> of a command: a float32 <c>.npy</c> batch, an image file, or a folder of images.</summary>
internal static class InputLoader
{
    /// <summary>File extensions read as images in a folder.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" };

    /// <summary>Loads the input for <paramref name="model"/>.</summary>
    public static InputBatch Load(string? path, ModelFile model, ImageOptions options)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new CliException(ExitCodes.Usage, "--input is required: a .npy batch (float32, N×C×H×W), an image file or a folder of images.");
        }

        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            var files = Directory.EnumerateFiles(full).Where(f => ImageExtensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
            {
                throw new CliException(ExitCodes.BadInput, $"Input folder '{full}' holds no image files ({string.Join(", ", ImageExtensions.Order(StringComparer.Ordinal))}).");
            }

            return LoadImages(files, model, options);
        }

        if (!File.Exists(full))
        {
            throw new CliException(ExitCodes.BadInput, $"Input '{full}' does not exist.");
        }

        if (string.Equals(Path.GetExtension(full), ".npy", StringComparison.OrdinalIgnoreCase))
        {
            var tensor = ReadBatch(full, model.InputShape.Length);
            CheckShape(tensor, model, full);
            var names = Enumerable.Range(0, tensor.BatchSize).Select(i => "row" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
            return new InputBatch(tensor, names, tensor);
        }

        return LoadImages([full], model, options);
    }

    /// <summary>Reads a float32 .npy batch of the given rank, with readable errors.</summary>
    public static FloatTensor ReadBatch(string path, int rank)
    {
        try
        {
            using var stream = File.OpenRead(path);
            if (!LooksLikeFloat32(stream, out var descr))
            {
                throw new CliException(ExitCodes.BadInput, $"'{path}' holds {descr} values; the input batch must be float32 ('<f4'). In NumPy: np.save(path, x.astype(np.float32)).");
            }

            stream.Position = 0;
            return rank > 0 ? Npy.ReadFloats(stream, rank) : Npy.ReadFloats(stream);
        }
        catch (NpyFormatException e)
        {
            throw new CliException(ExitCodes.BadInput, $"'{path}' is not a usable input batch: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new CliException(ExitCodes.BadInput, $"'{path}' cannot be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException(ExitCodes.BadInput, $"'{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads the files of a multi-input model's other inputs (<c>--input NAME=FILE.npy</c>): float32 or int64 .npy as the
    /// input's declared element type. Shapes, row counts and finiteness are checked by the explainer, naming the input.
    /// </summary>
    public static IReadOnlyDictionary<string, InputTensor>? ReadOtherInputs(IReadOnlyDictionary<string, string> files, ModelFile model)
    {
        if (files.Count == 0)
        {
            return null;
        }

        var inputs = new Dictionary<string, InputTensor>(StringComparer.Ordinal);
        foreach (var (name, file) in files)
        {
            var full = Path.GetFullPath(file);
            if (!File.Exists(full))
            {
                throw new CliException(ExitCodes.BadInput, $"The file '{full}' for model input '{name}' does not exist.");
            }

            try
            {
                inputs[name] = model.OtherInputs[name] switch
                {
                    TensorElementType.Float => InputTensor.Float(Npy.ReadFloats(full)),
                    TensorElementType.Int64 => Int64Input(Npy.ReadInt64(full)),
                    var other => throw new CliException(ExitCodes.Usage, $"Model input '{name}' is {other}; --input NAME=FILE.npy feeds float32 and int64 inputs."),
                };
            }
            catch (NpyFormatException e)
            {
                throw new CliException(ExitCodes.BadInput, $"'{full}' (model input '{name}', {model.OtherInputs[name]}) is not a usable .npy: {e.Message}", e);
            }
            catch (IOException e)
            {
                throw new CliException(ExitCodes.BadInput, $"'{full}' cannot be read: {e.Message}", e);
            }
        }

        return inputs;
    }

    private static InputTensor Int64Input((long[] Data, long[] Shape) values) => InputTensor.Int64(values.Data, values.Shape);

    /// <summary>Reads the class targets: an int64 .npy vector with one entry per row.</summary>
    public static long[] ReadTargets(string path, int rows)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new CliException(ExitCodes.BadInput, $"Targets file '{full}' does not exist.");
        }

        try
        {
            var (data, shape) = Npy.ReadInt64(full, 1);
            if (shape[0] != rows)
            {
                throw new CliException(ExitCodes.BadInput, $"'{full}' holds {shape[0]} targets but the input has {rows} rows: give one class index per row.");
            }

            return data;
        }
        catch (NpyFormatException e)
        {
            throw new CliException(ExitCodes.BadInput, $"'{full}' is not a usable targets file (int64 class indices, shape [N]): {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new CliException(ExitCodes.BadInput, $"'{full}' cannot be read: {e.Message}", e);
        }
    }

    private static bool LooksLikeFloat32(Stream stream, out string descr)
    {
        // Only the dtype is looked at here; everything else (magic, header, rank, length) is checked by Npy.
        descr = "unknown";
        var head = new byte[Math.Min(512, stream.Length)];
        stream.ReadExactly(head);
        var text = System.Text.Encoding.ASCII.GetString(head);
        int key = text.IndexOf("'descr'", StringComparison.Ordinal);
        if (key < 0)
        {
            return true;
        }

        int start = text.IndexOf('\'', key + 7);
        int end = start < 0 ? -1 : text.IndexOf('\'', start + 1);
        if (end < 0)
        {
            return true;
        }

        descr = text[(start + 1)..end];
        return descr is "<f4" or "|f4" or "=f4";
    }

    private static void CheckShape(FloatTensor tensor, ModelFile model, string path)
    {
        var expected = model.InputShape;
        for (int d = 1; d < expected.Length; d++)
        {
            if (expected[d] > 0 && expected[d] != tensor.Shape[d])
            {
                throw new CliException(ExitCodes.BadInput, $"'{path}' has shape {tensor.ShapeText} but model input '{model.Input}' expects {ShapeText(expected)}.");
            }
        }

        if (tensor.BatchSize == 0)
        {
            throw new CliException(ExitCodes.BadInput, $"'{path}' has no rows (shape {tensor.ShapeText}).");
        }
    }

    private static string ShapeText(long[] shape) => "[" + string.Join(", ", shape.Select((d, i) => d > 0 ? d.ToString(CultureInfo.InvariantCulture) : i == 0 ? "N" : "?")) + "]";

    private static InputBatch LoadImages(string[] files, ModelFile model, ImageOptions options)
    {
        if (model.ImageShape is not var (c, h, w))
        {
            throw new CliException(ExitCodes.Usage, $"Model input '{model.Input}' has shape {ShapeText(model.InputShape)}, not an image [N, C, H, W]: give the input as a .npy batch.");
        }

        var size = options.Size ?? (h > 0 && w > 0 ? (checked((int)h), checked((int)w)) : throw new CliException(ExitCodes.Usage, $"Model input '{model.Input}' has no fixed height and width ({ShapeText(model.InputShape)}): give --size HxW."));
        if ((long)size.Height * size.Width > options.MaxPixels)
        {
            throw new CliException(ExitCodes.Usage, string.Create(CultureInfo.InvariantCulture, $"Images would be resized to {size.Height}×{size.Width}, above the limit of {options.MaxPixels} pixels (--max-pixels)."));
        }

        int channels = c > 0 ? (int)c : (options.Grayscale ? 1 : 3);
        if (channels is not (1 or 3))
        {
            throw new CliException(ExitCodes.Usage, $"Model input '{model.Input}' has {channels} channels; images give 1 (grey) or 3 (RGB): give the input as a .npy batch.");
        }

        var mean = Expand(options.Mean, channels, "--mean");
        var std = Expand(options.Std, channels, "--std");
        if (std.Any(s => s == 0))
        {
            throw new CliException(ExitCodes.Usage, "--std must not contain 0.");
        }

        bool grey = options.Grayscale || channels == 1;
        int plane = size.Height * size.Width;
        long total = (long)files.Length * channels * plane;
        if (total > Array.MaxLength)
        {
            throw new CliException(ExitCodes.Usage, string.Create(CultureInfo.InvariantCulture, $"{files.Length} images of {channels}×{size.Height}×{size.Width} are {total} values, more than one batch can hold ({Array.MaxLength}): explain fewer or smaller images at a time."));
        }

        var data = new float[total];
        var display = new float[data.Length];
        for (int n = 0; n < files.Length; n++)
        {
            var pixels = Decode(files[n], size.Height, size.Width, options.MaxPixels);
            for (int p = 0; p < plane; p++)
            {
                var (r, g, b) = pixels[p];
                for (int k = 0; k < channels; k++)
                {
                    float v = grey ? ((0.299f * r) + (0.587f * g) + (0.114f * b)) / 255f : (k == 0 ? r : k == 1 ? g : b) / 255f;
                    int index = (((n * channels) + k) * plane) + p;
                    display[index] = v;
                    data[index] = (v - mean[k]) / std[k];
                }
            }
        }

        long[] shape = [files.Length, channels, size.Height, size.Width];
        var names = Unique(files.Select(f => Path.GetFileNameWithoutExtension(f)).ToArray());
        return new InputBatch(new FloatTensor(data, shape), names, new FloatTensor(display, shape));
    }

    private static float[] Expand(IReadOnlyList<float> values, int channels, string option) =>
        values.Count == 1 ? Enumerable.Repeat(values[0], channels).ToArray()
        : values.Count == channels ? values.ToArray()
        : throw new CliException(ExitCodes.Usage, $"{option} has {values.Count} values; give one, or one per channel ({channels}).");

    private static (byte R, byte G, byte B)[] Decode(string file, int height, int width, long maxPixels)
    {
        SKBitmap? decoded;
        try
        {
            using var stream = File.OpenRead(file);
            using var codec = SKCodec.Create(stream)
                ?? throw new CliException(ExitCodes.BadInput, $"Image '{file}' cannot be decoded: it is not a PNG, JPEG, BMP, GIF or WebP image, or it is damaged.");

            // The dimensions come from the header: refuse a huge image before any pixel is decoded.
            long pixels = (long)codec.Info.Width * codec.Info.Height;
            if (pixels > maxPixels)
            {
                throw new CliException(ExitCodes.BadInput, string.Create(CultureInfo.InvariantCulture, $"Image '{file}' declares {codec.Info.Width}×{codec.Info.Height} = {pixels} pixels, above the limit of {maxPixels} (raise it with --max-pixels)."));
            }

            decoded = SKBitmap.Decode(codec);
        }
        catch (IOException e)
        {
            throw new CliException(ExitCodes.BadInput, $"Image '{file}' cannot be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CliException(ExitCodes.BadInput, $"Image '{file}' cannot be read: {e.Message}", e);
        }

        if (decoded is null)
        {
            throw new CliException(ExitCodes.BadInput, $"Image '{file}' cannot be decoded: it is not a PNG, JPEG, BMP, GIF or WebP image, or it is damaged.");
        }

        using (decoded)
        {
            using var rgba = decoded.Copy(SKColorType.Rgba8888) ?? throw new CliException(ExitCodes.BadInput, $"Image '{file}' cannot be converted to RGBA.");
            using var resized = rgba.Width == width && rgba.Height == height
                ? rgba.Copy()
                : rgba.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
            if (resized is null)
            {
                throw new CliException(ExitCodes.BadInput, $"Image '{file}' cannot be resized to {height}×{width}.");
            }

            var result = new (byte, byte, byte)[height * width];
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    var color = resized.GetPixel(x, y);
                    result[(y * width) + x] = (color.Red, color.Green, color.Blue);
                }
            }

            return result;
        }
    }

    private static string[] Unique(string[] names)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < names.Length; i++)
        {
            var name = names[i];
            for (int k = 2; !seen.Add(name); k++)
            {
                name = names[i] + "_" + k.ToString(CultureInfo.InvariantCulture);
            }

            names[i] = name;
        }

        return names;
    }
}
