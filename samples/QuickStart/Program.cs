using System.Diagnostics;
using System.IO.Compression;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using SkiaSharp;

// Quick start on the embedded default: the bundled Fashion-MNIST CNN and the first 8 bundled test images.
// For each image: the class the model predicts, and the gradient of that class's logit with respect to the input
// pixels and to the last convolutional block, computed by one batched ONNX Runtime call over the model extended with
// its backward graph. Writes a PNG per image (input | |gradient| saliency) and an index.html to the output folder.
var output = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine("out", "quickstart"));
Directory.CreateDirectory(output);
string[] classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

var model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fmnist_cnn.onnx"));
var pixels = ReadImages(Path.Combine(AppContext.BaseDirectory, "assets", "images.gz"), 8);
var batch = new FloatTensor(pixels.SelectMany(image => image.Select(p => ((p / 255f) - 0.2860f) / 0.3530f)).ToArray(), 8, 1, 28, 28);

var clock = Stopwatch.StartNew();
var gradients = GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["input", "target_act"], Activations = ["target_act"] });
using var session = new GradientSession(gradients);
var result = session.Run(batch);
Console.WriteLine($"Extended the model with {gradients.Model.NodeCount - model.NodeCount} backward nodes and ran 8 images in {clock.ElapsedMilliseconds} ms ({session.ExecutionProvider}).");

var html = new System.Text.StringBuilder("<!doctype html><meta charset=utf-8><title>Quick start</title><h1>Input-gradient saliency, fmnist_cnn.onnx</h1>");
for (int row = 0; row < 8; row++)
{
    var saliency = result.Gradients["input"].Row(row).ToArray().Select(Math.Abs).ToArray();
    float max = saliency.Max() + 1e-7f;
    var file = $"image{row}.png";
    WritePair(Path.Combine(output, file), pixels[row], saliency.Select(v => v / max).ToArray());
    var cls = classes[result.Targets![row]];
    Console.WriteLine($"image {row}: predicted {cls} (logit {result.TargetScores![row]:F2}); ‖∂logit/∂target_act‖ = {Norm(result.Gradients["target_act"].Row(row)):F3}");
    html.Append(System.Globalization.CultureInfo.InvariantCulture, $"<figure style='display:inline-block'><img src='{file}' width=224><figcaption>{cls}</figcaption></figure>");
}

File.WriteAllText(Path.Combine(output, "index.html"), html.ToString());
Console.WriteLine($"Wrote {Path.Combine(output, "index.html")}");

static double Norm(Span<float> values)
{
    double sum = 0;
    foreach (var v in values)
    {
        sum += v * v;
    }

    return Math.Sqrt(sum);
}

static byte[][] ReadImages(string path, int count)
{
    using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
    using var memory = new MemoryStream();
    gzip.CopyTo(memory);
    var bytes = memory.ToArray();
    return Enumerable.Range(0, count).Select(i => bytes.AsSpan(16 + (i * 784), 784).ToArray()).ToArray();
}

static void WritePair(string path, byte[] image, float[] saliency)
{
    const int Scale = 8;
    using var bitmap = new SKBitmap(56 * Scale, 28 * Scale);
    for (int y = 0; y < 28 * Scale; y++)
    {
        for (int x = 0; x < 28 * Scale; x++)
        {
            int p = ((y / Scale) * 28) + (x / Scale);
            byte g = image[p];
            bitmap.SetPixel(x, y, new SKColor(g, g, g));
            float s = saliency[p];
            bitmap.SetPixel(x + (28 * Scale), y, new SKColor((byte)(255 * Math.Min(1, 2 * s)), (byte)(255 * Math.Max(0, (2 * s) - 1)), (byte)(64 * (1 - s))));
        }
    }

    using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
    using var stream = File.Create(path);
    data.SaveTo(stream);
}
