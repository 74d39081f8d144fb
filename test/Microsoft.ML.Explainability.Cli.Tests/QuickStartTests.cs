using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.IO;
using SkiaSharp;

namespace Microsoft.ML.Explainability.Cli.Tests;

[TestClass]
public sealed class QuickStartTests
{
    [TestMethod]
    public void Quickstart_writes_images_heatmaps_summary_report_and_a_checked_compiled_model()
    {
        var folder = Path.Combine(Tool.TempFolder("quickstart"), "out");

        var run = Tool.Run("quickstart", "--output", folder);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.AreEqual(8, Directory.GetFiles(Path.Combine(folder, "images"), "*.png").Length);
        foreach (var method in new[] { "grad-cam", "saliency", "integrated-gradients", "lrp" })
        {
            var values = Npy.ReadFloats(Path.Combine(folder, method, method + ".npy"));
            Assert.AreEqual(8, values.BatchSize, method);
            Assert.AreEqual(8, Directory.GetFiles(Path.Combine(folder, method), "*.png").Length, method);
        }

        CollectionAssert.AreEqual(new long[] { 8, 28, 28 }, Npy.ReadFloats(Path.Combine(folder, "grad-cam", "grad-cam.npy")).Shape);
        using (var summary = SKBitmap.Decode(Path.Combine(folder, "summary.png")))
        {
            Assert.IsTrue(summary.Width > summary.Height / 2 && summary.Height > 8 * 100, $"{summary.Width}×{summary.Height}");
        }

        var html = File.ReadAllText(Path.Combine(folder, "index.html"));
        StringAssert.Contains(html, "deletion curves");
        StringAssert.Contains(html, "predicted");
        Assert.IsTrue(File.Exists(Path.Combine(folder, "fmnist_cnn.grad-cam.onnx")));
        StringAssert.Contains(run.Output, "plain ONNX Runtime reproduces the library's maps");
    }
}
