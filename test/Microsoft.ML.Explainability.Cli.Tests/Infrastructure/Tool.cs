using System.IO.Compression;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli.Tests.Infrastructure;

/// <summary>The result of one in-process run of the tool.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>Runs <c>onnx-xai</c> in process and provides fixtures.</summary>
internal static class Tool
{
    public const float Mean = 0.2860f;
    public const float Std = 0.3530f;

    public static CliRun Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs the tool in process with a cancellation token and a caller-given output writer (which may cancel it).</summary>
    public static CliRun Run(StringWriter output, string[] args, CancellationToken cancellationToken)
    {
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error, cancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Writes 28×28 grey PNGs of the first Fashion-MNIST images into <paramref name="folder"/>.</summary>
    public static void WritePngs(string folder, int count)
    {
        var pixels = Pixels(count);
        for (int i = 0; i < count; i++)
        {
            using var bitmap = new SkiaSharp.SKBitmap(28, 28, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque);
            for (int p = 0; p < 784; p++)
            {
                bitmap.SetPixel(p % 28, p / 28, new SkiaSharp.SKColor(pixels[i][p], pixels[i][p], pixels[i][p]));
            }

            using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(folder, $"{i:D3}.png"), data.ToArray());
        }
    }

    /// <summary>Every file and folder under <paramref name="folder"/>, relative, sorted.</summary>
    public static string[] Listing(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(folder, p)).Order(StringComparer.Ordinal).ToArray() : [];

    public static string Model(string name) => Path.Combine(AppContext.BaseDirectory, "assets", "models", name);

    /// <summary>A fresh empty folder under the test output.</summary>
    public static string TempFolder(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "cli-test-output", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Raw Fashion-MNIST pixels of the first images.</summary>
    public static byte[][] Pixels(int count)
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(AppContext.BaseDirectory, "assets", "data", "fashion-mnist-t10k-1000-images-idx3-ubyte.gz")), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        var bytes = memory.ToArray();
        return Enumerable.Range(0, count).Select(i => bytes.AsSpan(16 + (i * 784), 784).ToArray()).ToArray();
    }

    /// <summary>A normalised [count, 1, 28, 28] batch of the first test images.</summary>
    public static FloatTensor Batch(int count) =>
        new(Pixels(count).SelectMany(image => image.Select(p => ((p / 255f) - Mean) / Std)).ToArray(), count, 1, 28, 28);

    /// <summary>Writes <paramref name="tensor"/> as a .npy file in <paramref name="folder"/>.</summary>
    public static string SaveNpy(string folder, string name, FloatTensor tensor)
    {
        var path = Path.Combine(folder, name);
        Npy.Write(path, tensor);
        return path;
    }

    /// <summary>The header dict of a .npy file, checking magic and version 1.0, and the offset of its data.</summary>
    public static (string Header, int DataOffset) NpyHeader(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes[0] != 0x93 || System.Text.Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY" || bytes[6] != 1 || bytes[7] != 0)
        {
            throw new InvalidDataException($"{path} is not a version 1.0 .npy file.");
        }

        int length = bytes[8] | (bytes[9] << 8);
        return (System.Text.Encoding.ASCII.GetString(bytes, 10, length), 10 + length);
    }

    public static float MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Lengths differ: {a.Length} vs {b.Length}.");
        }

        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
