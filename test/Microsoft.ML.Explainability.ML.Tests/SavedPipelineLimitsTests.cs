using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;

namespace Microsoft.ML.Explainability.ML.Tests;

/// <summary>
/// A saved pipeline is untrusted input: its settings go through the same validation as fresh options, its manifest's
/// structure is checked, and each zip entry is size-capped before it is read.
/// </summary>
[TestClass]
public sealed class SavedPipelineLimitsTests
{
    private static byte[] _saved = [];

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void Setup(TestContext context)
    {
        _ = context;
        _saved = SavedPipelines.Save(new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethods.Saliency, BatchSize = 4 });
    }

    /// <summary>The saved file with one field of part1/settings.json replaced.</summary>
    private static byte[] WithSetting(string field, JsonNode? value) =>
        SavedPipelines.Rewrite(_saved, "part1/settings.json", bytes =>
        {
            var json = JsonNode.Parse(bytes)!.AsObject();
            json[field] = value;
            return Encoding.UTF8.GetBytes(json.ToJsonString());
        });

    private static InvalidDataException LoadFails(byte[] bytes, ExplainLimits? limits = null)
    {
        var ml = new MLContext(seed: 0);
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<InvalidDataException>(() => ml.Model.LoadWithExplainers(new MemoryStream(bytes), limits ?? ExplainLimits.Default, out _));
        Assert.IsLessThan(5_000L, clock.ElapsedMilliseconds, "refused at once, not after hanging: " + error.Message);
        return error;
    }

    /// <summary>The message fresh options with the same value get: loading must run the same validation.</summary>
    private static string ConstructionMessage(Action<ExplainEstimator.Options> tamper)
    {
        var options = new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethods.Saliency, BatchSize = 4 };
        tamper(options);
        var ml = new MLContext(seed: 0);
        return Assert.Throws<ArgumentException>(() => ml.Transforms.Explain(options)).Message;
    }

    [TestMethod]
    public void The_untampered_file_loads_and_explains()
    {
        var ml = new MLContext(seed: 0);
        var loaded = ml.Model.LoadWithExplainers(new MemoryStream(_saved), out _);
        var maps = PipelineTests.Read(loaded.Transform(SavedPipelines.Data(ml, 3)), "Saliency");
        Assert.HasCount(3, maps);
        Assert.IsTrue(maps.All(m => m.Length == 784 && m.Any(v => v > 0)));
    }

    [TestMethod]
    public void BatchSize_0_is_refused_with_the_message_fresh_options_get()
    {
        var error = LoadFails(WithSetting("BatchSize", 0));
        StringAssert.Contains(error.Message, "part1/settings.json");
        StringAssert.Contains(error.Message, "BatchSize is 0");
        Assert.IsInstanceOfType<ArgumentException>(error.InnerException);
        Assert.AreEqual(ConstructionMessage(o => o.BatchSize = 0), error.InnerException!.Message, "one validation for options and saved settings");
    }

    [TestMethod]
    public void IntraOpThreads_5000_is_refused_and_names_the_limit()
    {
        var error = LoadFails(WithSetting("IntraOpThreads", 5000));
        StringAssert.Contains(error.Message, "IntraOpThreads is 5000");
        StringAssert.Contains(error.Message, "ExplainLimits.MaxIntraOpThreads");
        Assert.AreEqual(ConstructionMessage(o => o.IntraOpThreads = 5000), error.InnerException!.Message);
    }

    [TestMethod]
    public void Steps_400000000_is_refused_at_once()
    {
        var error = LoadFails(WithSetting("Steps", 400_000_000));
        StringAssert.Contains(error.Message, "Steps is 400000000");
        StringAssert.Contains(error.Message, "ExplainLimits.MaxSteps");
        Assert.AreEqual(ConstructionMessage(o => o.Steps = 400_000_000), error.InnerException!.Message);
    }

    [TestMethod]
    public void Other_tampered_fields_are_refused()
    {
        StringAssert.Contains(LoadFails(WithSetting("Samples", 100_000_000)).Message, "Samples is 100000000");
        StringAssert.Contains(LoadFails(WithSetting("Method", "grad-kam")).Message, "grad-kam");
        StringAssert.Contains(LoadFails(WithSetting("Composite", "epsilon-minus")).Message, "epsilon-minus");
        StringAssert.Contains(LoadFails(WithSetting("OutputColumnName", null)).Message, "OutputColumnName must be a column name");
        StringAssert.Contains(LoadFails(WithSetting("NoiseLevel", "NaN")).Message, "settings.json");
        StringAssert.Contains(LoadFails(WithSetting("Std", new JsonArray(0f))).Message, "Std");
        StringAssert.Contains(LoadFails(WithSetting("InputShape", new JsonArray(1, -28, 28))).Message, "InputShape");
        StringAssert.Contains(LoadFails(WithSetting("Kind", "Nope")).Message, "Unknown explain transformer kind 'Nope'");
    }

    [TestMethod]
    public void A_raised_limit_accepts_what_the_default_refuses()
    {
        var bytes = WithSetting("BatchSize", 5000);
        StringAssert.Contains(LoadFails(bytes).Message, "BatchSize is 5000");
        var ml = new MLContext(seed: 0);
        var loaded = ml.Model.LoadWithExplainers(new MemoryStream(bytes), ExplainLimits.Default with { MaxBatchSize = 8192 }, out _);
        Assert.HasCount(2, PipelineTests.Read(loaded.Transform(SavedPipelines.Data(ml, 2)), "Saliency"));

        // The same bound, raised on fresh options.
        var options = new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethods.Saliency, BatchSize = 5000 };
        Assert.Throws<ArgumentException>(() => ml.Transforms.Explain(options));
        options.Limits = ExplainLimits.Default with { MaxBatchSize = 8192 };
        Assert.IsNotNull(ml.Transforms.Explain(options));
    }

    [TestMethod]
    public void Integrated_gradients_steps_are_bounded_before_the_quadrature_and_the_bound_can_be_raised()
    {
        var model = Onnx.OnnxModel.Load(TestData.CnnPath);
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Attribution.IntegratedGradients(model, new Attribution.IntegratedGradientsOptions { Steps = 400_000_000 }));
        Assert.IsLessThan(2_000L, clock.ElapsedMilliseconds, "refused before the O(n²) set-up");
        StringAssert.Contains(error.Message, "MaxSteps (4096)");

        // At the default bound the set-up is quick; a raised bound (core option, or ExplainLimits for the transformer) is honoured.
        clock.Restart();
        using (new Attribution.IntegratedGradients(model, new Attribution.IntegratedGradientsOptions { Steps = Attribution.IntegratedGradientsOptions.DefaultMaxSteps }))
        {
            TestContext.WriteLine($"integrated gradients with {Attribution.IntegratedGradientsOptions.DefaultMaxSteps} Gauss–Legendre steps set up in {clock.ElapsedMilliseconds} ms");
        }

        Assert.IsLessThan(5_000L, clock.ElapsedMilliseconds, "the default bound keeps the set-up short");
        var ml = new MLContext(seed: 0);
        var data = SavedPipelines.Data(ml, 1);
        var options = new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethods.IntegratedGradients, Steps = 5_000 };
        StringAssert.Contains(Assert.Throws<ArgumentException>(() => ml.Transforms.Explain(options)).Message, "Steps is 5000");
        options.Limits = ExplainLimits.Default with { MaxSteps = 5_000 };
        using var fitted = ml.Transforms.CopyColumns("Pixels", "Input").Append(ml.Transforms.Explain(options)).Fit(data);
        Assert.AreEqual(ExplanationMethods.IntegratedGradients, fitted.LastTransformer.Method);
    }

    [TestMethod]
    public void Parts_null_is_a_clear_error_not_a_NullReferenceException()
    {
        var bytes = SavedPipelines.Rewrite(_saved, "manifest.json", b =>
        {
            var json = JsonNode.Parse(b)!.AsObject();
            json["Parts"] = null;
            return Encoding.UTF8.GetBytes(json.ToJsonString());
        });
        StringAssert.Contains(LoadFails(bytes).Message, "no 'Parts' list");

        var nullPart = SavedPipelines.Rewrite(_saved, "manifest.json", b =>
        {
            var json = JsonNode.Parse(b)!.AsObject();
            json["Parts"]!.AsArray()[0] = null;
            return Encoding.UTF8.GetBytes(json.ToJsonString());
        });
        StringAssert.Contains(LoadFails(nullPart).Message, "part 0 as null");

        var noEntry = SavedPipelines.Rewrite(_saved, "manifest.json", b =>
        {
            var json = JsonNode.Parse(b)!.AsObject();
            json["Parts"]!.AsArray()[1]!["Entry"] = null;
            return Encoding.UTF8.GetBytes(json.ToJsonString());
        });
        StringAssert.Contains(LoadFails(noEntry).Message, "no entry name");
    }

    [TestMethod]
    public void A_manifest_bomb_is_refused_before_it_is_inflated()
    {
        // 256 MiB of zeros deflate to ~250 KB: the zip declares the true size, so the cap refuses it before reading.
        var bomb = SavedPipelines.Rewrite(_saved, "manifest.json", _ => new byte[256 << 20]);
        Assert.IsLessThan(2_000_000, bomb.Length, "the bomb is small on disk");
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = LoadFails(bomb);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        StringAssert.Contains(error.Message, "manifest.json");
        StringAssert.Contains(error.Message, "declares 268435456 bytes");
        StringAssert.Contains(error.Message, "ExplainLimits.MaxSettingsBytes");
        Assert.IsLessThan(16L << 20, allocated, "refused without inflating the entry");
    }

    [TestMethod]
    public void A_manifest_that_misstates_its_size_stops_at_the_cap()
    {
        // The same bomb with its declared uncompressed size patched to 100 bytes in both zip headers.
        var bomb = SavedPipelines.Rewrite(_saved, "manifest.json", _ => new byte[64 << 20]);
        var lying = SavedPipelines.PatchDeclaredSize(bomb, "manifest.json", 100);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = LoadFails(lying);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        StringAssert.Contains(error.Message, "manifest.json");
        Assert.IsLessThan(32L << 20, allocated, $"reading stops near the 1 MiB cap ({error.Message})");
    }

    [TestMethod]
    public void An_oversized_model_entry_is_refused_by_its_own_cap()
    {
        var error = LoadFails(_saved, ExplainLimits.Default with { MaxPartBytes = 10_000 });
        StringAssert.Contains(error.Message, "ExplainLimits.MaxPartBytes");
    }
}

/// <summary>Saved pipelines for the tests: an ML.NET part (CopyColumns) followed by an explain transformer on the fixture CNN.</summary>
internal static class SavedPipelines
{
    public static IDataView Data(MLContext ml, int rows)
    {
        var (images, _) = TestData.FashionMnist(rows);
        return ml.Data.LoadFromEnumerable(images.Select(i => new PixelRow { Input = i.Select(p => ((p / 255f) - TestData.Mean) / TestData.Std).ToArray() }));
    }

    /// <summary>CopyColumns("Pixels" ← "Input") then the explain estimator; the saved zip's bytes.</summary>
    public static byte[] Save(ExplainEstimator.Options options)
    {
        var ml = new MLContext(seed: 0);
        var data = Data(ml, 2);
        using var model = ml.Transforms.CopyColumns("Pixels", "Input").Append(ml.Transforms.Explain(options)).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.SaveWithExplainers(model, data.Schema, stream);
        return stream.ToArray();
    }

    /// <summary>A copy of the zip with one entry's content replaced.</summary>
    public static byte[] Rewrite(byte[] zip, string entryName, Func<byte[], byte[]> change)
    {
        using var stream = new MemoryStream();
        stream.Write(zip);
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = archive.GetEntry(entryName) ?? throw new InvalidOperationException($"no entry {entryName}");
            byte[] content;
            using (var source = entry.Open())
            using (var buffer = new MemoryStream())
            {
                source.CopyTo(buffer);
                content = buffer.ToArray();
            }

            entry.Delete();
            var replaced = archive.CreateEntry(entryName, CompressionLevel.SmallestSize);
            using var target = replaced.Open();
            target.Write(change(content));
        }

        return stream.ToArray();
    }

    /// <summary>Patches the uncompressed-size field of an entry in its local header (offset 22) and central directory record (offset 24).</summary>
    public static byte[] PatchDeclaredSize(byte[] zip, string entryName, uint size)
    {
        var bytes = (byte[])zip.Clone();
        var name = Encoding.ASCII.GetBytes(entryName);
        int patched = 0;
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            uint signature = BitConverter.ToUInt32(bytes, i);
            if (signature == 0x04034b50 && bytes.AsSpan(i + 30).StartsWith(name) && BitConverter.ToUInt16(bytes, i + 26) == name.Length)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(i + 22), size);
                patched++;
            }
            else if (signature == 0x02014b50 && bytes.AsSpan(i + 46).StartsWith(name) && BitConverter.ToUInt16(bytes, i + 28) == name.Length)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(i + 24), size);
                patched++;
            }
        }

        return patched == 2 ? bytes : throw new InvalidOperationException($"patched {patched} headers of {entryName}, expected 2");
    }

    /// <summary>A normalised Fashion-MNIST image.</summary>
    public sealed class PixelRow
    {
        /// <summary>[1, 28, 28] pixels.</summary>
        [VectorType(1, 28, 28)]
        public float[] Input { get; set; } = [];
    }
}
