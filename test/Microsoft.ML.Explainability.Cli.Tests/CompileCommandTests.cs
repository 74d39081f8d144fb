using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Cli.Tests;

/// <summary>
/// Compiled explanation models run by plain ONNX Runtime (and by Node.js with onnxruntime-node) reproduce the library's
/// maps: Grad-CAM, saliency (max over channels of |gradient|), integrated gradients and LRP EpsilonPlus; the command is a thin layer over the core ExplanationCompiler.
/// </summary>
[TestClass]
public sealed class CompileCommandTests
{
    private const float Tolerance = 1e-5f;

    public static IEnumerable<object[]> Cases =>
    [
        ["fmnist_cnn.onnx", "grad-cam"],
        ["fmnist_resnet.onnx", "grad-cam"],
        ["fmnist_deit.onnx", "grad-cam"],
        ["fmnist_mobilenet.onnx", "saliency"],
        ["fmnist_cnn.onnx", "saliency"],
        ["fmnist_cnn.onnx", "lrp"],
        ["fmnist_resnet.onnx", "lrp"],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Compiled_model_run_by_onnx_runtime_alone_reproduces_the_library(string modelName, string method)
    {
        var folder = Tool.TempFolder($"compile-{method}");
        var compiled = Path.Combine(folder, "explain.onnx");
        var run = Tool.Run("compile", "--model", Tool.Model(modelName), "--method", method, "--output", compiled);
        Assert.AreEqual(0, run.ExitCode, run.ToString());

        var batch = Tool.Batch(4);
        long[] targets = [2, -1, 9, 0];
        var expected = Library(modelName, method, batch, null);
        var expectedTargeted = Library(modelName, method, batch, targets);

        using var session = new InferenceSession(compiled);
        CollectionAssert.AreEquivalent(new[] { "input" }, session.InputMetadata.Keys.ToArray(), "targets is an optional input (an overridable initializer)");
        var (maps, classes, logits) = RunCompiled(session, batch, null);
        Assert.IsTrue(Tool.MaxAbsDifference(expected.Data, maps) <= Tolerance, $"{method}: max |Δ| = {Tool.MaxAbsDifference(expected.Data, maps)}");
        Assert.AreEqual(4, classes.Length);
        Assert.AreEqual(40, logits.Length, "the original outputs are kept");
        CollectionAssert.AreEqual(OnnxModel.Load(Tool.Model(modelName)).OutputNames.Append("saliency").Append("explained_class").ToArray(), session.OutputMetadata.Keys.ToArray(), "the original outputs, then saliency and explained_class");

        var (targetedMaps, targetedClasses, _) = RunCompiled(session, batch, targets);
        Assert.IsTrue(Tool.MaxAbsDifference(expectedTargeted.Data, targetedMaps) <= Tolerance, $"{method} with targets: max |Δ| = {Tool.MaxAbsDifference(expectedTargeted.Data, targetedMaps)}");
        Assert.AreEqual(2L, targetedClasses[0]);
        Assert.AreEqual(classes[1], targetedClasses[1]);
        Assert.AreEqual(9L, targetedClasses[2]);
    }

    [TestMethod]
    public void Compiled_models_run_in_nodejs_with_onnxruntime_node_to_the_same_result()
    {
        var js = JsFolder();
        EnsureNodeModules(js);
        var folder = Tool.TempFolder("compile-node");
        var batch = Tool.Batch(4);
        var input = Tool.SaveNpy(folder, "input.npy", batch);
        long[] targets = [2, -1, 9, 0];
        var targetsPath = Path.Combine(folder, "targets.npy");
        Npy.WriteInt64(targetsPath, targets, targets.Length);
        foreach (var method in new[] { "grad-cam", "saliency", "integrated-gradients", "lrp" })
        {
            // onnxruntime-node feeds only required inputs: the default build (optional targets) explains the predicted
            // classes; the --required-targets build takes the classes from JavaScript.
            foreach (var withTargets in new[] { false, true })
            {
                var compiled = Path.Combine(folder, $"{method}-{withTargets}.onnx");
                string[] args = ["compile", "--model", Tool.Model("fmnist_cnn.onnx"), "--method", method, "--output", compiled, .. (withTargets ? new[] { "--required-targets" } : [])];
                var run = Tool.Run(args);
                Assert.AreEqual(0, run.ExitCode, run.ToString());
                var expected = Library("fmnist_cnn.onnx", method, batch, withTargets ? targets : null);
                var expectedPath = Tool.SaveNpy(folder, $"{method}-{withTargets}-expected.npy", expected);
                var (code, stdout, stderr) = Process(js, "node", ["run_compiled.js", compiled, input, expectedPath, .. (withTargets ? new[] { targetsPath } : [])]);
                Assert.AreEqual(0, code, $"node failed: {stdout}\n{stderr}");
                using var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
                double difference = json.RootElement.GetProperty("maxAbsDiff").GetDouble();
                Console.WriteLine($"Node.js {method} (targets: {withTargets}): max |Δ| = {difference:E2}");
                Assert.IsTrue(difference <= Tolerance, $"{method} (targets: {withTargets}) in Node.js: max |Δ| = {difference}");
                var classes = json.RootElement.GetProperty("explainedClass").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                Assert.AreEqual(4, classes.Length);
                if (withTargets)
                {
                    Assert.AreEqual(2L, classes[0]);
                    Assert.AreEqual(9L, classes[2]);
                }
            }
        }
    }

    [TestMethod]
    public void Compiled_lrp_with_the_logit_seed_reproduces_the_library()
    {
        var folder = Tool.TempFolder("compile-lrp-logit");
        var compiled = Path.Combine(folder, "explain.onnx");
        var run = Tool.Run("compile", "--model", Tool.Model("fmnist_resnet.onnx"), "--method", "lrp", "--composite", "epsilon-alpha2-beta1", "--lrp-seed", "logit", "--output", compiled);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Output, "Logit");

        var batch = Tool.Batch(3);
        long[] targets = [4, -1, 7];
        using var lrp = new LrpExplainer(OnnxModel.Load(Tool.Model("fmnist_resnet.onnx")), new LrpOptions { Composite = LrpComposite.EpsilonAlpha2Beta1(), Seed = LrpSeed.Logit });
        var expected = lrp.Explain(batch, targets);
        var oneHot = Library("fmnist_resnet.onnx", "lrp", batch, targets);
        using var session = new InferenceSession(compiled);
        var (maps, classes, _) = RunCompiled(session, batch, targets);
        double scale = expected.Relevance.Data.Max(v => Math.Abs(v));
        Assert.IsLessThanOrEqualTo(1e-5 * Math.Max(1, scale), Tool.MaxAbsDifference(expected.Relevance.Data, maps), "compiled logit-seeded LRP = the library's");
        Assert.IsGreaterThan(1e-3 * scale, Tool.MaxAbsDifference(oneHot.Data, maps), "the logit seed differs from the one-hot seed");
        CollectionAssert.AreEqual(expected.Targets, classes);
    }

    [TestMethod]
    public void Required_targets_build_takes_targets_as_a_plain_input()
    {
        var folder = Tool.TempFolder("compile-required");
        var compiled = Path.Combine(folder, "explain.onnx");
        var run = Tool.Run("compile", "--model", Tool.Model("fmnist_cnn.onnx"), "--method", "grad-cam", "--required-targets", "--output", compiled);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var batch = Tool.Batch(3);
        long[] targets = [5, -1, 1];
        using var session = new InferenceSession(compiled);
        CollectionAssert.AreEquivalent(new[] { "input", "targets" }, session.InputMetadata.Keys.ToArray());
        var (maps, classes, _) = RunCompiled(session, batch, targets);
        Assert.IsTrue(Tool.MaxAbsDifference(Library("fmnist_cnn.onnx", "grad-cam", batch, targets).Data, maps) <= Tolerance);
        Assert.AreEqual(5L, classes[0]);
    }

    [TestMethod]
    public void Methods_that_cannot_be_compiled_give_a_clear_error()
    {
        var folder = Tool.TempFolder("compile-errors");
        var run = Tool.Run("compile", "--model", Tool.Model("fmnist_cnn.onnx"), "--method", "score-cam", "--output", Path.Combine(folder, "x.onnx"));
        Assert.AreEqual(ExitCodes.NotAvailable, run.ExitCode, run.ToString());
        StringAssert.Contains(run.Error, "cannot be compiled");
        StringAssert.Contains(run.Error, ExplanationMethods.ScoreCam.NotCompilableReason!, "the registry's reason");
        StringAssert.Contains(run.Error, string.Join(", ", ExplanationMethods.All.Where(m => m.Compiles).Select(m => m.Name)), "the registry's compilable methods");
        Assert.IsFalse(File.Exists(Path.Combine(folder, "x.onnx")));
    }

    /// <summary>The library's result in the compiled layout: CAM maps [N, H, W], saliency max over channels, integrated gradients and LRP relevance [N, C, H, W].</summary>
    internal static FloatTensor Library(string modelName, string method, FloatTensor batch, long[]? targets)
    {
        var model = OnnxModel.Load(Tool.Model(modelName));
        switch (method)
        {
            case "grad-cam":
                using (var cam = new CamExplainer(model))
                {
                    return cam.Explain(batch, targets).Maps;
                }

            case "integrated-gradients":
                using (var integrated = new IntegratedGradients(model))
                {
                    return integrated.Explain(batch, targets).Attributions;
                }

            case "saliency":
                using (var saliency = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.Saliency, ReduceChannels = true }))
                {
                    return saliency.Explain(batch, targets).Attributions;
                }

            default:
                using (var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus() }))
                {
                    return lrp.Explain(batch, targets).Relevance;
                }
        }
    }

    private static (float[] Maps, long[] Classes, float[] Logits) RunCompiled(InferenceSession session, FloatTensor batch, long[]? targets)
    {
        var names = new List<string> { "input" };
        var values = new List<OrtValue> { OrtValue.CreateTensorValueFromMemory(batch.Data, batch.Shape) };
        if (targets is not null)
        {
            names.Add("targets");
            values.Add(OrtValue.CreateTensorValueFromMemory(targets, [targets.Length]));
        }

        try
        {
            using var options = new RunOptions();
            using var outputs = session.Run(options, names, values, ["saliency", "explained_class", "logits"]);
            return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<long>().ToArray(), outputs[2].GetTensorDataAsSpan<float>().ToArray());
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    private static string JsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "test", "js");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new AssertFailedException("test/js/package.json was not found above the test assembly.");
    }

    /// <summary>Installs onnxruntime-node from the lock file (its CPU binaries ship in the npm package; the post-install download of CUDA binaries is skipped).</summary>
    private static void EnsureNodeModules(string js)
    {
        if (Process(js, "node", ["--version"]).Code != 0)
        {
            Assert.Inconclusive("Node.js is not installed.");
        }

        if (Directory.Exists(Path.Combine(js, "node_modules", "onnxruntime-node")))
        {
            return;
        }

        var (code, stdout, stderr) = Process(js, "npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"]);
        Assert.AreEqual(0, code, $"npm ci failed:\n{stdout}\n{stderr}");
    }

    private static (int Code, string Output, string Error) Process(string folder, string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = System.Diagnostics.Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                return (-1, output.Result, "timed out");
            }

            return (process.ExitCode, output.Result, error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", e.Message);
        }
    }
}
