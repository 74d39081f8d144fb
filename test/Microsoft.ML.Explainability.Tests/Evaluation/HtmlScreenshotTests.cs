using System.Diagnostics;
using System.Xml;
using System.Xml.Linq;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Reports;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;
using SkiaSharp;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>
/// The HTML report opened in headless Chromium (Debian's <c>chromium</c> package, installed by
/// <c>eng/install-chromium.sh</c> when missing) and saved as a screenshot. Never skipped: when Chromium cannot be
/// installed or run, the test fails with the reason.
/// </summary>
[TestClass]
public sealed class HtmlScreenshotTests
{
    private const string Chromium = "/usr/bin/chromium";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(300_000, CooperativeCancellation = true)]
    public void Html_report_renders_in_headless_chromium_without_broken_images()
    {
        var folder = Directory.CreateTempSubdirectory("xai-screenshot-").FullName;
        var html = BuildReport(folder);

        // No broken images: every <img> is a PNG data URI that decodes.
        using (var reader = XmlReader.Create(html, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }))
        {
            var images = XDocument.Load(reader).Descendants("img").ToArray();
            Assert.IsNotEmpty(images);
            foreach (var image in images)
            {
                var src = (string?)image.Attribute("src") ?? "";
                StringAssert.StartsWith(src, "data:image/png;base64,", $"image '{(string?)image.Attribute("alt")}' is not an embedded PNG");
                using var bitmap = SKBitmap.Decode(Convert.FromBase64String(src["data:image/png;base64,".Length..]));
                Assert.IsNotNull(bitmap, $"image '{(string?)image.Attribute("alt")}' does not decode as PNG");
                Assert.IsTrue(bitmap.Width > 0 && bitmap.Height > 0);
            }
        }

        EnsureChromium();
        var screenshot = Path.Combine(folder, "report.png");
        var profile = Directory.CreateTempSubdirectory("xai-chromium-profile-").FullName;
        try
        {
            var (code, output) = RunProcess(Chromium, TimeSpan.FromSeconds(120),
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", $"--screenshot={screenshot}",
                "--window-size=1280,2000", new Uri(html).AbsoluteUri);
            Assert.IsTrue(File.Exists(screenshot), $"Chromium wrote no screenshot (exit {code}):\n{output}");
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }

        TestContext.WriteLine($"screenshot: {screenshot} ({new FileInfo(screenshot).Length} bytes)");
        TestContext.AddResultFile(screenshot);
        using var shot = SKBitmap.Decode(screenshot);
        Assert.IsNotNull(shot, "the screenshot does not decode as an image");
        Assert.AreEqual(1280, shot.Width);
        Assert.AreEqual(2000, shot.Height);
        var colours = new HashSet<uint>();
        int dark = 0;
        for (int y = 0; y < shot.Height; y += 4)
        {
            for (int x = 0; x < shot.Width; x += 4)
            {
                var pixel = shot.GetPixel(x, y);
                colours.Add((uint)pixel);
                dark += pixel.Red + pixel.Green + pixel.Blue < 200 ? 1 : 0;
            }
        }

        Assert.IsGreaterThan(100, colours.Count, "the screenshot is (nearly) a single colour: the page did not render");
        Assert.IsGreaterThan(500, dark, "the screenshot holds almost no dark pixels: no text, plots or heatmaps were drawn");
    }

    /// <summary>An evaluation report of the fixture CNN: two attributions, curves and overlays.</summary>
    private static string BuildReport(string folder)
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(4);
        using var scorer = new ModelScorer(model, "logits");
        var targets = scorer.Predict(x);
        using var session = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["input"] }));
        var gradient = session.Run(x, targets).Gradients["input"];
        var inputTimesGradient = new FloatTensor(x.Data.Zip(gradient.Data, (a, g) => a * g).ToArray(), x.Shape);
        var random = LinearFixture.RandomAttribution(x.Shape, 5);
        var report = new EvaluationReport();
        var options = new DeletionInsertionOptions { Steps = 10 };
        var page = new HtmlReport(report, "Fixture CNN: screenshot test");
        foreach (var (method, e) in new[] { ("input × gradient", inputTimesGradient), ("random", random) })
        {
            report.AddCurves(method, DeletionInsertion.Deletion(scorer, x, e, targets, options));
            report.AddCurves(method, DeletionInsertion.Insertion(scorer, x, e, targets, options));
            report.Add(method, "sparseness (Gini)", Complexity.Sparseness(e), higherIsBetter: true);
            page.AddHeatmaps(method, x, e, maxSamples: 4, colormap: HeatmapColormap.Jet);
        }

        var path = Path.Combine(folder, "report.html");
        page.Save(path);
        return path;
    }

    /// <summary>Runs eng/install-chromium.sh when Chromium is missing; fails the test with the script's output when it cannot.</summary>
    private void EnsureChromium()
    {
        if (File.Exists(Chromium))
        {
            return;
        }

        var script = FindScript();
        TestContext.WriteLine($"{Chromium} is missing: running {script}");
        var (code, output) = RunProcess("bash", TimeSpan.FromMinutes(4), script);
        TestContext.WriteLine(output);
        Assert.AreEqual(0, code, $"{script} could not install Chromium (exit {code}):\n{output}");
        Assert.IsTrue(File.Exists(Chromium), $"{script} succeeded but {Chromium} does not exist:\n{output}");
    }

    private static string FindScript()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "eng", "install-chromium.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"eng/install-chromium.sh was not found above {AppContext.BaseDirectory}; it installs the Chromium this test needs.");
        return "";
    }

    private static (int ExitCode, string Output) RunProcess(string fileName, TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} did not finish within {timeout.TotalSeconds:F0} s.");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
