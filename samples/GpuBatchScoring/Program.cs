// Batch-scores a folder of images with Grad-CAM through an ML.NET pipeline, on CUDA when a GPU is usable.
//
//   dotnet run -c Release --project samples/GpuBatchScoring -- [--model m.onnx --images folder --size 28 --channels 1
//                                                               --mean 0.2860 --std 0.3530 --gpu 0 --batch 64 --out out/gpu-batch-scoring]
//
// Without --images it writes the first 1,000 bundled Fashion-MNIST images as PNGs and explains them with the bundled
// CNN. Writes saliency.csv (file, class, score, the map's peak) and reports rows per second and the device used.
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.ML;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

var options = ParseArguments(args);
string Option(string name, string fallback) => options.TryGetValue(name, out var v) ? v : fallback;
var output = Path.GetFullPath(Option("out", Path.Combine("out", "gpu-batch-scoring")));
Directory.CreateDirectory(output);
var modelFile = Option("model", Path.Combine(AppContext.BaseDirectory, "assets", "fmnist_cnn.onnx"));
var images = options.TryGetValue("images", out var folder) ? folder : WriteSampleImages(Path.Combine(output, "images"), 1000);
int size = int.Parse(Option("size", "28"), CultureInfo.InvariantCulture);
int channels = int.Parse(Option("channels", "1"), CultureInfo.InvariantCulture);
float[] mean = [float.Parse(Option("mean", "0.2860"), CultureInfo.InvariantCulture)];
float[] std = [float.Parse(Option("std", "0.3530"), CultureInfo.InvariantCulture)];
int? gpu = int.Parse(Option("gpu", "0"), CultureInfo.InvariantCulture) is var g && g >= 0 ? g : null;
int batch = int.Parse(Option("batch", "64"), CultureInfo.InvariantCulture);

// Which device ONNX Runtime will really use (the explain transformer falls back the same way).
using (var probe = new GradientSession(GradientModel.Build(OnnxModel.Load(modelFile), new GradientRequest { Output = OnnxModel.Load(modelFile).OutputNames[0], WithRespectTo = [OnnxModel.Load(modelFile).InputNames[0]] }), new ExecutionOptions { GpuDeviceId = gpu }))
{
    Console.WriteLine($"device: {probe.ExecutionProvider}{(probe.FallbackReason is { } reason ? $" (fell back: {reason})" : "")}");
}

var ml = new MLContext(seed: 0);
var files = Directory.GetFiles(images, "*.png").Select(f => new ImageFile { ImagePath = Path.GetFileName(f) }).OrderBy(f => f.ImagePath, StringComparer.Ordinal).ToArray();
var data = ml.Data.LoadFromEnumerable(files);
var pipeline = ml.Transforms.LoadImages("Image", images, nameof(ImageFile.ImagePath))
    .Append(ml.Transforms.ResizeImages("Image", size, size))
    .Append(ml.Transforms.ExtractPixels("Pixels", "Image", channels == 1 ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb, scaleImage: 1f / 255))
    .Append(ml.Transforms.ExplainGradCam(new GradCamEstimator.Options
    {
        InputColumnName = "Pixels",
        OutputColumnName = "Saliency",
        ModelFile = modelFile,
        Mean = mean,
        Std = std,
        ClassColumnName = "Class",
        ScoreColumnName = "Score",
        BatchSize = batch,
        GpuDeviceId = gpu,
        FallbackToCpu = true,   // the sample runs anywhere; ML.NET's default (false) throws when CUDA is unusable
    }));
var model = pipeline.Fit(data);
var explainer = (GradCamTransformer)model.LastTransformer;
Console.WriteLine($"running on {explainer.ExecutionProvider}" + (explainer.FallbackReason is { } why ? $" ({why})" : ""));
var clock = Stopwatch.StartNew();
var frame = model.Transform(data).ToExplanationDataFrame("ImagePath", "Class", "Score", "Saliency");
clock.Stop();
Console.WriteLine($"{frame.Rows.Count} images explained in {clock.Elapsed.TotalSeconds:F2} s ({frame.Rows.Count / clock.Elapsed.TotalSeconds:F0} rows/s, batches of {batch})");

using (var csv = new StreamWriter(Path.Combine(output, "saliency.csv")))
{
    csv.WriteLine("file,class,score,peak_row,peak_col");
    var saliency = frame["Saliency"];
    for (long r = 0; r < frame.Rows.Count; r++)
    {
        var map = ((VBuffer<float>)saliency[r]!).DenseValues().ToArray();
        int peak = Array.IndexOf(map, map.Max());
        csv.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{frame["ImagePath"][r]},{frame["Class"][r]},{frame["Score"][r]},{peak / size},{peak % size}"));
    }
}

Console.WriteLine($"wrote {Path.Combine(output, "saliency.csv")}");
explainer.Dispose();
return 0;

static Dictionary<string, string> ParseArguments(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (int i = 0; i + 1 < args.Length; i += 2)
    {
        result[args[i].TrimStart('-')] = args[i + 1];
    }

    return result;
}

static string WriteSampleImages(string folder, int count)
{
    Directory.CreateDirectory(folder);
    using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "assets", "images.gz"));
    using var gzip = new GZipStream(file, CompressionMode.Decompress);
    using var memory = new MemoryStream();
    gzip.CopyTo(memory);
    var bytes = memory.ToArray();
    for (int i = 0; i < count; i++)
    {
        using var bitmap = new SKBitmap(28, 28, SKColorType.Rgba8888, SKAlphaType.Opaque);
        for (int p = 0; p < 784; p++)
        {
            byte v = bytes[16 + (i * 784) + p];
            bitmap.SetPixel(p % 28, p / 28, new SKColor(v, v, v));
        }

        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(folder, $"{i:D4}.png"), png.ToArray());
    }

    return folder;
}

/// <summary>One image file of the folder.</summary>
internal sealed class ImageFile
{
    /// <summary>The file name, relative to the folder.</summary>
    public string ImagePath { get; set; } = "";
}
