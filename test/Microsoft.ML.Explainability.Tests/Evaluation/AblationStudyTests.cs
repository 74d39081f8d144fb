using System.Globalization;
using System.Xml.Linq;
using System.Xml;
using Microsoft.Data.Analysis;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Reports;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>The Grad-CAM ablation study (layer, map ReLU, ReLU gradient, gradient pooling) on the fixture CNN.</summary>
[TestClass]
public sealed class AblationStudyTests
{
    private const int Images = 6;
    private static OnnxModel _model = null!;
    private static FloatTensor _inputs = null!;
    private static AblationResult _result = null!;
    private static List<EvaluationProgress> _progress = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void RunStudy(TestContext context)
    {
        _ = context;
        _model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        _inputs = TestAssets.FashionMnistBatch(Images);
        var log = new ProgressLog();
        _result = AblationStudy.Run(_model, _inputs, null, new AblationOptions
        {
            Masks = ObjectMasks.BrighterThanBackground(_inputs),
            Curves = new DeletionInsertionOptions { Steps = 10 },
            FaithfulnessCorrelation = new FaithfulnessCorrelationOptions { Runs = 8 },
        }, log);
        _progress = log.Reports;
    }

    [TestMethod]
    public void Every_variant_of_the_four_factors_is_present()
    {
        var automatic = TargetLayers.Automatic(_model);
        var blocks = AblationStudy.BlockLayers(_model);
        Assert.HasCount(5, blocks, "the CNN's five conv blocks end in a ReLU: " + string.Join(", ", blocks.Select(b => b.Name)));
        Assert.IsTrue(blocks.All(b => b.Producer!.StartsWith("Relu ", StringComparison.Ordinal)));
        Assert.IsTrue(blocks.All(b => TargetLayers.List(_model).Any(l => l.Name == b.Name)), "candidates come from TargetLayers.List");

        var names = _result.Variants.Select(v => v.Name).ToArray();
        var expected = new[] { "default" }
            .Concat(blocks.Where(b => b.Name != automatic.Name).Select(b => "layer: " + b.Name))
            .Concat(["map ReLU: off", "gradient: guided", "gradient: deconvnet", "pooling: max"])
            .ToArray();
        CollectionAssert.AreEqual(expected, names);
        Assert.AreEqual(automatic.Name, _result.Default.Layer);
        Assert.IsTrue(_result.Default.IsDefault);
        Assert.IsEmpty(_result.Skipped);
        CollectionAssert.AreEquivalent(
            new[] { AblationFactor.Default, AblationFactor.TargetLayer, AblationFactor.MapRelu, AblationFactor.ReluGradient, AblationFactor.GradientPooling },
            _result.Variants.Select(v => v.Factor).Distinct().ToArray());

        // One report row per variant and metric, all metrics present (localisation with the Fashion-MNIST object mask).
        var metrics = new[] { "deletion AUC", "insertion AUC", "faithfulness correlation", "pointing game", "relevance mass accuracy", "relevance rank accuracy", "sparseness (Gini)", "complexity (entropy)" };
        CollectionAssert.AreEqual(metrics, _result.Report.Metrics.ToArray());
        CollectionAssert.AreEqual(names, _result.Report.Methods.ToArray());
        var frame = _result.ToDataFrame();
        CollectionAssert.AreEqual(AblationResult.Columns.ToArray(), frame.Columns.Select(c => c.Name).ToArray());
        Assert.AreEqual((long)names.Length * metrics.Length, frame.Rows.Count);
        Assert.IsTrue(Enumerable.Range(0, (int)frame.Rows.Count).All(r => (int)frame["N"][r] == Images));

        // Progress: one report per variant, in order.
        CollectionAssert.AreEqual(Enumerable.Range(1, names.Length).ToArray(), _progress.Select(p => p.Completed).ToArray());
        Assert.IsTrue(_progress.All(p => p.Total == names.Length && p.Metric == "ablation"));
    }

    [TestMethod]
    public void The_default_rows_difference_is_zero_and_the_default_matches_the_cam_explainer()
    {
        var frame = _result.ToDataFrame();
        for (long r = 0; r < frame.Rows.Count; r++)
        {
            if ((string)frame["Variant"][r] == "default")
            {
                Assert.AreEqual(0.0, (double)frame["Difference"][r]);
                Assert.AreEqual(0.0, (double)frame["DifferenceCI95Low"][r]);
                Assert.AreEqual(0.0, (double)frame["DifferenceCI95High"][r]);
            }
            else
            {
                var variant = (string)frame["Variant"][r];
                var metric = (string)frame["Metric"][r];
                Assert.AreEqual(_result.Report.Summary(variant, metric).Mean - _result.Report.Summary("default", metric).Mean, (double)frame["Difference"][r], 1e-9, $"{variant} {metric}");
            }
        }

        using var cam = new CamExplainer(_model);
        var reference = cam.Explain(_inputs, _result.Targets);
        CollectionAssert.AreEqual(reference.Maps.Data, _result.MapsOf("default").Maps.Data);
        CollectionAssert.AreEqual(reference.RawMaps.Data, _result.MapsOf("default").RawMaps.Data);
    }

    [TestMethod]
    public void Variants_differ_where_they_must()
    {
        var reference = _result.MapsOf("default");
        Assert.IsTrue(reference.Maps.Data.All(v => v >= 0), "with the map ReLU every value is ≥ 0");
        Assert.IsTrue(reference.RawMaps.Data.Any(v => v < 0), "Grad-CAM's raw maps of the fixture CNN hold negative evidence");

        // (b) ReLU off: the same raw maps, but the final maps keep their negative values (scaled to [−1, 1]).
        var reluOff = _result.MapsOf("map ReLU: off");
        CollectionAssert.AreEqual(reference.RawMaps.Data, reluOff.RawMaps.Data);
        Assert.IsTrue(reluOff.Maps.Data.Any(v => v < 0));
        Assert.IsTrue(reluOff.Maps.Data.All(v => v is >= -1 and <= 1));
        Assert.IsGreaterThan(0.0, Math.Abs(_result.Report.Summary("map ReLU: off", "sparseness (Gini)").Mean - _result.Report.Summary("default", "sparseness (Gini)").Mean));

        // (a) Layers: an earlier block has a finer grid.
        foreach (var layer in _result.Maps.Where(m => m.Variant.Factor == AblationFactor.TargetLayer))
        {
            Assert.AreEqual(layer.Variant.Layer, layer.Layer.Name);
            CollectionAssert.AreEqual(new long[] { Images, layer.Layer.Height, layer.Layer.Width }, layer.RawMaps.Shape);
            CollectionAssert.AreEqual(new long[] { Images, 28, 28 }, layer.Maps.Shape);
        }

        Assert.IsTrue(_result.Maps.Any(m => m.Layer.Height == 28), "the first blocks are 28×28");

        // (c, d) At the last block only global average pooling and a linear classifier follow: no ReLU backward rule is
        // on the gradient's way, and the gradient is constant over the grid (Grad-CAM = CAM), so guided, deconvnet and
        // max pooling must equal the default exactly — and the study says why.
        foreach (var name in new[] { "gradient: guided", "gradient: deconvnet", "pooling: max" })
        {
            CollectionAssert.AreEqual(reference.RawMaps.Data, _result.MapsOf(name).RawMaps.Data, name);
            Assert.AreEqual(0.0, _result.Differences(name, "deletion AUC").Max(Math.Abs), name);
        }

        Assert.HasCount(3, _result.Notes);
        StringAssert.Contains(_result.Notes[0], "no ReLU lies between the target layer");
        StringAssert.Contains(_result.Notes[2], "its maximum equals its mean");

        // At an earlier block ReLUs and convolutions lie on the way back: guided and deconvnet change the channel
        // weights and differ from each other, and max pooling differs from average pooling.
        var middle = AblationStudy.BlockLayers(_model)[2];
        var earlier = AblationStudy.Run(_model, _inputs, _result.Targets, new AblationOptions { DefaultLayer = middle.Name, VaryLayer = false, VaryMapRelu = false, Metrics = AblationMetrics.Sparseness });
        CollectionAssert.AreEqual(new[] { "default", "gradient: guided", "gradient: deconvnet", "pooling: max" }, earlier.Variants.Select(v => v.Name).ToArray());
        Assert.IsEmpty(earlier.Notes);
        var plain = earlier.MapsOf("default").RawMaps.Data;
        var guided = earlier.MapsOf("gradient: guided").RawMaps.Data;
        var deconvnet = earlier.MapsOf("gradient: deconvnet").RawMaps.Data;
        Assert.IsGreaterThan(1e-4f, Tool.MaxAbsDifference(plain, guided));
        Assert.IsGreaterThan(1e-4f, Tool.MaxAbsDifference(plain, deconvnet));
        Assert.IsGreaterThan(1e-4f, Tool.MaxAbsDifference(guided, deconvnet));

        // (d) Max pooling recomputed by hand from the layer's activations and gradients: w_k = max_ij G.
        using var session = new GradientSession(GradientModel.Build(_model, new GradientRequest { Output = "logits", WithRespectTo = [middle.Name], Activations = [middle.Name] }));
        var run = session.Run(_inputs, _result.Targets);
        var a = run.Outputs[middle.Name];
        var g = run.Gradients[middle.Name];
        int c = middle.Channels, cells = middle.GridSize;
        var expected = new float[Images * cells];
        for (int n = 0; n < Images; n++)
        {
            for (int k = 0; k < c; k++)
            {
                float w = g.Data.AsSpan(((n * c) + k) * cells, cells).ToArray().Max();
                for (int p = 0; p < cells; p++)
                {
                    expected[(n * cells) + p] += w * a.Data[(((n * c) + k) * cells) + p];
                }
            }
        }

        var max = earlier.MapsOf("pooling: max").RawMaps.Data;
        Assert.IsLessThan(1e-4f * expected.Max(Math.Abs), Tool.MaxAbsDifference(expected, max));
        Assert.IsGreaterThan(1e-4f, Tool.MaxAbsDifference(plain, max));
    }

    [TestMethod]
    public void Csv_markdown_and_html_reports_are_written_through_the_existing_writers()
    {
        var folder = Directory.CreateTempSubdirectory("xai-ablation-").FullName;
        var files = AblationReport.Write(_result, _inputs, folder, "Grad-CAM ablation, fixture CNN", heatmapSamples: 2);
        TestContext.WriteLine($"Ablation report: {files.Html}");

        var csv = DataFrame.LoadCsv(files.Csv, cultureInfo: CultureInfo.InvariantCulture);
        CollectionAssert.AreEqual(AblationResult.Columns.ToArray(), csv.Columns.Select(c => c.Name).ToArray());
        Assert.AreEqual(_result.ToDataFrame().Rows.Count, csv.Rows.Count);

        var markdown = File.ReadAllLines(files.Markdown);
        Assert.AreEqual("# Grad-CAM ablation, fixture CNN", markdown[0]);
        var header = markdown.First(l => l.StartsWith("| Variant | Factor |", StringComparison.Ordinal));
        StringAssert.Contains(header, "deletion AUC ↓");
        StringAssert.Contains(header, "pointing game ↑");
        Assert.IsTrue(markdown.Any(l => l.StartsWith("| map ReLU: off | MapRelu | ", StringComparison.Ordinal) && l.Contains("(Δ ", StringComparison.Ordinal)));
        Assert.IsTrue(markdown.Contains("## All statistics"));

        using var reader = XmlReader.Create(files.Html, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        var document = XDocument.Load(reader);
        Assert.AreEqual(2, document.Descendants("table").Count(), "summary and differences");
        var images = document.Descendants("img").ToArray();
        Assert.HasCount(2 * _result.Variants.Count, images, "2 overlays per variant");
        Assert.HasCount(2, document.Descendants(XName.Get("svg", "http://www.w3.org/2000/svg")), "deletion and insertion plots (inline SVG)");
        Assert.IsTrue(images.All(i => ((string)i.Attribute("src")!).StartsWith("data:image/png;base64,", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Non_gradient_methods_skip_the_gradient_factors_with_a_reason_and_cancellation_stops_the_run()
    {
        var (variants, skipped) = AblationStudy.Plan(_model, new AblationOptions { Method = ExplanationMethods.ScoreCam, VaryLayer = false });
        CollectionAssert.AreEqual(new[] { "default", "map ReLU: off" }, variants.Select(v => v.Name).ToArray());
        Assert.HasCount(2, skipped);
        StringAssert.Contains(skipped[0].Reason, "does not use gradients");
        StringAssert.Contains(skipped[1].Reason, "only Grad-CAM");

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => AblationStudy.Run(_model, _inputs.Rows(0, 2), null, new AblationOptions { VaryLayer = false }, null, cancelled.Token));
        Assert.ThrowsExactly<EvaluationInputException>(() => AblationStudy.Run(_model, _inputs.Rows(0, 2), null, new AblationOptions { Masks = FloatTensor.Zeros(2, 28, 28) }));
        Assert.ThrowsExactly<EvaluationInputException>(() => AblationStudy.Run(_model, _inputs.Rows(0, 2), null, new AblationOptions { Masks = FloatTensor.Zeros(2, 14, 14) }));
    }

    private static class Tool
    {
        public static float MaxAbsDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
    }
}
