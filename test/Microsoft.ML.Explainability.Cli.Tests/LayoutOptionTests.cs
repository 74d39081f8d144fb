using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Cli.Tests;

/// <summary><c>layers</c> shows each candidate's inferred layout; <c>--layout</c> overrides it in <c>layers</c> and <c>explain</c>.</summary>
[TestClass]
public sealed class LayoutOptionTests
{
    [TestMethod]
    public void Layers_shows_the_inferred_layout_and_its_evidence_and_accepts_an_override()
    {
        var model = Tool.Model("fmnist_cnn.onnx");
        var automatic = TargetLayers.Automatic(OnnxModel.Load(model));
        var run = Tool.Run("layers", "--model", model);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var line = run.Output.Split('\n').Single(l => l.StartsWith($"  * {automatic.Name} ", StringComparison.Ordinal));
        StringAssert.Contains(line, $"nchw: {automatic.Height}×{automatic.Width} grid, {automatic.Channels} channels (");

        // Forced channels first, the automatic choice keeps its grid and says the layout was given.
        var forced = Tool.Run("layers", "--model", model, "--layout", "NCHW");
        Assert.AreEqual(0, forced.ExitCode, forced.ToString());
        var forcedLine = forced.Output.Split('\n').Single(l => l.StartsWith($"  * {automatic.Name} ", StringComparison.Ordinal));
        StringAssert.Contains(forcedLine, $"nchw: {automatic.Height}×{automatic.Width} grid");
        StringAssert.Contains(forcedLine, "(given)");
        StringAssert.Contains(forced.Output, "read as nchw");
    }

    [TestMethod]
    public void Explain_passes_the_layout_on_and_bad_layouts_are_refused()
    {
        var folder = Tool.TempFolder("layout");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(2));
        var model = Tool.Model("fmnist_cnn.onnx");

        var bad = Tool.Run("explain", "--model", model, "--input", input, "--method", "grad-cam", "--layout", "hwc", "--output", Path.Combine(folder, "a.npy"));
        Assert.AreEqual(ExitCodes.Usage, bad.ExitCode, bad.ToString());
        StringAssert.Contains(bad.Error, "--layout 'hwc'");

        var wrongRank = Tool.Run("explain", "--model", model, "--input", input, "--method", "grad-cam", "--layout", "tokens", "--output", Path.Combine(folder, "b.npy"));
        Assert.AreNotEqual(0, wrongRank.ExitCode, wrongRank.ToString());
        StringAssert.Contains(wrongRank.Error, "rank-3");
        Assert.IsFalse(File.Exists(Path.Combine(folder, "b.npy")), "nothing half-written");

        var ok = Tool.Run("explain", "--model", model, "--input", input, "--method", "grad-cam", "--layout", "nchw", "--output", Path.Combine(folder, "c.npy"));
        Assert.AreEqual(0, ok.ExitCode, ok.ToString());
        StringAssert.Contains(ok.Output, "nchw:");
        StringAssert.Contains(ok.Output, "(given)");
    }
}
