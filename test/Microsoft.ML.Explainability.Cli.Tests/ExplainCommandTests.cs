using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx;
using SkiaSharp;

namespace Microsoft.ML.Explainability.Cli.Tests;

[TestClass]
public sealed class ExplainCommandTests
{
    private const int Rows = 3;

    [TestMethod]
    public void Grad_cam_to_npy_writes_float32_N_by_H_by_W_maps_equal_to_the_library()
    {
        var folder = Tool.TempFolder("explain-gradcam");
        var batch = Tool.Batch(Rows);
        var input = Tool.SaveNpy(folder, "batch.npy", batch);
        var output = Path.Combine(folder, "maps.npy");

        var run = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "grad-cam", "--output", output);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var (header, offset) = Tool.NpyHeader(output);
        Assert.AreEqual("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }", header.TrimEnd(' ', '\n'));
        Assert.AreEqual(0, offset % 64, "header padded to a multiple of 64 bytes");
        Assert.AreEqual(offset + (Rows * 28 * 28 * 4), new FileInfo(output).Length);
        var maps = Npy.ReadFloats(output, 3);
        using var cam = new CamExplainer(OnnxModel.Load(Tool.Model("fmnist_cnn.onnx")));
        var expected = cam.Explain(batch);
        CollectionAssert.AreEqual(expected.Maps.Data, maps.Data);
        Assert.IsTrue(maps.Data.All(v => v is >= 0 and < 1), "post-processed maps are in [0, 1)");
    }

    [TestMethod]
    public void Raw_gives_the_layer_resolution_map_before_relu_and_normalisation()
    {
        var folder = Tool.TempFolder("explain-raw");
        var batch = Tool.Batch(Rows);
        var input = Tool.SaveNpy(folder, "batch.npy", batch);
        var output = Path.Combine(folder, "raw.npy");

        var run = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "hires-cam", "--raw", "--output", output);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        using var cam = new CamExplainer(OnnxModel.Load(Tool.Model("fmnist_cnn.onnx")), new CamOptions { Method = ExplanationMethods.HiResCam });
        var expected = cam.Explain(batch);
        var raw = Npy.ReadFloats(output, 3);
        CollectionAssert.AreEqual(expected.RawMaps.Shape, raw.Shape);
        Assert.AreEqual(cam.Layer.Height, (int)raw.Shape[1]);
        CollectionAssert.AreEqual(expected.RawMaps.Data, raw.Data);
        Assert.IsTrue(raw.Data.Any(v => v < 0), "raw maps keep negative values (no ReLU)");
    }

    [TestMethod]
    public void Repeated_layer_options_and_the_smoothing_flags_reach_the_library()
    {
        var folder = Tool.TempFolder("explain-layers");
        var batch = Tool.Batch(2);
        var input = Tool.SaveNpy(folder, "batch.npy", batch);
        var model = OnnxModel.Load(Tool.Model("fmnist_cnn.onnx"));
        var automatic = TargetLayers.Automatic(model);
        var finer = TargetLayers.List(model).Last(l => l.Height > automatic.Height);
        var output = Path.Combine(folder, "maps.npy");

        var run = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "refine-cam", "--layer", finer.Name, "--layer", automatic.Name, "--eigen-smooth", "--aug-smooth", "--output", output);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        using var cam = new CamExplainer(model, new CamOptions { Method = ExplanationMethods.RefineCam, TargetLayers = [finer.Name, automatic.Name], EigenSmooth = true, AugSmooth = true });
        CollectionAssert.AreEqual(cam.Explain(batch).Maps.Data, Npy.ReadFloats(output, 3).Data);

        var raw = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "grad-cam", "--layer", finer.Name, "--layer", automatic.Name, "--raw", "--output", Path.Combine(folder, "raw.npy"));
        Assert.AreNotEqual(0, raw.ExitCode);
        StringAssert.Contains(raw.ToString(), "--raw");
        var eigen = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "eigen-cam", "--eigen-smooth", "--output", Path.Combine(folder, "eigen.npy"));
        Assert.AreNotEqual(0, eigen.ExitCode);
        StringAssert.Contains(eigen.ToString(), "EigenSmooth");
        Assert.IsFalse(File.Exists(Path.Combine(folder, "eigen.npy")));
    }

    [TestMethod]
    public void Input_attribution_methods_write_N_by_C_by_H_by_W()
    {
        var folder = Tool.TempFolder("explain-input");
        var batch = Tool.Batch(Rows);
        var input = Tool.SaveNpy(folder, "batch.npy", batch);
        foreach (var method in new[] { "saliency", "gradient", "input-x-gradient", "guided-backprop", "lrp" })
        {
            var output = Path.Combine(folder, method + ".npy");
            var run = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", method, "--output", output);
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            var (header, _) = Tool.NpyHeader(output);
            StringAssert.Contains(header, "'shape': (3, 1, 28, 28)", method);
        }

        using var lrp = new LrpExplainer(OnnxModel.Load(Tool.Model("fmnist_cnn.onnx")));
        CollectionAssert.AreEqual(lrp.Explain(batch).Relevance.Data, Npy.ReadFloats(Path.Combine(folder, "lrp.npy")).Data);
        var saliency = Npy.ReadFloats(Path.Combine(folder, "saliency.npy")).Data;
        var gradient = Npy.ReadFloats(Path.Combine(folder, "gradient.npy")).Data;
        CollectionAssert.AreEqual(gradient.Select(Math.Abs).ToArray(), saliency);
        Assert.IsTrue(gradient.Any(v => v < 0), "'gradient' is signed");
    }

    [TestMethod]
    public void Targets_file_selects_the_explained_class_per_row()
    {
        var folder = Tool.TempFolder("explain-targets");
        var batch = Tool.Batch(Rows);
        var input = Tool.SaveNpy(folder, "batch.npy", batch);
        long[] targets = [3, -1, 7];
        var targetsPath = Path.Combine(folder, "targets.npy");
        Npy.WriteInt64(targetsPath, targets, targets.Length);
        var output = Path.Combine(folder, "out");

        var run = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "grad-cam", "--targets", targetsPath, "--output", output);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        using var cam = new CamExplainer(OnnxModel.Load(Tool.Model("fmnist_cnn.onnx")));
        var expected = cam.Explain(batch, targets);
        CollectionAssert.AreEqual(expected.Maps.Data, Npy.ReadFloats(Path.Combine(output, "grad-cam.npy")).Data);
        var (resolved, shape) = Npy.ReadInt64(Path.Combine(output, "targets.npy"));
        CollectionAssert.AreEqual(new long[] { Rows }, shape);
        Assert.AreEqual(3L, resolved[0]);
        Assert.AreEqual(7L, resolved[2]);
        Assert.AreEqual(expected.Targets![1], resolved[1]);
    }

    [TestMethod]
    public void Folder_output_holds_the_npy_and_one_png_overlay_per_row()
    {
        var folder = Tool.TempFolder("explain-folder");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(Rows));
        var output = Path.Combine(folder, "out");

        var run = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "layer-cam", "--output", output);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.AreEqual((3L, 28L, 28L), Shape3(Npy.ReadFloats(Path.Combine(output, "layer-cam.npy"), 3).Shape));
        var pngs = Directory.GetFiles(output, "*.png").Order(StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(new[] { "row0.layer-cam.png", "row1.layer-cam.png", "row2.layer-cam.png" }, pngs.Select(Path.GetFileName).ToArray());
        using var image = SKBitmap.Decode(pngs[0]);
        Assert.AreEqual(224, image.Width);
        Assert.AreEqual(224, image.Height);
    }

    [TestMethod]
    public void Image_folder_input_is_resized_and_normalised_with_size_mean_and_std()
    {
        var folder = Tool.TempFolder("explain-images");
        var images = Directory.CreateDirectory(Path.Combine(folder, "images")).FullName;
        var pixels = Tool.Pixels(2);
        for (int i = 0; i < 2; i++)
        {
            // 56×56 RGB images: --size 28 brings them back to the model's grid; --grayscale to its single channel.
            using var bitmap = new SKBitmap(56, 56, SKColorType.Rgba8888, SKAlphaType.Opaque);
            for (int y = 0; y < 56; y++)
            {
                for (int x = 0; x < 56; x++)
                {
                    byte v = pixels[i][((y / 2) * 28) + (x / 2)];
                    bitmap.SetPixel(x, y, new SKColor(v, v, v));
                }
            }

            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(images, $"img{i}.png"), data.ToArray());
        }

        File.WriteAllText(Path.Combine(images, "notes.txt"), "not an image: ignored");
        var output = Path.Combine(folder, "out");

        var run = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", images, "--size", "28x28", "--mean", "0.2860", "--std", "0.3530", "--grayscale", "--method", "saliency", "--output", output);

        Assert.AreEqual(0, run.ExitCode, run.ToString());
        var saliency = Npy.ReadFloats(Path.Combine(output, "saliency.npy"), 4);
        CollectionAssert.AreEqual(new long[] { 2, 1, 28, 28 }, saliency.Shape);
        Assert.IsTrue(File.Exists(Path.Combine(output, "img0.saliency.png")));
        Assert.IsTrue(File.Exists(Path.Combine(output, "img1.saliency.png")));

        // The same images given as a .npy batch (2×2 blocks of one value downsample exactly) give the same saliency.
        var npyOutput = Path.Combine(folder, "from-npy.npy");
        var fromNpy = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", Tool.SaveNpy(folder, "batch.npy", Tool.Batch(2)), "--method", "saliency", "--output", npyOutput);
        Assert.AreEqual(0, fromNpy.ExitCode, fromNpy.ToString());
        Assert.IsTrue(Tool.MaxAbsDifference(Npy.ReadFloats(npyOutput).Data, saliency.Data) < 1e-3f, "image decoding, resizing and normalisation match the .npy batch");
    }

    /// <summary>
    /// The command line enumerates the core registry: every <see cref="ExplanationMethods.All"/> entry is listed by
    /// <c>methods</c> (with its family, layout, compilability and paper) and explained by <c>explain</c> — CNN methods
    /// on the fixture CNN, transformer methods on the fixture DeiT — with the registry's layout.
    /// </summary>
    [TestMethod]
    public void Every_registry_method_is_listed_by_methods_and_run_by_explain()
    {
        var listing = Tool.Run("methods");
        Assert.AreEqual(0, listing.ExitCode, listing.ToString());
        var lines = listing.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var folder = Tool.TempFolder("explain-all");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(2));
        foreach (var method in ExplanationMethods.All)
        {
            var line = lines.SingleOrDefault(l => l.Split("  ", 2)[0].Trim() == method.Name);
            Assert.IsNotNull(line, $"'{method.Name}' is listed by `methods`:\n{listing.Output}");
            StringAssert.Contains(line, method.Family.ToString());
            StringAssert.Contains(line, method.Paper);
            StringAssert.Contains(line, method.Compiles ? "compiles" : method.NotCompilableReason!);
            StringAssert.Contains(line, method.Layout == ExplanationLayout.Map ? "map N×H×W" : "attribution N×C×H×W");

            var model = method.Family == MethodFamily.VisionTransformer ? "fmnist_deit.onnx" : "fmnist_cnn.onnx";
            var output = Path.Combine(folder, method.Name + ".npy");
            var run = Tool.Run("explain", "--model", Tool.Model(model), "--input", input, "--method", method.Name, "--output", output, "--steps", "8", "--samples", "4", "--masks", "64", "--window", "7", "--stride", "7");
            Assert.AreEqual(0, run.ExitCode, $"{method.Name}: {run}");
            var values = Npy.ReadFloats(output);
            long[] expected = method.Layout == ExplanationLayout.Map ? [2, 28, 28] : [2, 1, 28, 28];
            CollectionAssert.AreEqual(expected, values.Shape, method.Name);
            Assert.IsTrue(values.Data.All(float.IsFinite), method.Name);
        }

        Assert.HasCount(ExplanationMethods.All.Count, lines.Where(l => !l.StartsWith("LRP composites", StringComparison.Ordinal)), "one line per method and nothing else");
        StringAssert.Contains(listing.Output, string.Join(", ", LrpComposites.All.Select(c => c.Name)));
    }

    [TestMethod]
    public void Raw_takes_the_layer_maps_and_is_refused_where_there_are_none()
    {
        var folder = Tool.TempFolder("explain-raw");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(2));
        var fullGrad = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "full-grad", "--raw", "--output", Path.Combine(folder, "fg.npy"));
        Assert.AreEqual(0, fullGrad.ExitCode, fullGrad.ToString());
        using (var explainer = ExplanationMethods.FullGrad.CreateExplainer(OnnxModel.Load(Tool.Model("fmnist_cnn.onnx"))))
        {
            var layerMaps = explainer.Explain(new ExplanationRequest(Tool.Batch(2))).LayerMaps!;
            Assert.IsLessThan(1e-5f, Tool.MaxAbsDifference(Npy.ReadFloats(Path.Combine(folder, "fg.npy")).Data, layerMaps.Data));
        }

        var rise = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "rise", "--masks", "16", "--raw", "--output", Path.Combine(folder, "rise.npy"));
        Assert.AreEqual(ExitCodes.Usage, rise.ExitCode, rise.ToString());
        StringAssert.Contains(rise.Error, "'rise' has none");
        Assert.IsFalse(File.Exists(Path.Combine(folder, "rise.npy")));

        var lrp = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "lrp", "--raw", "--output", Path.Combine(folder, "lrp.npy"));
        Assert.AreEqual(ExitCodes.Usage, lrp.ExitCode, lrp.ToString());
        StringAssert.Contains(lrp.Error, "--raw");
    }

    [TestMethod]
    public void Perturbation_methods_match_the_library()
    {
        var folder = Tool.TempFolder("explain-perturbation");
        var batch = Tool.Batch(2);
        var input = Tool.SaveNpy(folder, "batch.npy", batch);
        var model = OnnxModel.Load(Tool.Model("fmnist_cnn.onnx"));

        var rise = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "rise", "--masks", "100", "--seed", "3", "--output", Path.Combine(folder, "rise.npy"));
        Assert.AreEqual(0, rise.ExitCode, rise.ToString());
        using (var explainer = new Rise(model, new RiseOptions { Masks = 100, Seed = 3 }))
        {
            var expected = explainer.Explain(batch).Attributions;
            var maps = Npy.ReadFloats(Path.Combine(folder, "rise.npy"), 3);
            CollectionAssert.AreEqual(new long[] { 2, 28, 28 }, maps.Shape, "RISE is a map: N×H×W");
            CollectionAssert.AreEqual(expected.Data, maps.Data);
        }

        var occlusion = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "occlusion", "--window", "6x4", "--stride", "3", "--output", Path.Combine(folder, "occlusion.npy"));
        Assert.AreEqual(0, occlusion.ExitCode, occlusion.ToString());
        using (var explainer = new Occlusion(model, new OcclusionOptions { WindowHeight = 6, WindowWidth = 4, StrideY = 3, StrideX = 3 }))
        {
            CollectionAssert.AreEqual(explainer.Explain(batch).Attributions.Data, Npy.ReadFloats(Path.Combine(folder, "occlusion.npy"), 4).Data);
        }

        var fullGrad = Tool.Run("explain", "--model", Tool.Model("fmnist_cnn.onnx"), "--input", input, "--method", "full-grad", "--output", Path.Combine(folder, "full-grad.npy"));
        Assert.AreEqual(0, fullGrad.ExitCode, fullGrad.ToString());
        using (var explainer = new FullGrad(model))
        {
            CollectionAssert.AreEqual(explainer.Explain(batch).Maps.Data, Npy.ReadFloats(Path.Combine(folder, "full-grad.npy"), 3).Data);
        }
    }

    private static (long, long, long) Shape3(long[] shape) => (shape[0], shape[1], shape[2]);
}
