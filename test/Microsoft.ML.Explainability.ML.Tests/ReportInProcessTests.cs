using System.Xml.Linq;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Reports;
using Microsoft.ML.Explainability.Runtime;
using SkiaSharp;

namespace Microsoft.ML.Explainability.ML.Tests;

/// <summary>
/// ML.NET 5's image transforms (SkiaSharp 2.88, <c>SKBitmap.GetPixelSpan</c>) and the HTML report in one process:
/// the README's pipeline, explained, then written as a report, then the pipeline again.
/// </summary>
[TestClass]
public sealed class ReportInProcessTests
{
    [TestMethod]
    public void README_pipeline_and_an_HTML_report_run_in_one_process()
    {
        var folder = TestData.TempFolder("readme-report");
        var rows = TestData.WritePngs(folder, 3);
        var modelFile = Path.Combine(folder, "model.onnx");
        TestData.Cnn224().Save(modelFile);

        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.LoadImages("Image", folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 224, 224))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", scaleImage: 1f / 255))
            .Append(ml.Transforms.ExplainGradCam(outputColumnName: "Saliency", inputColumnName: "Pixels", modelFile: modelFile, targetLayer: null));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        var maps = PipelineTests.Read(scored, "Saliency");
        Assert.HasCount(rows.Length, maps);

        var options = new ExplanationEvaluationOptions { Model = Onnx.OnnxModel.Load(modelFile), Metrics = ["deletion", "insertion", "faithfulness-correlation"] };
        options.MetricOptions["deletion"] = new DeletionInsertionOptions { Steps = 4 };
        options.MetricOptions["insertion"] = new DeletionInsertionOptions { Steps = 4 };
        options.MetricOptions["faithfulness-correlation"] = new FaithfulnessCorrelationOptions { Runs = 4 };
        options.Explanations.Add(new ExplanationColumn("grad-cam", "Saliency"));
        var evaluation = scored.Evaluate(options);
        var pixels = PipelineTests.Read(scored, "Pixels");
        var images = new FloatTensor(pixels.SelectMany(p => p).ToArray(), rows.Length, 3, 224, 224);
        var explanations = AblationStudy.SpreadOverChannels(new FloatTensor(maps.SelectMany(m => m).ToArray(), rows.Length, 224, 224), images);
        var html = Path.Combine(folder, "report.html");
        new HtmlReport(evaluation.Report, "README pipeline").AddHeatmaps("grad-cam", images, explanations, maxSamples: 2, colormap: HeatmapColormap.Jet).Save(html);

        var page = XDocument.Load(html);
        Assert.HasCount(2, page.Descendants("img"), "two heatmap overlays");
        Assert.HasCount(2, page.Descendants().Where(e => e.Name.LocalName == "svg"), "deletion and insertion curves");
        using (var overlay = SKBitmap.Decode(Convert.FromBase64String(((string)page.Descendants("img").First().Attribute("src")!)["data:image/png;base64,".Length..])))
        {
            Assert.AreEqual(224 * 8, overlay.Width);
        }

        // ML.NET's pixel extraction still works after the report's PNG encoding, on the one SkiaSharp both use.
        CollectionAssert.AreEqual(maps.SelectMany(m => m).ToArray(), PipelineTests.Read(model.Transform(data), "Saliency").SelectMany(m => m).ToArray());
        Assert.AreEqual(2, typeof(SKBitmap).Assembly.GetName().Version!.Major, "SkiaSharp 2.88, the line of ML.NET's image transforms");
    }
}
