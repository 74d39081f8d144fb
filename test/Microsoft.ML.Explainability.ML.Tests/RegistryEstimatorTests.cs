using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability.ML.Tests;

/// <summary>
/// The ML.NET layer enumerates the core registry: every <see cref="ExplanationMethods.All"/> entry runs through a real
/// pipeline, and saved settings store registry names (version 2) while version 1 files still load.
/// </summary>
[TestClass]
public sealed class RegistryEstimatorTests
{
    private static string DeitPath => Path.Combine(AppContext.BaseDirectory, "assets", "models", "fmnist_deit.onnx");

    public static IEnumerable<object[]> Methods => ExplanationMethods.All.Select(m => new object[] { m.Name });

    [TestMethod]
    [DynamicData(nameof(Methods))]
    public void Every_registry_method_is_accepted_by_the_Explain_estimator_and_runs_in_a_pipeline(string name)
    {
        var method = ExplanationMethods.Find(name);
        var ml = new MLContext(seed: 0);
        var data = SavedPipelines.Data(ml, 2);
        var model = method.Family == MethodFamily.VisionTransformer ? DeitPath : TestData.CnnPath;
        var options = new ExplainEstimator.Options
        {
            ModelFile = model,
            Method = method,
            InputColumnName = "Input",
            ClassColumnName = "Class",
            ScoreColumnName = "Score",
            RawMapColumnName = method.Family is MethodFamily.Cam or MethodFamily.VisionTransformer || method == ExplanationMethods.FullGrad ? "Raw" : null,
            Steps = 4,
            Samples = 3,
            Masks = 32,
            Window = 7,
            Stride = 7,
            Low = [-1],
            High = [3],
            BatchSize = 2,
        };
        using var transformer = ml.Transforms.Explain(options).Fit(data);
        Assert.AreSame(method, transformer.Method);
        CollectionAssert.AreEqual(new[] { 28, 28 }, transformer.SaliencyDimensions.ToArray(), "a map, or an attribution reduced over channels");
        var scored = transformer.Transform(data);
        var maps = PipelineTests.Read(scored, "Saliency");
        Assert.HasCount(2, maps);
        Assert.IsTrue(maps.All(m => m.Length == 784 && m.All(float.IsFinite) && m.Any(v => v != 0)), $"{name}: finite, non-zero maps");
        var classes = scored.GetColumn<int>("Class").ToArray();
        var scores = scored.GetColumn<float>("Score").ToArray();
        Assert.IsTrue(classes.All(c => c is >= 0 and < 10), name);
        Assert.IsTrue(scores.All(float.IsFinite), name);
        if (options.RawMapColumnName is not null)
        {
            var raw = scored.GetColumn<VBuffer<float>>("Raw").ToArray();
            var dims = ((VectorDataViewType)scored.Schema["Raw"].Type).Dimensions;
            Assert.AreEqual(2, dims.Length, name);
            Assert.IsTrue(raw.All(r => r.Length == dims[0] * dims[1]), name);
        }
    }

    [TestMethod]
    public void The_default_channel_reduction_is_the_registry_s_conservation_fact()
    {
        var ml = new MLContext(seed: 0);
        var data = SavedPipelines.Data(ml, 1);
        float[] Map(ExplanationMethod method, ChannelReduction? reduction)
        {
            using var t = ml.Transforms.Explain(new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = method, InputColumnName = "Input", Reduction = reduction, Steps = 4 }).Fit(data);
            return PipelineTests.Read(t.Transform(data), "Saliency")[0];
        }

        Assert.IsTrue(ExplanationMethods.Lrp.ConservesScore && ExplanationMethods.IntegratedGradients.ConservesScore && ExplanationMethods.InputXGradient.ConservesScore);
        Assert.IsFalse(ExplanationMethods.Saliency.ConservesScore || ExplanationMethods.GuidedBackprop.ConservesScore || ExplanationMethods.SmoothGrad.ConservesScore);

        // One input channel: Σ keeps signs, max |·| does not, so the two defaults are told apart by a negative value.
        var lrp = Map(ExplanationMethods.Lrp, null);
        CollectionAssert.AreEqual(Map(ExplanationMethods.Lrp, ChannelReduction.Sum), lrp);
        var gradient = Map(ExplanationMethods.SignedGradient, null);
        CollectionAssert.AreEqual(Map(ExplanationMethods.SignedGradient, ChannelReduction.MaxAbsolute), gradient);
        Assert.IsTrue(gradient.All(v => v >= 0), "max |·| for a non-conserving method");
        Assert.IsTrue(Map(ExplanationMethods.SignedGradient, ChannelReduction.Sum).Any(v => v < 0), "the signed gradient has negative values to lose");
    }

    [TestMethod]
    public void Attention_methods_on_a_CNN_fail_clearly_at_Fit()
    {
        var ml = new MLContext(seed: 0);
        var data = SavedPipelines.Data(ml, 1);
        var error = Assert.Throws<AttentionDiscoveryException>(() => ml.Transforms.Explain(new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethods.AttentionRollout, InputColumnName = "Input" }).Fit(data));
        StringAssert.Contains(error.Message.ToLowerInvariant(), "attention");
    }

    [TestMethod]
    public void GradCamEstimator_refuses_a_method_outside_the_CAM_family()
    {
        var ml = new MLContext(seed: 0);
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethods.Saliency }));
        StringAssert.Contains(error.Message, "'saliency'");
        StringAssert.Contains(error.Message, "grad-cam");
    }

    [TestMethod]
    public void Several_target_layers_and_the_smoothing_options_are_saved_and_explain_as_the_library()
    {
        var cnn = Onnx.OnnxModel.Load(TestData.CnnPath);
        var automatic = TargetLayers.Automatic(cnn);
        var finer = TargetLayers.List(cnn).Last(l => l.Height > automatic.Height);
        var saved = SavedPipelines.Save(new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethods.RefineCam, TargetLayers = [finer.Name, automatic.Name], EigenSmooth = true, AugSmooth = true, BatchSize = 4 });
        var json = JsonNode.Parse(Entry(saved, "part1/settings.json"))!.AsObject();
        CollectionAssert.AreEqual(new[] { finer.Name, automatic.Name }, json["TargetLayers"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.IsTrue((bool)json["EigenSmooth"]! && (bool)json["AugSmooth"]!);

        var ml = new MLContext(seed: 0);
        var data = SavedPipelines.Data(ml, 2);
        var maps = PipelineTests.Read(ml.Model.LoadWithExplainers(new MemoryStream(saved), out _).Transform(data), "Saliency");
        var rows = data.GetColumn<float[]>("Input").ToArray();
        using var cam = new Cam.CamExplainer(cnn, new Cam.CamOptions { Method = ExplanationMethods.RefineCam, TargetLayers = [finer.Name, automatic.Name], EigenSmooth = true, AugSmooth = true });
        var expected = cam.Explain(new Runtime.FloatTensor([.. rows.SelectMany(r => r)], 2, 1, 28, 28)).Maps;
        for (int r = 0; r < 2; r++)
        {
            CollectionAssert.AreEqual(expected.Row(r).ToArray(), maps[r], $"row {r}");
        }
    }

    [TestMethod]
    public void Settings_store_registry_names_and_version_1_files_still_load()
    {
        var saved = SavedPipelines.Save(new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethods.Lrp, Composite = LrpComposites.EpsilonAlpha2Beta1, BatchSize = 4 });
        var json = JsonNode.Parse(Entry(saved, "part1/settings.json"))!.AsObject();
        Assert.AreEqual(2, (int)json["Version"]!);
        Assert.AreEqual("lrp", (string)json["Method"]!);
        Assert.AreEqual("epsilon-alpha2-beta1", (string)json["Composite"]!);

        var ml = new MLContext(seed: 0);
        var data = SavedPipelines.Data(ml, 2);
        var expected = PipelineTests.Read(ml.Model.LoadWithExplainers(new MemoryStream(saved), out _).Transform(data), "Saliency");

        // The version 1 form of the same settings: enum member names, as the former ML-only enumerations wrote them.
        var v1 = SavedPipelines.Rewrite(saved, "part1/settings.json", bytes =>
        {
            var node = JsonNode.Parse(bytes)!.AsObject();
            node["Version"] = 1;
            node["Method"] = "Lrp";
            node["Composite"] = "EpsilonAlpha2Beta1";
            return Encoding.UTF8.GetBytes(node.ToJsonString());
        });
        var loaded = ml.Model.LoadWithExplainers(new MemoryStream(v1), out _);
        var explain = (ExplainTransformerBase)loaded.Last();
        Assert.AreSame(ExplanationMethods.Lrp, explain.Method);
        var maps = PipelineTests.Read(loaded.Transform(data), "Saliency");
        for (int r = 0; r < maps.Length; r++)
        {
            CollectionAssert.AreEqual(expected[r], maps[r], "a version 1 file explains as its version 2 form");
        }

        foreach (var (field, value) in new[] { ("Method", "IntegratedGradients"), ("Method", "GradCam"), ("Method", "Saliency") })
        {
            var file = SavedPipelines.Rewrite(saved, "part1/settings.json", bytes =>
            {
                var node = JsonNode.Parse(bytes)!.AsObject();
                node["Version"] = 1;
                node[field] = value;
                node["Composite"] = "EpsilonPlus";
                return Encoding.UTF8.GetBytes(node.ToJsonString());
            });
            var chain = ml.Model.LoadWithExplainers(new MemoryStream(file), out _);
            Assert.AreSame(typeof(ExplanationMethods).GetField(value)!.GetValue(null), ((ExplainTransformerBase)chain.Last()).Method, value);
        }

        var unknown = SavedPipelines.Rewrite(saved, "part1/settings.json", bytes =>
        {
            var node = JsonNode.Parse(bytes)!.AsObject();
            node["Version"] = 1;
            node["Method"] = "GradKam";
            return Encoding.UTF8.GetBytes(node.ToJsonString());
        });
        var error = Assert.Throws<InvalidDataException>(() => ml.Model.LoadWithExplainers(new MemoryStream(unknown), out _));
        StringAssert.Contains(error.Message, "GradKam");
    }

    private static byte[] Entry(byte[] zip, string name)
    {
        using var archive = new System.IO.Compression.ZipArchive(new MemoryStream(zip));
        using var stream = archive.GetEntry(name)!.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
