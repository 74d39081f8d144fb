using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Microsoft.ML.Explainability.Compilation;
using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace Microsoft.ML.Explainability.Cli.Commands;

/// <summary>
/// <c>quickstart [--output DIR]</c>: the main job on the embedded default — the bundled Fashion-MNIST CNN and the first
/// images of the bundled Fashion-MNIST sample. Writes the images, per-method heatmaps (.npy and PNG overlays),
/// <c>summary.png</c> (rows: images; columns: input, Grad-CAM, saliency, integrated gradients, LRP), the evaluation
/// report (<c>index.html</c>, deletion and insertion), and a compiled Grad-CAM model checked against the library.
/// </summary>
internal static class QuickStartCommand
{
    /// <summary>The classes of Fashion-MNIST.</summary>
    public static readonly IReadOnlyList<string> Classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The methods shown, in column order.</summary>
    public static readonly IReadOnlyList<string> MethodNames = ["grad-cam", "saliency", "integrated-gradients", "lrp"];

    public static Command Create(TextWriter output, CancellationToken cancellation)
    {
        var outputOption = new Option<string>("--output", "-o") { Description = "Output folder.", DefaultValueFactory = _ => Path.Combine("out", "quickstart") };
        var count = new Option<int>("--count", "-n") { Description = "Images of the bundled sample to explain (1–1000).", DefaultValueFactory = _ => 8 };
        var command = new Command("quickstart", "Explain the bundled Fashion-MNIST CNN on bundled images: heatmaps, summary.png, an HTML report and a compiled Grad-CAM model.");
        command.Options.Add(outputOption);
        command.Options.Add(count);
        command.SetAction(result =>
        {
            int n = result.GetValue(count);
            if (n is < 1 or > 1000)
            {
                throw new CliException(ExitCodes.Usage, "--count must be between 1 and 1000.");
            }

            Run(result.GetValue(outputOption) ?? Path.Combine("out", "quickstart"), n, output, cancellation);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The bundled assets folder (next to the tool's assembly).</summary>
    public static string AssetsFolder => Path.Combine(AppContext.BaseDirectory, "assets");

    /// <summary>Runs the quick start into <paramref name="folder"/>, all or nothing (see <see cref="StagedFolder"/>).</summary>
    public static void Run(string folder, int count, TextWriter output, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        using var staged = StagedFolder.Create(folder);
        var root = staged.Staging;
        var final = staged.Target;
        var modelPath = Path.Combine(AssetsFolder, "fmnist_cnn.onnx");
        var model = ModelFile.Load(modelPath);
        var (pixels, labels) = ReadSample(count);

        // The bundled images as PNG files, read back through the same path as `explain --input FOLDER`.
        var images = Path.Combine(root, "images");
        OutputFiles.Guard(images, () => Directory.CreateDirectory(images));
        for (int i = 0; i < count; i++)
        {
            OutputFiles.WriteBytes(Path.Combine(images, string.Create(CultureInfo.InvariantCulture, $"{i:D3}_{Slug(Classes[labels[i]])}.png")), GreyPng(pixels[i]));
        }

        var batch = InputLoader.Load(images, model, new ImageOptions { Mean = [0.2860f], Std = [0.3530f], Grayscale = true });
        output.WriteLine($"quick start: {model.Path}, {count} Fashion-MNIST images ({Path.Combine(final, "images")})");
        var options = new MethodOptions { Steps = 32, Cancellation = cancellation };
        var results = new Dictionary<string, MethodResult>(StringComparer.Ordinal);
        foreach (var name in MethodNames)
        {
            var method = Methods.Require(name);
            results[name] = ExplainCommand.Compute(model, batch, method, null, options, output);
            var written = ExplainCommand.Write(batch, method, results[name], options, Path.Combine(root, name));
            output.WriteLine($"wrote {written} to {Path.Combine(final, name)}");
        }

        var predicted = results["grad-cam"].Targets!;
        var captions = Enumerable.Range(0, count).Select(i => $"{batch.Names[i]}: predicted {Classes[(int)predicted[i]]}, true {Classes[labels[i]]}").ToArray();
        foreach (var caption in captions)
        {
            output.WriteLine("  " + caption);
        }

        WriteSummary(Path.Combine(root, "summary.png"), batch, results);
        EvaluateCommand.Run(model, batch, MethodNames.Select(Methods.Require).ToArray(), ["deletion", "insertion"], null, options, 28, root, output, captions, "Quick start: fmnist_cnn.onnx on Fashion-MNIST", writeExplanations: false);
        OutputFiles.Guard(root, () => File.Move(Path.Combine(root, "report.html"), Path.Combine(root, "index.html"), overwrite: true));

        // The same Grad-CAM, compiled into a standalone model and run by plain ONNX Runtime.
        cancellation.ThrowIfCancellationRequested();
        var compiled = ExplanationCompiler.Compile(model.Model, ExplanationMethods.GradCam);
        var compiledPath = Path.Combine(root, "fmnist_cnn.grad-cam.onnx");
        OutputFiles.WriteAtomically(compiledPath, compiled.Model.Save);
        var maps = RunCompiled(compiledPath, model.Input, batch.Tensor);
        var library = results["grad-cam"].Values.Data;
        double difference = maps.Zip(library, (a, b) => Math.Abs((double)a - b)).Max();
        cancellation.ThrowIfCancellationRequested();
        staged.Commit();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"compiled Grad-CAM model: {Path.Combine(final, "fmnist_cnn.grad-cam.onnx")}; plain ONNX Runtime reproduces the library's maps to {difference:E1}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done in {clock.Elapsed.TotalSeconds:F1} s: open {Path.Combine(final, "index.html")} (summary picture: {Path.Combine(final, "summary.png")})"));
    }

    /// <summary>Runs a compiled model with ONNX Runtime alone and returns its saliency output.</summary>
    public static float[] RunCompiled(string path, string input, FloatTensor batch)
    {
        using var session = SessionOptionsFactory.CreateSession(OnnxModel.Load(path), ExecutionOptions.Default, out _, out _);
        using var value = OrtValue.CreateTensorValueFromMemory(batch.Data, batch.Shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [input], [value], [ExplanationCompiler.ExplanationOutput]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static (byte[][] Pixels, int[] Labels) ReadSample(int count)
    {
        byte[] Read(string file)
        {
            var path = Path.Combine(AssetsFolder, file);
            if (!File.Exists(path))
            {
                throw new CliException(ExitCodes.BadInput, $"The bundled sample '{path}' is missing: rebuild the tool.");
            }

            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var memory = new MemoryStream();
            gzip.CopyTo(memory);
            return memory.ToArray();
        }

        var images = Read("fashion-mnist-images.gz");
        var labels = Read("fashion-mnist-labels.gz");
        return (Enumerable.Range(0, count).Select(i => images.AsSpan(16 + (i * 784), 784).ToArray()).ToArray(), labels.Skip(8).Take(count).Select(b => (int)b).ToArray());
    }

    private static byte[] GreyPng(byte[] pixels)
    {
        using var bitmap = new SKBitmap(28, 28, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int p = 0; p < 784; p++)
        {
            bitmap.SetPixel(p % 28, p / 28, new SKColor(pixels[p], pixels[p], pixels[p]));
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A grid: one row per image; columns input, then each method's overlay.</summary>
    private static void WriteSummary(string path, InputBatch batch, Dictionary<string, MethodResult> results)
    {
        int rows = Math.Min(batch.Tensor.BatchSize, 8), cell = 168, gap = 4;
        int columns = 1 + MethodNames.Count;
        using var canvasBitmap = new SKBitmap((columns * (cell + gap)) + gap, (rows * (cell + gap)) + gap, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using (var canvas = new SKCanvas(canvasBitmap))
        {
            canvas.Clear(SKColors.White);
            var sampling = new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None);
            for (int r = 0; r < rows; r++)
            {
                var tiles = new List<byte[]> { InputPng(batch.Display, r) };
                tiles.AddRange(MethodNames.Select(m => OutputFiles.OverlayPng(batch, results[m].Values, Methods.Require(m).Layout, r)!));
                for (int c = 0; c < tiles.Count; c++)
                {
                    using var tile = SKImage.FromEncodedData(tiles[c]);
                    canvas.DrawImage(tile, SKRect.Create(gap + (c * (cell + gap)), gap + (r * (cell + gap)), cell, cell), sampling);
                }
            }
        }

        using var data = canvasBitmap.Encode(SKEncodedImageFormat.Png, 100);
        OutputFiles.WriteBytes(path, data.ToArray());
    }

    private static byte[] InputPng(FloatTensor display, int row)
    {
        int h = (int)display.Shape[2], w = (int)display.Shape[3];
        var plane = display.Row(row);
        using var bitmap = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int p = 0; p < h * w; p++)
        {
            byte v = (byte)Math.Clamp(Math.Round(plane[p] * 255), 0, 255);
            bitmap.SetPixel(p % w, p / w, new SKColor(v, v, v));
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static string Slug(string text) => new(text.ToLowerInvariant().Select(ch => char.IsLetterOrDigit(ch) ? ch : '-').ToArray());
}
