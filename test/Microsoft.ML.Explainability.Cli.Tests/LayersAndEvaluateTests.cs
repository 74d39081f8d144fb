using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cli.Tests;

[TestClass]
public sealed class LayersAndEvaluateTests
{
    [TestMethod]
    public void Layers_lists_inputs_outputs_tensors_and_marks_the_automatic_target_layer()
    {
        var run = Tool.Run("layers", "--model", Tool.Model("fmnist_cnn.onnx"));

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var automatic = TargetLayers.Automatic(OnnxModel.Load(Tool.Model("fmnist_cnn.onnx")));
        var lines = run.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.IsTrue(lines.Any(l => l.StartsWith("  input [N, 1, 28, 28]", StringComparison.Ordinal)), run.Output);
        Assert.IsTrue(lines.Any(l => l.StartsWith("  logits [N, 10]", StringComparison.Ordinal)), run.Output);
        Assert.IsTrue(lines.Any(l => l.StartsWith($"  * {automatic.Name} ", StringComparison.Ordinal)), run.Output);
        StringAssert.Contains(run.Output, "attention (transformer): none found");
    }

    [TestMethod]
    public void Layers_lists_the_attention_of_a_vision_transformer()
    {
        var run = Tool.Run("layers", "--model", Tool.Model("fmnist_deit.onnx"));

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "attention blocks");
        StringAssert.Contains(run.Output, "patch grid");
        StringAssert.Contains(run.Output, "tokens:");
    }

    [TestMethod]
    public void Evaluate_writes_csv_markdown_and_html_reports()
    {
        var folder = Tool.TempFolder("evaluate");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(4));
        var report = Path.Combine(folder, "report");

        var run = Tool.Run("evaluate", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--methods", "grad-cam,saliency", "--metrics", "deletion,insertion,sparseness", "--curve-steps", "10", "--report", report);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var csv = File.ReadAllLines(Path.Combine(report, "report.csv"));
        Assert.AreEqual("Method,Metric,Mean,Std,CI95Low,CI95High,N", csv[0]);
        Assert.AreEqual(1 + (2 * 3), csv.Length, string.Join("\n", csv));
        Assert.IsTrue(csv.Any(l => l.StartsWith("grad-cam,deletion,", StringComparison.Ordinal)));
        Assert.IsTrue(csv.Any(l => l.StartsWith("saliency,sparseness,", StringComparison.Ordinal) && l.EndsWith(",4", StringComparison.Ordinal)));
        StringAssert.Contains(File.ReadAllText(Path.Combine(report, "report.md")), "| grad-cam |");
        var html = File.ReadAllText(Path.Combine(report, "report.html"));
        StringAssert.Contains(html, "data:image/png;base64,");
        CollectionAssert.AreEqual(new long[] { 4, 28, 28 }, IO.Npy.ReadFloats(Path.Combine(report, "grad-cam.npy")).Shape);
        StringAssert.Contains(run.Output, "grad-cam deletion: 4/4 done");
    }

    [TestMethod]
    public void Evaluate_rejects_unknown_metrics_and_unavailable_methods()
    {
        var folder = Tool.TempFolder("evaluate-errors");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(2));
        var run = Tool.Run("evaluate", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--methods", "grad-cam", "--metrics", "accuracy", "--report", folder);
        Assert.AreEqual(ExitCodes.Usage, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "Unknown metric 'accuracy'");
    }
}
