using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Shared;

namespace Microsoft.ML.Explainability.Cli.Tests;

/// <summary>
/// <c>explain --input NAME=FILE.npy</c> on the two-input test model: the image explained, the feature vector read from
/// a file and held fixed; <c>--explained-input</c>, <c>--convention captum</c> and <c>--ablation-fill</c>.
/// </summary>
[TestClass]
public sealed class MultiInputCommandTests
{
    private const int Rows = 3;

    private static (string Folder, string Model, string Images, string Meta, FloatTensor X, FloatTensor Features) Fixture(string name, bool int64Meta = false)
    {
        var folder = Tool.TempFolder(name);
        var model = Path.Combine(folder, "two_input.onnx");
        File.WriteAllBytes(model, TwoInputModel.Bytes(int64Meta));
        var random = new Random(8);
        var x = new FloatTensor(Enumerable.Range(0, Rows * 72).Select(_ => (float)random.NextDouble()).ToArray(), Rows, TwoInputModel.Channels, TwoInputModel.Size, TwoInputModel.Size);
        var features = new FloatTensor([2, -1, -1, 1, -1, 2, 1, -1, 1, 1, -2, 2], Rows, TwoInputModel.Features);
        var meta = Path.Combine(folder, "meta.npy");
        if (int64Meta)
        {
            Npy.WriteInt64(meta, features.Data.Select(v => (long)v).ToArray(), features.Shape);
        }
        else
        {
            Npy.Write(meta, features);
        }

        return (folder, model, Tool.SaveNpy(folder, "images.npy", x), meta, x, features);
    }

    [TestMethod]
    public void Explain_reads_the_feature_vector_from_a_file_and_matches_the_library()
    {
        foreach (var int64Meta in new[] { false, true })
        {
            var (folder, model, images, meta, x, features) = Fixture("multi-input-" + int64Meta, int64Meta);
            foreach (var method in new[] { "grad-cam", "integrated-gradients", "occlusion" })
            {
                var output = Path.Combine(folder, method + ".npy");
                var run = Tool.Run("explain", "--model", model, "--input", images, "--input", $"meta={meta}", "--method", method, "--window", "2", "--stride", "1", "--steps", "8", "--output", output);
                Assert.AreEqual(0, run.ExitCode, run.ToString());

                using var explainer = ExplanationMethods.Find(method).CreateExplainer(TwoInputModel.Build(), new MethodSettings { Window = (2, 2), Stride = (1, 1), Steps = 8 });
                var expected = explainer.Explain(new ExplanationRequest(x) { Inputs = new Dictionary<string, InputTensor> { [TwoInputModel.Meta] = InputTensor.Float(features) } }).Values;
                var written = Npy.ReadFloats(output);
                CollectionAssert.AreEqual(expected.Shape, written.Shape, method);
                Assert.IsTrue(Tool.MaxAbsDifference(expected.Data, written.Data) <= 1e-6, $"{method} (int64 meta: {int64Meta})");
            }
        }
    }

    [TestMethod]
    public void A_missing_or_wrong_feature_file_is_refused_naming_the_input()
    {
        var (folder, model, images, meta, _, _) = Fixture("multi-input-errors");
        var output = Path.Combine(folder, "out.npy");

        var missing = Tool.Run("explain", "--model", model, "--input", images, "--method", "grad-cam", "--output", output);
        Assert.AreEqual(ExitCodes.Usage, missing.ExitCode, missing.ToString());
        StringAssert.Contains(missing.Error, "--input meta=FILE.npy (Float)");

        var wrongRows = Path.Combine(folder, "two_rows.npy");
        Npy.Write(wrongRows, FloatTensor.Zeros(2, TwoInputModel.Features));
        var rows = Tool.Run("explain", "--model", model, "--input", images, "--input", $"meta={wrongRows}", "--method", "grad-cam", "--output", output);
        Assert.AreEqual(ExitCodes.BadInput, rows.ExitCode, rows.ToString());
        StringAssert.Contains(rows.Error, "Input 'meta' has 2 rows but the explained batch has 3");

        var absent = Tool.Run("explain", "--model", model, "--input", images, "--input", $"meta={Path.Combine(folder, "nope.npy")}", "--method", "grad-cam", "--output", output);
        Assert.AreEqual(ExitCodes.BadInput, absent.ExitCode, absent.ToString());
        StringAssert.Contains(absent.Error, "for model input 'meta' does not exist");

        var unknown = Tool.Run("explain", "--model", model, "--input", images, "--input", $"meta={meta}", "--explained-input", "photo", "--method", "grad-cam", "--output", output);
        Assert.AreEqual(ExitCodes.Usage, unknown.ExitCode, unknown.ToString());
        StringAssert.Contains(unknown.Error, "no input named 'photo'");

        var evaluate = Tool.Run("evaluate", "--model", model, "--input", images, "--methods", "grad-cam", "--metrics", "deletion", "--report", Path.Combine(folder, "report"));
        Assert.AreEqual(ExitCodes.Usage, evaluate.ExitCode, evaluate.ToString());
        StringAssert.Contains(evaluate.Error, "single-input models");
        Assert.IsFalse(File.Exists(output), "nothing was written");
    }

    [TestMethod]
    public void Explained_input_convention_and_ablation_fill_reach_the_methods()
    {
        var (folder, model, images, meta, x, features) = Fixture("multi-input-options");

        // The feature vector explained, the images fed by name.
        var ofMeta = Path.Combine(folder, "meta-gradient.npy");
        var run = Tool.Run("explain", "--model", model, "--explained-input", "meta", "--input", meta, "--input", $"image={images}", "--method", "gradient", "--output", ofMeta);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        using (var gradient = ExplanationMethods.SignedGradient.CreateExplainer(TwoInputModel.Build(), new MethodSettings { ExplainedInput = TwoInputModel.Meta }))
        {
            var expected = gradient.Explain(new ExplanationRequest(features) { Inputs = new Dictionary<string, InputTensor> { [TwoInputModel.Image] = InputTensor.Float(x) } }).Values;
            CollectionAssert.AreEqual(expected.Data, Npy.ReadFloats(ofMeta).Data);
        }

        var inputs = new Dictionary<string, InputTensor> { [TwoInputModel.Meta] = InputTensor.Float(features) };
        var captum = Path.Combine(folder, "captum.npy");
        run = Tool.Run("explain", "--model", model, "--input", images, "--input", $"meta={meta}", "--method", "guided-grad-cam", "--convention", "captum", "--output", captum);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        using (var guided = ExplanationMethods.GuidedGradCam.CreateExplainer(TwoInputModel.Build(), new MethodSettings { GuidedGradCamConvention = Cam.GuidedGradCamConvention.Captum }))
        {
            CollectionAssert.AreEqual(guided.Explain(new ExplanationRequest(x) { Inputs = inputs }).Values.Data, Npy.ReadFloats(captum).Data);
        }

        var zero = Path.Combine(folder, "ablation-zero.npy");
        run = Tool.Run("explain", "--model", model, "--input", images, "--input", $"meta={meta}", "--method", "ablation-cam", "--ablation-fill", "zero", "--raw", "--output", zero);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        using (var ablation = ExplanationMethods.AblationCam.CreateExplainer(TwoInputModel.Build(), new MethodSettings { AblationFill = Cam.AblationFill.Zero }))
        {
            CollectionAssert.AreEqual(ablation.Explain(new ExplanationRequest(x) { Inputs = inputs }).LayerMaps!.Data, Npy.ReadFloats(zero).Data);
        }

        var bad = Tool.Run("explain", "--model", model, "--input", images, "--input", $"meta={meta}", "--method", "guided-grad-cam", "--convention", "zennit", "--output", captum);
        Assert.AreEqual(ExitCodes.Usage, bad.ExitCode, bad.ToString());
        StringAssert.Contains(bad.Error, "use pytorch-grad-cam or captum");
    }
}
