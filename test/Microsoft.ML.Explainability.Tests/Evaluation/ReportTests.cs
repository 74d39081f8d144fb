using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Data.Analysis;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Reports;
using Microsoft.ML.Explainability.Runtime;
using SkiaSharp;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>
/// The report over methods × metrics and its CSV, Markdown and HTML writers, read back from real files. The
/// explanations are synthetic (exact, noisy and random attributions of the linear model): the fixture-model ×
/// published-method report waits for the explanation methods.
/// </summary>
[TestClass]
public sealed class ReportTests
{
    private static readonly LinearFixture Linear = new();

    public TestContext TestContext { get; set; } = null!;

    private static (EvaluationReport Report, FloatTensor Inputs, Dictionary<string, FloatTensor> Explanations) Build()
    {
        var x = LinearFixture.Images(6);
        var targets = Linear.Predicted(x);
        var exact = Linear.InputTimesWeight(x, targets);
        var noise = LinearFixture.RandomAttribution(x.Shape, 8);
        var noisy = new FloatTensor(exact.Data.Zip(noise.Data, (a, b) => a + (0.3f * b)).ToArray(), x.Shape);
        var explanations = new Dictionary<string, FloatTensor> { ["input × weight"] = exact, ["noisy, \"0.3\""] = noisy, ["random"] = noise };
        var report = new EvaluationReport();
        using var scorer = new ModelScorer(Linear.Model);
        var options = new DeletionInsertionOptions { Steps = 10 };
        foreach (var (method, e) in explanations)
        {
            report.AddCurves(method, DeletionInsertion.Deletion(scorer, x, e, targets, options));
            report.AddCurves(method, DeletionInsertion.Insertion(scorer, x, e, targets, options));
            report.Add(method, "sparseness (Gini)", Complexity.Sparseness(e), higherIsBetter: true);
            report.Add(method, "faithfulness correlation", FaithfulnessCorrelation.Run(scorer, x, e, targets, new FaithfulnessCorrelationOptions { Runs = 10 }), higherIsBetter: true);
        }

        return (report, x, explanations);
    }

    [TestMethod]
    public void DataFrame_holds_mean_std_interval_and_n_per_method_and_metric()
    {
        var (report, _, _) = Build();
        var frame = report.ToDataFrame();
        CollectionAssert.AreEqual(EvaluationReport.Columns.ToArray(), frame.Columns.Select(c => c.Name).ToArray());
        Assert.AreEqual(12L, frame.Rows.Count);
        var values = report.Values("random", "sparseness (Gini)");
        double mean = values.Average();
        double std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / 5);
        int row = Enumerable.Range(0, 12).Single(r => (string)frame["Method"][r] == "random" && (string)frame["Metric"][r] == "sparseness (Gini)");
        Assert.AreEqual(mean, (double)frame["Mean"][row], 1e-12);
        Assert.AreEqual(std, (double)frame["Std"][row], 1e-12);
        Assert.AreEqual(mean + (2.5705818366 * std / Math.Sqrt(6)), (double)frame["CI95High"][row], 1e-8, "t(0.975, 5) = 2.5706");
        Assert.AreEqual(6, (int)frame["N"][row]);
        Assert.IsLessThan(report.Summary("random", "deletion AUC").Mean, report.Summary("input × weight", "deletion AUC").Mean);
    }

    [TestMethod]
    public void Csv_and_markdown_files_read_back_to_the_same_numbers()
    {
        var (report, _, _) = Build();
        var directory = Directory.CreateTempSubdirectory("xai-report-").FullName;
        var csv = Path.Combine(directory, "report.csv");
        var markdown = Path.Combine(directory, "report.md");
        ReportWriters.WriteCsv(report, csv);
        ReportWriters.WriteMarkdown(report, markdown, "Linear model");

        var expected = report.ToDataFrame();
        var read = DataFrame.LoadCsv(csv, cultureInfo: CultureInfo.InvariantCulture);
        Assert.AreEqual(expected.Rows.Count, read.Rows.Count);
        CollectionAssert.AreEqual(EvaluationReport.Columns.ToArray(), read.Columns.Select(c => c.Name).ToArray());
        for (long r = 0; r < expected.Rows.Count; r++)
        {
            Assert.AreEqual(expected["Method"][r], read["Method"][r]?.ToString(), "quoted fields survive");
            Assert.AreEqual(expected["Metric"][r], read["Metric"][r]?.ToString());
            foreach (var column in new[] { "Mean", "Std", "CI95Low", "CI95High" })
            {
                Assert.AreEqual((double)expected[column][r]!, Convert.ToDouble(read[column][r], CultureInfo.InvariantCulture), 1e-6 * Math.Max(1, Math.Abs((double)expected[column][r]!)), $"{column} row {r}");
            }

            Assert.AreEqual(Convert.ToDouble(expected["N"][r], CultureInfo.InvariantCulture), Convert.ToDouble(read["N"][r], CultureInfo.InvariantCulture));
        }

        // Markdown: the wide table has one row per method and one column per metric, each cell "mean ± half (n)".
        var lines = File.ReadAllLines(markdown);
        Assert.AreEqual("# Linear model", lines[0]);
        var header = lines.First(l => l.StartsWith("| Method |", StringComparison.Ordinal));
        var cells = SplitRow(header);
        CollectionAssert.AreEqual(new[] { "Method", "deletion AUC ↓", "insertion AUC ↑", "sparseness (Gini) ↑", "faithfulness correlation ↑" }, cells);
        int start = Array.IndexOf(lines, header) + 2;
        foreach (var (method, i) in report.Methods.Select((m, i) => (m, i)))
        {
            var row = SplitRow(lines[start + i]);
            Assert.AreEqual(method, row[0].Replace("\\|", "|", StringComparison.Ordinal));
            var cell = row[1];
            var mean = double.Parse(cell[..cell.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            Assert.AreEqual(report.Summary(method, "deletion AUC").Mean, mean, 1e-3 * Math.Abs(mean) + 1e-9);
            StringAssert.EndsWith(cell, "(6)");
        }

        Assert.IsTrue(lines.Any(l => l == "## All statistics"));
    }

    [TestMethod]
    public void Html_page_is_well_formed_and_every_image_is_a_decodable_png()
    {
        var (report, x, explanations) = Build();
        var page = new HtmlReport(report, "Linear model <evaluation>");
        foreach (var (method, e) in explanations)
        {
            page.AddHeatmaps(method, x, e, maxSamples: 3, colormap: method == "random" ? HeatmapColormap.Jet : HeatmapColormap.Inferno);
        }

        var path = Path.Combine(Directory.CreateTempSubdirectory("xai-html-").FullName, "report.html");
        page.Save(path);
        TestContext.WriteLine($"HTML report: {path} ({new FileInfo(path).Length} bytes)");

        using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        var document = XDocument.Load(reader);
        Assert.AreEqual("Linear model <evaluation>", document.Root!.Element("head")!.Element("title")!.Value);
        var summary = document.Descendants("table").Single(t => (string?)t.Attribute("id") == "summary");
        Assert.HasCount(12, summary.Element("tbody")!.Elements("tr"));
        var images = document.Descendants("img").ToArray();
        Assert.HasCount(3 * 3, images, "3 overlays per method");
        var plots = document.Descendants(XName.Get("svg", "http://www.w3.org/2000/svg")).ToArray();
        Assert.HasCount(2, plots, "a deletion and an insertion plot, inline SVG");
        foreach (var plot in plots)
        {
            // One polyline per method, each with as many points as the curve has fractions.
            var lines = plot.Descendants(XName.Get("polyline", "http://www.w3.org/2000/svg")).ToArray();
            Assert.HasCount(report.Methods.Count, lines);
            Assert.IsTrue(lines.All(l => ((string)l.Attribute("points")!).Split(' ').Length == report.Curves[0].Curves.Fractions.Count));
        }

        foreach (var image in images)
        {
            var src = (string)image.Attribute("src")!;
            StringAssert.StartsWith(src, "data:image/png;base64,");
            var bytes = Convert.FromBase64String(src["data:image/png;base64,".Length..]);
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            using var bitmap = SKBitmap.Decode(bytes);
            Assert.IsNotNull(bitmap, (string?)image.Attribute("alt"));
            Assert.IsTrue(bitmap.Width >= 224 && bitmap.Height >= 224, $"{bitmap.Width}×{bitmap.Height}");
        }

        // The overlay is the heatmap blended over the image: the brightest saliency pixel is coloured, not grey.
        var overlay = SKBitmap.Decode(HeatmapRenderer.OverlayPng(x, explanations["input × weight"], 0, HeatmapColormap.Jet, alpha: 1, scale: 1));
        var s = explanations["input × weight"].Row(0).ToArray();
        int top = Array.IndexOf(s, s.Max());
        var pixel = overlay.GetPixel(top % 28, top / 28);
        Assert.IsTrue(pixel.Red > 100 && pixel.Blue < 50, $"jet at 1.0 is dark red, got {pixel}");
    }

    private static string[] SplitRow(string line) =>
        System.Text.RegularExpressions.Regex.Split(line.Trim().Trim('|'), @"(?<!\\)\|").Select(c => c.Trim()).ToArray();
}
