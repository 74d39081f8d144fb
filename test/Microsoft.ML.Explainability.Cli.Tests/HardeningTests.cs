using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Microsoft.ML.Explainability.Cli.Tests.Infrastructure;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli.Tests;

/// <summary>
/// Hostile or careless inputs to the tool: sizes checked before allocation, counts bounded before set-up, non-finite
/// results never written, outputs all or nothing, Ctrl+C as cancellation, and no output inside the input folder.
/// </summary>
[TestClass]
public sealed class HardeningTests
{
    private static string Cnn => Tool.Model("fmnist_cnn.onnx");

    private static void AssertOneLineError(CliRun run, int exitCode, params string[] fragments)
    {
        Assert.AreEqual(exitCode, run.ExitCode, run.ToString());
        Assert.IsTrue(run.Error.StartsWith("error: ", StringComparison.Ordinal), run.ToString());
        Assert.AreEqual(1, run.Error.TrimEnd().Split('\n').Length, "one line: " + run.Error);
        foreach (var fragment in fragments)
        {
            StringAssert.Contains(run.Error, fragment);
        }
    }

    [TestMethod]
    public void Steps_200000_is_refused_before_the_quadrature_is_set_up()
    {
        var folder = Tool.TempFolder("steps");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(1));
        var clock = Stopwatch.StartNew();
        var run = Tool.Run("explain", "--model", Cnn, "--input", input, "--method", "integrated-gradients", "--steps", "200000", "--output", Path.Combine(folder, "ig.npy"));
        AssertOneLineError(run, ExitCodes.Usage, "--steps 200000 is outside 1–4096", "steps²");
        Assert.IsLessThan(10_000L, clock.ElapsedMilliseconds, "refused at once");
        Assert.IsFalse(File.Exists(Path.Combine(folder, "ig.npy")));

        AssertOneLineError(Tool.Run("explain", "--model", Cnn, "--input", input, "--method", "rise", "--masks", "2000000", "--output", Path.Combine(folder, "r.npy")), ExitCodes.Usage, "--masks 2000000");
        AssertOneLineError(Tool.Run("explain", "--model", Cnn, "--input", input, "--method", "smooth-grad", "--samples", "0", "--output", Path.Combine(folder, "s.npy")), ExitCodes.Usage, "--samples 0");
        AssertOneLineError(Tool.Run("explain", "--model", Cnn, "--input", input, "--method", "saliency", "--batch-size", "100000", "--output", Path.Combine(folder, "b.npy")), ExitCodes.Usage, "--batch-size 100000");
    }

    [TestMethod]
    public void Size_70000x70000_is_refused_with_checked_arithmetic()
    {
        var folder = Tool.TempFolder("size");
        var images = Directory.CreateDirectory(Path.Combine(folder, "images")).FullName;
        Tool.WritePngs(images, 1);
        var run = Tool.Run("explain", "--model", Cnn, "--input", images, "--size", "70000x70000", "--method", "grad-cam", "--output", Path.Combine(folder, "out.npy"));
        AssertOneLineError(run, ExitCodes.Usage, "--size '70000x70000' is 70000×70000 = 4900000000 pixels", "--max-pixels");
    }

    [TestMethod]
    public void A_small_png_declaring_20000x20000_is_refused_from_its_header()
    {
        var folder = Tool.TempFolder("bigpng");
        var png = Path.Combine(folder, "huge.png");
        File.WriteAllBytes(png, PngDeclaring(20000, 20000));
        Assert.IsLessThan(1000L, new FileInfo(png).Length, "a tiny file");

        var clock = Stopwatch.StartNew();
        var run = Tool.Run("explain", "--model", Cnn, "--input", png, "--method", "grad-cam", "--output", Path.Combine(folder, "out.npy"));
        AssertOneLineError(run, ExitCodes.BadInput, "huge.png", "declares 20000×20000 = 400000000 pixels", "--max-pixels");
        Assert.IsLessThan(5_000L, clock.ElapsedMilliseconds, "refused before decoding");

        // The limit is documented and overridable: a 28×28 image passes by default and is refused below 784 pixels.
        var images = Directory.CreateDirectory(Path.Combine(folder, "small")).FullName;
        Tool.WritePngs(images, 1);
        var small = Path.Combine(images, "000.png");
        Assert.AreEqual(0, Tool.Run("explain", "--model", Cnn, "--input", small, "--method", "grad-cam", "--output", Path.Combine(folder, "ok.npy")).ExitCode);
        AssertOneLineError(Tool.Run("explain", "--model", Cnn, "--input", small, "--max-pixels", "500", "--method", "grad-cam", "--output", Path.Combine(folder, "no.npy")), ExitCodes.Usage, "resized to 28×28, above the limit of 500");
        var header = Tool.Run("explain", "--model", Cnn, "--input", small, "--size", "20x20", "--max-pixels", "500", "--method", "grad-cam", "--output", Path.Combine(folder, "no.npy"));
        AssertOneLineError(header, ExitCodes.BadInput, "declares 28×28 = 784 pixels, above the limit of 500");
        Assert.IsFalse(File.Exists(Path.Combine(folder, "no.npy")));
    }

    [TestMethod]
    public void A_NaN_producing_input_exits_non_zero_and_writes_nothing()
    {
        var folder = Tool.TempFolder("nan");
        var huge = new FloatTensor(Enumerable.Repeat(3e38f, 2 * 784).ToArray(), 2, 1, 28, 28);
        var input = Tool.SaveNpy(folder, "huge.npy", huge);
        foreach (var method in new[] { "grad-cam", "saliency" })
        {
            var single = Path.Combine(folder, "not-yet", method + ".npy");
            var run = Tool.Run("explain", "--model", Cnn, "--input", input, "--method", method, "--output", single);
            Assert.AreNotEqual(0, run.ExitCode, run.ToString());
            Assert.IsTrue(run.Error.StartsWith("error: ", StringComparison.Ordinal) && run.Error.TrimEnd().Split('\n').Length == 1, run.ToString());
            Assert.IsTrue(run.Error.Contains("NaN", StringComparison.OrdinalIgnoreCase) || run.Error.Contains("finite", StringComparison.OrdinalIgnoreCase), run.ToString());
            Assert.IsFalse(Directory.Exists(Path.GetDirectoryName(single)), "no .npy written, not even its folder created");

            var overlays = Path.Combine(folder, method + "-overlays");
            Assert.AreNotEqual(0, Tool.Run("explain", "--model", Cnn, "--input", input, "--method", method, "--output", overlays).ExitCode);
            Assert.IsFalse(Directory.Exists(overlays), "no output folder");
        }

        CollectionAssert.AreEquivalent(new[] { "huge.npy" }, Tool.Listing(folder), "nothing but the input, no temporary files");
    }

    [TestMethod]
    public void A_failed_run_leaves_an_earlier_output_folder_untouched()
    {
        var folder = Tool.TempFolder("atomic");
        var good = Tool.SaveNpy(folder, "good.npy", Tool.Batch(2));
        var bad = Tool.SaveNpy(folder, "bad.npy", new FloatTensor(Enumerable.Repeat(3e38f, 2 * 784).ToArray(), 2, 1, 28, 28));
        var output = Path.Combine(folder, "out");
        Assert.AreEqual(0, Tool.Run("explain", "--model", Cnn, "--input", good, "--method", "saliency", "--output", output).ExitCode);
        var before = Tool.Listing(output).ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(output, f)));
        CollectionAssert.Contains(before.Keys, "saliency.npy");

        Assert.AreNotEqual(0, Tool.Run("explain", "--model", Cnn, "--input", bad, "--method", "saliency", "--output", output).ExitCode);
        CollectionAssert.AreEqual(before.Keys.ToArray(), Tool.Listing(output));
        foreach (var (file, bytes) in before)
        {
            CollectionAssert.AreEqual(bytes, File.ReadAllBytes(Path.Combine(output, file)), file);
        }

        // A second successful run replaces the files in place (renamed over, no temporaries left).
        Assert.AreEqual(0, Tool.Run("explain", "--model", Cnn, "--input", good, "--method", "saliency", "--output", output).ExitCode);
        CollectionAssert.AreEqual(before.Keys.ToArray(), Tool.Listing(output));
        CollectionAssert.AreEquivalent(new[] { "bad.npy", "good.npy", "out" }, Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).ToArray(), "no staging folder left beside the output");
    }

    [TestMethod]
    public void An_output_folder_inside_the_input_folder_is_refused()
    {
        var folder = Tool.TempFolder("inside");
        var images = Directory.CreateDirectory(Path.Combine(folder, "images")).FullName;
        Tool.WritePngs(images, 2);
        var inside = Path.Combine(images, "explanations");

        var explain = Tool.Run("explain", "--model", Cnn, "--input", images, "--method", "grad-cam", "--output", inside);
        AssertOneLineError(explain, ExitCodes.Usage, "is inside the input folder", images);
        var same = Tool.Run("explain", "--model", Cnn, "--input", images, "--method", "grad-cam", "--output", images);
        AssertOneLineError(same, ExitCodes.Usage, "is inside the input folder");
        var evaluate = Tool.Run("evaluate", "--model", Cnn, "--input", images, "--methods", "grad-cam", "--report", Path.Combine(images, "report"));
        AssertOneLineError(evaluate, ExitCodes.Usage, "is inside the input folder");
        var ablate = Tool.Run("ablate", "--model", Cnn, "--input", images, "--report", Path.Combine(images, "ablation"));
        AssertOneLineError(ablate, ExitCodes.Usage, "is inside the input folder");

        // A link to the input folder does not hide the nesting.
        var link = Path.Combine(folder, "link");
        Directory.CreateSymbolicLink(link, images);
        AssertOneLineError(Tool.Run("explain", "--model", Cnn, "--input", images, "--method", "grad-cam", "--output", Path.Combine(link, "out")), ExitCodes.Usage, "is inside the input folder");

        CollectionAssert.AreEqual(new[] { "000.png", "001.png" }, Tool.Listing(images), "nothing written into the input folder");

        // Beside the input folder is fine, and a second run still sees only the images.
        var beside = Path.Combine(folder, "explanations");
        Assert.AreEqual(0, Tool.Run("explain", "--model", Cnn, "--input", images, "--method", "grad-cam", "--output", beside).ExitCode);
        var again = Tool.Run("explain", "--model", Cnn, "--input", images, "--method", "grad-cam", "--output", beside);
        Assert.AreEqual(0, again.ExitCode, again.ToString());
        StringAssert.Contains(again.Output, "2 rows");
    }

    [TestMethod]
    public void Cancelling_evaluate_mid_run_exits_with_the_cancelled_code_and_leaves_no_output()
    {
        var folder = Tool.TempFolder("cancel");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(4));
        var report = Path.Combine(folder, "nested", "report");
        using var cancellation = new CancellationTokenSource();
        using var output = new CancelOnLine(cancellation, "grad-cam deletion:");

        var run = Tool.Run(output, ["evaluate", "--model", Cnn, "--input", input, "--methods", "grad-cam,saliency", "--metrics", "deletion,insertion", "--report", report], cancellation.Token);

        Assert.IsTrue(cancellation.IsCancellationRequested, "the first metric finished, then Ctrl+C: " + run);
        AssertOneLineError(run, ExitCodes.Cancelled, "cancelled");
        Assert.IsFalse(run.Output.Contains("grad-cam insertion:", StringComparison.Ordinal) || run.Output.Contains("saliency deletion:", StringComparison.Ordinal), "stopped within the next metric: " + run.Output);
        CollectionAssert.AreEqual(new[] { "batch.npy" }, Tool.Listing(folder), "no report, no .npy, no staging folder, no created parent");
    }

    [TestMethod]
    public void A_cancelled_explain_or_ablate_writes_nothing()
    {
        var folder = Tool.TempFolder("cancel-explain");
        var input = Tool.SaveNpy(folder, "batch.npy", Tool.Batch(2));
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var explain = Tool.Run(new StringWriter(), ["explain", "--model", Cnn, "--input", input, "--method", "grad-cam", "--output", Path.Combine(folder, "out")], cancellation.Token);
        AssertOneLineError(explain, ExitCodes.Cancelled, "cancelled; nothing was written");
        var single = Tool.Run(new StringWriter(), ["explain", "--model", Cnn, "--input", input, "--method", "grad-cam", "--output", Path.Combine(folder, "out.npy")], cancellation.Token);
        AssertOneLineError(single, ExitCodes.Cancelled);
        var ablate = Tool.Run(new StringWriter(), ["ablate", "--model", Cnn, "--input", input, "--factors", "relu", "--report", Path.Combine(folder, "ablation")], cancellation.Token);
        AssertOneLineError(ablate, ExitCodes.Cancelled);
        CollectionAssert.AreEqual(new[] { "batch.npy" }, Tool.Listing(folder));
    }

    /// <summary>A PNG whose header declares <paramref name="width"/>×<paramref name="height"/> grey pixels, followed by one row of data only.</summary>
    private static byte[] PngDeclaring(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth; colour type 0 (grey), deflate, no filter, no interlace
        Chunk(png, "IHDR", header);
        using (var data = new MemoryStream())
        {
            using (var zlib = new ZLibStream(data, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                zlib.Write(new byte[width + 1]);
            }

            Chunk(png, "IDAT", data.ToArray());
        }

        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var body = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(body);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(body));
        png.Write(crc);
    }

    /// <summary>The PNG chunk CRC (ISO 3309, polynomial 0xEDB88320).</summary>
    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>An output writer that cancels (as Ctrl+C would) when a line containing <paramref name="trigger"/> is written.</summary>
    private sealed class CancelOnLine(CancellationTokenSource cancellation, string trigger) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.Contains(trigger, StringComparison.Ordinal))
            {
                cancellation.Cancel();
            }
        }
    }
}
