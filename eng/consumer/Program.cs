// The README's ML.NET snippet, as a new user's console app runs it against the packed NuGet packages (not the
// projects): PNG files → LoadImages → ResizeImages → ExtractPixels → ExplainGradCam, the evaluation of the scored
// view (per-sample and summary CSV), and the HTML report, all in one process. Usage: <model.onnx> <images-idx.gz> <out>
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.ML;
using Microsoft.ML.Explainability.Reports;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Transforms.Image;
using SkiaSharp;

string modelFile = args[0], idx = args[1], folder = args[2];
Directory.CreateDirectory(folder);

// Four Fashion-MNIST images as PNG files.
byte[] sample;
using (var gzip = new GZipStream(File.OpenRead(idx), CompressionMode.Decompress))
using (var memory = new MemoryStream())
{
    gzip.CopyTo(memory);
    sample = memory.ToArray();
}

var rows = new List<ImageInput>();
for (int i = 0; i < 4; i++)
{
    using var bitmap = new SKBitmap(28, 28, SKColorType.Rgba8888, SKAlphaType.Opaque);
    for (int p = 0; p < 784; p++)
    {
        byte v = sample[16 + (i * 784) + p];
        bitmap.SetPixel(p % 28, p / 28, new SKColor(v, v, v));
    }

    var name = $"{i}.png";
    using (var png = bitmap.Encode(SKEncodedImageFormat.Png, 100))
    {
        File.WriteAllBytes(Path.Combine(folder, name), png.ToArray());
    }

    rows.Add(new ImageInput { ImagePath = name });
}

var ml = new MLContext(seed: 0);
var data = ml.Data.LoadFromEnumerable(rows);
var pipeline = ml.Transforms.LoadImages("Image", folder, "ImagePath")
    .Append(ml.Transforms.ResizeImages("Image", 28, 28))
    .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
    .Append(ml.Transforms.ExplainGradCam(outputColumnName: "Saliency", inputColumnName: "Pixels", modelFile: modelFile, targetLayer: null));
var model = pipeline.Fit(ml.Data.LoadFromEnumerable(new List<ImageInput>()));   // ML.NET's "fit on an empty list" pattern
var scored = model.Transform(data);

var options = new ExplanationEvaluationOptions { ModelFile = modelFile };
options.Explanations.Add(new ExplanationColumn("grad-cam", "Saliency"));
var evaluation = scored.Evaluate(options);
evaluation.SaveCsv(folder);

var results = ml.Data.CreateEnumerable<Explained>(scored, reuseRowObject: false).ToArray();
var images = new FloatTensor(results.SelectMany(r => r.Pixels).ToArray(), results.Length, 1, 28, 28);
var maps = new FloatTensor(results.SelectMany(r => r.Saliency).ToArray(), results.Length, 1, 28, 28);
var html = Path.Combine(folder, "report.html");
new HtmlReport(evaluation.Report, "Consumer check").AddHeatmaps("grad-cam", images, maps, colormap: HeatmapColormap.Jet).Save(html);

bool ok = results.Length == rows.Count && results.All(r => r.Saliency.Max() > 0) && new FileInfo(html).Length > 10_000;
Console.WriteLine($".NET {Environment.Version}: {results.Length} Grad-CAM maps, {evaluation.PerSample.Rows.Count} evaluated rows, report {new FileInfo(html).Length} bytes: {(ok ? "OK" : "FAILED")}");
return ok ? 0 : 1;

/// <summary>A row of the input list.</summary>
internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
}

/// <summary>What the pipeline adds.</summary>
internal sealed class Explained
{
    [VectorType(1, 28, 28)]
    public float[] Pixels { get; set; } = [];

    [VectorType(28, 28)]
    public float[] Saliency { get; set; } = [];
}
