using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Targets;

namespace Microsoft.ML.Explainability.Cli.Tests;

/// <summary><c>--target-kind</c> and the files it reads reach the core's targets; bad ones are refused before anything is written.</summary>
[TestClass]
public sealed class TargetKindTests
{
    [TestMethod]
    public void Explain_with_a_softmax_target_matches_the_library()
    {
        var folder = Tool.TempFolder("target-softmax");
        var batch = Tool.Batch(2);
        var input = Tool.SaveNpy(folder, "batch.npy", batch);
        var model = Tool.Model("fmnist_cnn.onnx");
        var output = Path.Combine(folder, "softmax.npy");
        var run = Tool.Run("explain", "--model", model, "--input", input, "--method", "gradient", "--target-kind", "softmax", "--target", "3", "--output", output);
        Assert.AreEqual(0, run.ExitCode, run.ToString());

        using var explainer = ExplanationMethods.SignedGradient.CreateExplainer(OnnxModel.Load(model), new MethodSettings { Target = ExplanationTargets.Softmax.Create() });
        var expected = explainer.Explain(new ExplanationRequest(batch) { Targets = [3, 3] }).Values;
        var written = Npy.ReadFloats(output);
        CollectionAssert.AreEqual(expected.Shape, written.Shape);
        Assert.IsLessThanOrEqualTo(1e-6f, Tool.MaxAbsDifference(expected.Data, written.Data));
        Assert.IsTrue(expected.Data.Any(v => v != 0), "a non-trivial explanation");
    }

    [TestMethod]
    public void Bad_target_kinds_and_parameters_are_refused_and_nothing_is_written()
    {
        var folder = Tool.TempFolder("target-bad");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(1));
        var model = Tool.Model("fmnist_cnn.onnx");
        string Output(string name) => Path.Combine(folder, name + ".npy");

        var unknown = Tool.Run("explain", "--model", model, "--input", input, "--method", "gradient", "--target-kind", "banana", "--output", Output("a"));
        Assert.AreEqual(ExitCodes.Usage, unknown.ExitCode, unknown.ToString());
        foreach (var kind in ExplanationTargets.All)
        {
            StringAssert.Contains(unknown.Error, kind.Name, "the kinds are listed from the registry");
        }

        var noMask = Tool.Run("explain", "--model", model, "--input", input, "--method", "gradient", "--target-kind", "segmentation", "--output", Output("b"));
        Assert.AreEqual(ExitCodes.BadInput, noMask.ExitCode, noMask.ToString());
        StringAssert.Contains(noMask.Error, "--mask");

        var mask = Tool.SaveNpy(folder, "mask.npy", FloatTensor.Zeros(28, 28));
        var notSegmentation = Tool.Run("explain", "--model", model, "--input", input, "--method", "grad-cam", "--target-kind", "segmentation", "--mask", mask, "--output", Output("c"));
        Assert.AreEqual(ExitCodes.BadInput, notSegmentation.ExitCode, notSegmentation.ToString());
        StringAssert.Contains(notSegmentation.Error, "[N, classes, H, W]");

        var concept = Tool.SaveNpy(folder, "concept.npy", new FloatTensor([1, 2, 3], 3));
        var shortConcept = Tool.Run("explain", "--model", model, "--input", input, "--method", "gradient", "--target-kind", "similarity", "--concept", concept, "--output", Output("d"));
        Assert.AreEqual(ExitCodes.BadInput, shortConcept.ExitCode, shortConcept.ToString());
        StringAssert.Contains(shortConcept.Error, "3 values");

        var unlabelled = Tool.Run("explain", "--model", model, "--input", input, "--method", "gradient", "--target-kind", "detector-boxes", "--box", "1,2,3,4", "--output", Output("e"));
        Assert.AreEqual(ExitCodes.Usage, unlabelled.ExitCode, unlabelled.ToString());

        var lrp = Tool.Run("explain", "--model", model, "--input", input, "--method", "lrp", "--target-kind", "softmax", "--output", Output("f"));
        Assert.AreEqual(ExitCodes.BadInput, lrp.ExitCode, lrp.ToString());
        StringAssert.Contains(lrp.Error, "softmax");

        Assert.IsFalse("abcdef".Any(c => File.Exists(Output(c.ToString()))), "nothing half-written");
    }

    [TestMethod]
    public void Compile_writes_the_target_into_the_compiled_graph()
    {
        var folder = Tool.TempFolder("target-compile");
        var output = Path.Combine(folder, "softmax.onnx");
        var run = Tool.Run("compile", "--model", Tool.Model("fmnist_cnn.onnx"), "--method", "gradient", "--target-kind", "softmax", "--output", output);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        CollectionAssert.Contains(OnnxModel.Load(output).OutputNames.ToArray(), ExplanationTarget.ScoresOutput, "the target's score is part of the compiled graph");

        var finer = Tool.Run("compile", "--model", Tool.Model("fmnist_cnn.onnx"), "--method", "gradient", "--target-kind", "finer", "--output", Path.Combine(folder, "finer.onnx"));
        Assert.AreEqual(ExitCodes.BadInput, finer.ExitCode, finer.ToString());
        Assert.IsFalse(File.Exists(Path.Combine(folder, "finer.onnx")), "nothing half-written");
    }
}
