using System.Globalization;
using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.Evaluation;

namespace Microsoft.ML.Explainability.Cli.Tests;

[TestClass]
public sealed class EvaluateAllMetricsTests
{
    [TestMethod]
    public void Evaluate_all_metrics_on_the_quick_start_images_reports_every_registered_metric()
    {
        var folder = Tool.TempFolder("evaluate-all");
        var quickstart = Path.Combine(folder, "quickstart");
        Assert.AreEqual(0, Tool.Run("quickstart", "--output", quickstart).ExitCode);
        var report = Path.Combine(folder, "report");

        var run = Tool.Run("evaluate", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", Path.Combine(quickstart, "images"), "--methods", "saliency", "--metrics", "all", "--report", report);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var rows = File.ReadAllLines(Path.Combine(report, "report.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        CollectionAssert.AreEqual(MetricRegistry.All.Select(m => m.Name).ToArray(), rows.Select(r => r[1]).ToArray(), "every metric, in registry order");
        Assert.IsTrue(rows.All(r => r[0] == "saliency" && r[^1] is "8" or "7" or "6" or "5"), "8 images; the relative stabilities drop draws that change the prediction");
        var markdown = File.ReadAllText(Path.Combine(report, "report.md"));
        foreach (var metric in MetricRegistry.All)
        {
            StringAssert.Contains(markdown, metric.Name, metric.Name);
        }
    }

    [TestMethod]
    public void The_quantus_convention_reports_completeness_as_a_boolean_and_unknown_conventions_are_rejected()
    {
        var folder = Tool.TempFolder("evaluate-quantus");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(3));
        var report = Path.Combine(folder, "report");

        var run = Tool.Run("evaluate", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--methods", "integrated-gradients", "--metrics", "completeness", "--convention", "quantus", "--report", report);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var row = File.ReadAllLines(Path.Combine(report, "report.csv"))[1].Split(',');
        double mean = double.Parse(row[2], CultureInfo.InvariantCulture);
        Assert.IsTrue(mean is 0 or 1 / 3.0 or 2 / 3.0 or 1, $"a share of booleans, got {mean}");
        StringAssert.Contains(File.ReadAllText(Path.Combine(report, "report.md")), "completeness ↑");

        var bad = Tool.Run("evaluate", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--methods", "saliency", "--metrics", "completeness", "--convention", "captum", "--report", Path.Combine(folder, "bad"));
        Assert.AreEqual(ExitCodes.Usage, bad.ExitCode, bad.ToString());
        StringAssert.Contains(bad.Error, "Unknown convention 'captum'");
    }
}
