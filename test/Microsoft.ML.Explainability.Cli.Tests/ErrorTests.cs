using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.IO;

namespace Microsoft.ML.Explainability.Cli.Tests;

/// <summary>Every failure is one readable "error: …" line with a non-zero exit code, never a bare stack trace.</summary>
[TestClass]
public sealed class ErrorTests
{
    private static string _folder = "";
    private static string _batch = "";

    [ClassInitialize]
    public static void Setup(TestContext context)
    {
        _ = context;
        _folder = Tool.TempFolder("errors");
        _batch = Tool.SaveNpy(_folder, "batch.npy", Tool.Batch(2));
    }

    private static CliRun Explain(string input, string output, string method = "grad-cam", string model = "fmnist_cnn.onnx") =>
        Tool.Run("explain", "--model", model.Contains('/') ? model : Tool.Model(model), "--input", input, "--method", method, "--output", output);

    private static void AssertError(CliRun run, int exitCode, params string[] fragments)
    {
        Assert.AreEqual(exitCode, run.ExitCode, run.ToString());
        Assert.IsTrue(run.Error.StartsWith("error: ", StringComparison.Ordinal), run.ToString());
        Assert.IsFalse(run.Error.Contains("   at ", StringComparison.Ordinal), "no stack trace: " + run.Error);
        foreach (var fragment in fragments)
        {
            StringAssert.Contains(run.Error, fragment);
        }
    }

    [TestMethod]
    public void Unknown_method() =>
        AssertError(Explain(_batch, Path.Combine(_folder, "a.npy"), method: "grad-kam"), ExitCodes.Usage, "Unknown method 'grad-kam'", "grad-cam, hires-cam");

    [TestMethod]
    public void Missing_model_file() =>
        AssertError(Explain(_batch, Path.Combine(_folder, "c.npy"), model: Path.Combine(_folder, "nope.onnx")), ExitCodes.BadInput, "nope.onnx", "does not exist");

    [TestMethod]
    public void Missing_input_file() =>
        AssertError(Explain(Path.Combine(_folder, "missing.npy"), Path.Combine(_folder, "d.npy")), ExitCodes.BadInput, "missing.npy", "does not exist");

    [TestMethod]
    public void Model_that_is_not_onnx()
    {
        var path = Path.Combine(_folder, "garbage.onnx");
        File.WriteAllText(path, "this is not a protobuf");
        AssertError(Explain(_batch, Path.Combine(_folder, "e.npy"), model: path), ExitCodes.BadInput, "garbage.onnx");
    }

    [TestMethod]
    public void Npy_of_the_wrong_dtype()
    {
        var path = Path.Combine(_folder, "int64.npy");
        Npy.WriteInt64(path, new long[2 * 784], 2, 1, 28, 28);
        AssertError(Explain(path, Path.Combine(_folder, "f.npy")), ExitCodes.BadInput, "int64.npy", "<i8", "float32");
    }

    [TestMethod]
    public void Npy_of_the_wrong_rank()
    {
        var path = Tool.SaveNpy(_folder, "rank3.npy", new Runtime.FloatTensor(new float[2 * 784], 2, 28, 28));
        AssertError(Explain(path, Path.Combine(_folder, "g.npy")), ExitCodes.BadInput, "rank3.npy");
    }

    [TestMethod]
    public void Npy_of_the_wrong_shape()
    {
        var path = Tool.SaveNpy(_folder, "shape.npy", new Runtime.FloatTensor(new float[2 * 3 * 784], 2, 3, 28, 28));
        AssertError(Explain(path, Path.Combine(_folder, "h.npy")), ExitCodes.BadInput, "shape.npy", "[2, 3, 28, 28]");
    }

    [TestMethod]
    public void Truncated_npy()
    {
        var bytes = File.ReadAllBytes(_batch);
        var path = Path.Combine(_folder, "truncated.npy");
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 100).ToArray());
        AssertError(Explain(path, Path.Combine(_folder, "i.npy")), ExitCodes.BadInput, "truncated.npy");
    }

    [TestMethod]
    public void Not_an_npy_at_all()
    {
        var path = Path.Combine(_folder, "text.npy");
        File.WriteAllText(path, "hello");
        AssertError(Explain(path, Path.Combine(_folder, "j.npy")), ExitCodes.BadInput, "text.npy");
    }

    [TestMethod]
    public void Image_that_cannot_be_decoded()
    {
        var path = Path.Combine(_folder, "broken.png");
        File.WriteAllBytes(path, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4, 5]);
        AssertError(Explain(path, Path.Combine(_folder, "k.npy")), ExitCodes.BadInput, "broken.png", "cannot be decoded");
    }

    [TestMethod]
    public void Output_folder_not_writable()
    {
        // A folder below a regular file cannot be created, whoever runs the test (root bypasses permission bits).
        var file = Path.Combine(_folder, "a-file");
        File.WriteAllText(file, "x");
        AssertError(Explain(_batch, Path.Combine(file, "out")), ExitCodes.OutputNotWritable, "a-file");
        AssertError(Explain(_batch, Path.Combine(file, "out.npy")), ExitCodes.OutputNotWritable, "a-file");
        AssertError(Tool.Run("compile", "--model", Tool.Model("fmnist_cnn.onnx"), "--method", "grad-cam", "--output", Path.Combine(file, "m.onnx")), ExitCodes.OutputNotWritable);
    }

    [TestMethod]
    public void Unknown_target_layer() =>
        AssertError(Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", _batch, "--method", "grad-cam", "--layer", "no_such_tensor", "--output", Path.Combine(_folder, "l.npy")), ExitCodes.Usage, "no_such_tensor");

    [TestMethod]
    public void Target_class_out_of_range() =>
        AssertError(Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", _batch, "--method", "saliency", "--target", "12", "--output", Path.Combine(_folder, "m.npy")), ExitCodes.BadInput, "12");

    [TestMethod]
    public void Missing_required_option_and_unknown_command()
    {
        var run = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", _batch, "--output", Path.Combine(_folder, "n.npy"));
        AssertError(run, ExitCodes.Usage, "--method is required");
        AssertError(Tool.Run("explian"), ExitCodes.Usage, "'explian'", "onnx-xai --help");
        AssertError(Tool.Run("explain", "--bogus"), ExitCodes.Usage, "'--bogus'", "onnx-xai explain --help");
    }
}
