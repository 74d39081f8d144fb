using System.Diagnostics;
using System.Reflection;
using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML.Tests;

[TestClass]
public sealed class SaveLoadTests
{
    [TestMethod]
    public void A_saved_pipeline_loaded_in_a_second_process_gives_identical_saliency()
    {
        var ml = new MLContext(seed: 0);
        var folder = TestData.TempFolder("saveload");
        var rows = TestData.WritePngs(folder, 6);
        var modelFile = Path.Combine(folder, "model.onnx");
        TestData.Cnn224().Save(modelFile);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.LoadImages("Image", folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 224, 224))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", scaleImage: 1f / 255))
            .Append(ml.Transforms.ExplainGradCam("Saliency", "Pixels", modelFile, batchSize: 4));
        var model = pipeline.Fit(data);
        var expected = PipelineTests.Read(model.Transform(data), "Saliency").SelectMany(m => m).ToArray();

        var saved = Path.Combine(folder, "pipeline.zip");
        ml.Model.SaveWithExplainers(model, data.Schema, saved);
        File.Delete(modelFile); // the saved model holds the ONNX bytes itself

        // Same process first.
        var loaded = ml.Model.LoadWithExplainers(saved, out var schema);
        Assert.IsNotNull(schema);
        Assert.IsNotNull(schema.GetColumnOrNull("ImagePath"));
        CollectionAssert.AreEqual(expected, PipelineTests.Read(loaded.Transform(data), "Saliency").SelectMany(m => m).ToArray());
        Assert.IsInstanceOfType<GradCamTransformer>(loaded.Last());

        // Then a fresh process.
        var output = Path.Combine(folder, "saliency.bin");
        var helper = typeof(SaveLoadTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "LoadCheckPath").Value!;
        Assert.IsTrue(File.Exists(helper), $"the second-process helper is built at {helper}");
        var metadata = typeof(SaveLoadTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>();
        bool selfContained = string.Equals(metadata.Single(a => a.Key == "LoadCheckSelfContained").Value, "true", StringComparison.OrdinalIgnoreCase);
        var start = selfContained
            ? new ProcessStartInfo(Path.ChangeExtension(helper, OperatingSystem.IsWindows() ? ".exe" : null)) { RedirectStandardOutput = true, RedirectStandardError = true }
            : new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (selfContained ? [] : new[] { helper }).Concat([saved, folder, output]))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(120_000), "the second process finishes");
        Assert.AreEqual(0, process.ExitCode, stderr + stdout.Result);
        var bytes = File.ReadAllBytes(output);
        var actual = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, actual, 0, bytes.Length);
        Assert.HasCount(expected.Length, actual);
        CollectionAssert.AreEqual(expected, actual, "bit-identical saliency in the second process");
    }

    [TestMethod]
    public void Model_Save_fails_with_a_message_that_points_to_SaveWithExplainers()
    {
        var ml = new MLContext(seed: 0);
        var folder = TestData.TempFolder("save");
        var rows = TestData.WritePngs(folder, 2);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.LoadImages("Image", folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", Transforms.Image.ImagePixelExtractingEstimator.ColorBits.Red))
            .Append(ml.Transforms.ExplainLrp("Saliency", "Pixels", TestData.CnnPath))
            .Fit(data);
        using var stream = new MemoryStream();
        Exception? error = null;
        try
        {
            ml.Model.Save(model, data.Schema, stream);
        }
        catch (Exception e)
        {
            error = e;
        }

        while (error is not null and not NotSupportedException)
        {
            error = error.InnerException;
        }

        Assert.IsNotNull(error, "Model.Save fails with NotSupportedException");
        StringAssert.Contains(error.Message, "SaveWithExplainers");

        // An LRP pipeline round-trips too, and a file that is no such model fails clearly.
        var saved = Path.Combine(folder, "lrp.zip");
        ml.Model.SaveWithExplainers(model, data.Schema, saved);
        var loaded = ml.Model.LoadWithExplainers(saved, out _);
        CollectionAssert.AreEqual(PipelineTests.Read(model.Transform(data), "Saliency")[1], PipelineTests.Read(loaded.Transform(data), "Saliency")[1]);
        Assert.IsInstanceOfType<LrpTransformer>(loaded.Last());
        var garbage = Path.Combine(folder, "garbage.zip");
        File.WriteAllText(garbage, "not a zip");
        Assert.Throws<InvalidDataException>(() => ml.Model.LoadWithExplainers(garbage, out _));
    }
}
