using System.Xml.Linq;
using System.Xml;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cli.Tests;

[TestClass]
public sealed class AblateCommandTests
{
    [TestMethod]
    public void Ablate_writes_every_variant_with_its_difference_from_the_default_as_csv_markdown_and_html()
    {
        var folder = Tool.TempFolder("ablate");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(4));
        var report = Path.Combine(folder, "report");

        var run = Tool.Run("ablate", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "grad-cam", "--report", report, "--masks", "brighter", "--curve-steps", "10", "--correlation-runs", "5");

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var model = OnnxModel.Load(Tool.Model("fmnist_cnn.onnx"));
        var automatic = TargetLayers.Automatic(model).Name;
        var variants = new[] { "default" }
            .Concat(AblationStudy.BlockLayers(model).Where(l => l.Name != automatic).Select(l => "layer: " + l.Name))
            .Concat(["map ReLU: off", "gradient: guided", "gradient: deconvnet", "pooling: max"])
            .ToArray();
        var metrics = new[] { "deletion AUC", "insertion AUC", "faithfulness correlation", "pointing game", "relevance mass accuracy", "relevance rank accuracy", "sparseness (Gini)", "complexity (entropy)" };

        var csv = File.ReadAllLines(Path.Combine(report, "ablation.csv"));
        Assert.AreEqual(string.Join(",", AblationResult.Columns), csv[0]);
        Assert.AreEqual(1 + (variants.Length * metrics.Length), csv.Length, string.Join("\n", csv));
        foreach (var variant in variants)
        {
            Assert.AreEqual(metrics.Length, csv.Count(l => l.StartsWith(variant + ",", StringComparison.Ordinal)), variant);
        }

        // The default's difference columns (the last three) are exactly 0.
        foreach (var line in csv.Where(l => l.StartsWith("default,", StringComparison.Ordinal)))
        {
            CollectionAssert.AreEqual(new[] { "0", "0", "0" }, line.Split(',')[^3..], line);
        }

        var markdown = File.ReadAllText(Path.Combine(report, "ablation.md"));
        StringAssert.StartsWith(markdown, "# Ablation study of grad-cam");
        StringAssert.Contains(markdown, "| map ReLU: off | MapRelu |");
        StringAssert.Contains(markdown, "pointing game ↑");

        using var reader = XmlReader.Create(Path.Combine(report, "ablation.html"), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        var html = XDocument.Load(reader);
        var images = html.Descendants("img").ToArray();
        Assert.HasCount(4 * variants.Length, images, "4 overlays per variant");
        Assert.HasCount(2, html.Descendants(System.Xml.Linq.XName.Get("svg", "http://www.w3.org/2000/svg")), "deletion and insertion plots (inline SVG)");
        Assert.IsTrue(images.All(i => ((string)i.Attribute("src")!).StartsWith("data:image/png;base64,", StringComparison.Ordinal)));

        StringAssert.Contains(run.Output, $"ablation of grad-cam: {variants.Length} variants on 4 images");
        StringAssert.Contains(run.Output, $"ablation of grad-cam: {variants.Length}/{variants.Length} done");
        StringAssert.Contains(run.Output, "| default | Default |");
        StringAssert.Contains(run.Output, "wrote ablation.csv, ablation.md and ablation.html");
    }

    [TestMethod]
    public void Ablate_varies_only_the_chosen_factors_and_says_which_do_not_apply()
    {
        var folder = Tool.TempFolder("ablate-factors");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(2));

        var run = Tool.Run("ablate", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "grad-cam-plus-plus", "--factors", "relu,pooling", "--report", folder, "--curve-steps", "5", "--correlation-runs", "3");

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var csv = File.ReadAllLines(Path.Combine(folder, "ablation.csv"));
        CollectionAssert.AreEquivalent(new[] { "default", "map ReLU: off" }, csv.Skip(1).Select(l => l.Split(',')[0]).Distinct().ToArray());
        Assert.IsFalse(csv.Any(l => l.Contains("pointing game", StringComparison.Ordinal)), "no masks, no localisation metrics");
        StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "ablation.md")), "- pooling: max: Grad-CAM++ does not weight channels by a pooling of the gradients (only Grad-CAM averages them).");
    }

    [TestMethod]
    public void Ablate_rejects_non_cam_methods_unknown_factors_and_bad_masks()
    {
        var folder = Tool.TempFolder("ablate-errors");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(2));
        var model = Tool.Model("fmnist_cnn.onnx");

        var notCam = Tool.Run("ablate", "--model", model, "--input", input, "--method", "saliency", "--report", folder);
        Assert.AreEqual(ExitCodes.Usage, notCam.ExitCode, notCam.ToString());
        StringAssert.Contains(notCam.Error, "'saliency' is not one");

        var unknownMethod = Tool.Run("ablate", "--model", model, "--input", input, "--method", "nonsense", "--report", folder);
        Assert.AreEqual(ExitCodes.Usage, unknownMethod.ExitCode, unknownMethod.ToString());

        var factor = Tool.Run("ablate", "--model", model, "--input", input, "--factors", "layer,colour", "--report", folder);
        Assert.AreEqual(ExitCodes.Usage, factor.ExitCode, factor.ToString());
        StringAssert.Contains(factor.Error, "Unknown factor 'colour'");

        var masks = Tool.SaveNpy(folder, "masks.npy", new Runtime.FloatTensor(new float[2 * 14 * 14], 2, 14, 14));
        var badMasks = Tool.Run("ablate", "--model", model, "--input", input, "--masks", masks, "--factors", "relu", "--report", folder);
        Assert.AreEqual(ExitCodes.BadInput, badMasks.ExitCode, badMasks.ToString());
        StringAssert.Contains(badMasks.Error, "masks");

        var noReport = Tool.Run("ablate", "--model", model, "--input", input);
        Assert.AreEqual(ExitCodes.Usage, noReport.ExitCode, noReport.ToString());
        StringAssert.Contains(noReport.Error, "--report is required");
    }
}
