using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Explainability.ML.Tests;

[TestClass]
public sealed class PipelineTests
{
    private static string _folder = "";
    private static ImageRow[] _rows = [];
    private static string _model224 = "";

    [ClassInitialize]
    public static void Setup(TestContext context)
    {
        _folder = TestData.TempFolder("pipeline");
        _rows = TestData.WritePngs(_folder, 10);
        _model224 = Path.Combine(_folder, "model.onnx");
        TestData.Cnn224().Save(_model224);
    }

    [TestMethod]
    public void The_issue_snippet_explains_png_files_from_disk()
    {
        var ml = new MLContext(seed: 0);
        var imageFolder = _folder;
        var data = ml.Data.LoadFromEnumerable(_rows);
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 224, 224))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", scaleImage: 1f / 255))
            .Append(ml.Transforms.ExplainGradCam(outputColumnName: "Saliency", inputColumnName: "Pixels",
                                                 modelFile: Path.Combine(_folder, "model.onnx"), targetLayer: null /* automatic */));
        var fitted = pipeline.Fit(data);
        using var explain = fitted.LastTransformer;
        var scored = fitted.Transform(data);

        var type = (VectorDataViewType)scored.Schema["Saliency"].Type;
        CollectionAssert.AreEqual(new[] { 224, 224 }, type.Dimensions.ToArray());
        var maps = Read(scored, "Saliency");
        Assert.HasCount(_rows.Length, maps);

        // The same pixels through the plain API give the same maps.
        var pixels = Read(scored, "Pixels");
        using var cam = new CamExplainer(Onnx.OnnxModel.Load(_model224));
        var direct = cam.Explain(new FloatTensor(pixels.SelectMany(p => p).ToArray(), pixels.Length, 3, 224, 224));
        for (int r = 0; r < maps.Length; r++)
        {
            Assert.IsTrue(maps[r].All(v => v >= 0 && v <= 1), "maps are in [0, 1]");
            Assert.IsGreaterThan(0.5f, maps[r].Max(), "a map is not all zero");
            CollectionAssert.AreEqual(direct.Maps.Row(r).ToArray(), maps[r]);
        }
    }

    [TestMethod]
    public void Normalisation_target_class_score_and_raw_map_match_the_plain_api()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var pipeline = ml.Transforms.LoadImages("Image", _folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Append(ml.Transforms.ExplainGradCam(new GradCamEstimator.Options
            {
                InputColumnName = "Pixels",
                ModelFile = TestData.CnnPath,
                Mean = [TestData.Mean],
                Std = [TestData.Std],
                TargetColumnName = "Label",
                ClassColumnName = "Class",
                ScoreColumnName = "Score",
                RawMapColumnName = "Raw",
                BatchSize = 4,
            }));
        var scored = pipeline.Fit(data).Transform(data);
        var maps = Read(scored, "Saliency");
        var raw = Read(scored, "Raw");
        var classes = ReadScalar<int>(scored, "Class");
        var scores = ReadScalar<float>(scored, "Score");

        var (images, labels) = TestData.FashionMnist(_rows.Length);
        var batch = new FloatTensor(images.SelectMany(i => i.Select(p => ((p / 255f) - TestData.Mean) / TestData.Std)).ToArray(), images.Length, 1, 28, 28);
        var model = Onnx.OnnxModel.Load(TestData.CnnPath);
        using var cam = new CamExplainer(model);
        var targets = labels.Select(l => (long)l).ToArray();
        var direct = cam.Explain(batch, targets);
        using var lrp = new Lrp.LrpExplainer(model);
        var logits = lrp.Explain(batch, targets).Outputs;
        CollectionAssert.AreEqual(labels.Select(l => (int)l).ToArray(), classes);
        for (int r = 0; r < maps.Length; r++)
        {
            AssertClose(direct.Maps.Row(r).ToArray(), maps[r], 1e-3f);
            AssertClose(direct.RawMaps.Row(r).ToArray(), raw[r], 1e-3f);
            Assert.AreEqual(logits[r, labels[r]], scores[r], 1e-3f);
        }

        CollectionAssert.AreEqual(new[] { direct.Layer.Height, direct.Layer.Width }, ((VectorDataViewType)scored.Schema["Raw"].Type).Dimensions.ToArray());
    }

    [TestMethod]
    public void Batches_are_read_lazily_in_order_and_bounded_by_the_batch_size()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var prefix = ml.Transforms.LoadImages("Image", _folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Fit(data);
        var pixels = prefix.Transform(data);
        var counting = new CountingDataView(pixels);
        var explain = new GradCamEstimator(new GradCamEstimator.Options { ModelFile = TestData.CnnPath, Mean = [TestData.Mean], Std = [TestData.Std], BatchSize = 4 }).Fit(pixels);
        var scored = explain.Transform(counting);
        Assert.AreEqual(0, counting.RowsRead, "Transform reads nothing");

        var column = scored.Schema["Saliency"];
        using (var cursor = scored.GetRowCursor([column, scored.Schema["ImagePath"]]))
        {
            var path = cursor.GetGetter<ReadOnlyMemory<char>>(scored.Schema["ImagePath"]);
            var seen = new List<string>();
            ReadOnlyMemory<char> value = default;
            Assert.IsTrue(cursor.MoveNext());
            Assert.AreEqual(4, counting.RowsRead, "the first MoveNext reads one batch");
            path(ref value);
            seen.Add(value.ToString());
            for (int i = 1; i < 4; i++)
            {
                Assert.IsTrue(cursor.MoveNext());
                path(ref value);
                seen.Add(value.ToString());
            }

            Assert.AreEqual(4, counting.RowsRead, "rows of a batch are served without reading");
            while (cursor.MoveNext())
            {
                path(ref value);
                seen.Add(value.ToString());
                Assert.IsTrue(counting.RowsRead <= cursor.Position + 4, "never more than a batch ahead");
            }

            CollectionAssert.AreEqual(_rows.Select(r => r.ImagePath).ToArray(), seen, "row order is kept");
        }

        // Batch size does not change the maps, and a cursor that reads no explanation column does not explain.
        var one = new GradCamEstimator(new GradCamEstimator.Options { ModelFile = TestData.CnnPath, Mean = [TestData.Mean], Std = [TestData.Std], BatchSize = _rows.Length }).Fit(pixels);
        var a = Read(scored, "Saliency");
        var b = Read(one.Transform(pixels), "Saliency");
        for (int r = 0; r < a.Length; r++)
        {
            AssertClose(a[r], b[r], 1e-4f);
        }

        Assert.HasCount(_rows.Length, ReadScalar<int>(scored, "Label"));
    }

    [TestMethod]
    public void Prediction_engine_explains_one_image_at_a_time()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var pipeline = ml.Transforms.LoadImages("Image", _folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Append(ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { ModelFile = TestData.CnnPath, Mean = [TestData.Mean], Std = [TestData.Std], ClassColumnName = "Class" }));
        var model = pipeline.Fit(data);
        var batched = Read(model.Transform(data), "Saliency");
        var engine = ml.Model.CreatePredictionEngine<ImageRow, SaliencyRow>(model);
        for (int r = 0; r < 3; r++)
        {
            var prediction = engine.Predict(_rows[r]);
            Assert.HasCount(28 * 28, prediction.Saliency);
            AssertClose(batched[r], prediction.Saliency, 1e-4f);
        }
    }

    [TestMethod]
    public void Lrp_guided_backprop_and_every_method_of_the_general_estimator_run()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(_rows.Take(4));
        var pixels = ml.Transforms.LoadImages("Image", _folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Fit(data).Transform(data);

        var lrp = ml.Transforms.ExplainLrp("Relevance", "Pixels", TestData.CnnPath).Fit(pixels);
        var relevance = Read(lrp.Transform(pixels), "Relevance");
        Assert.IsTrue(relevance.All(m => m.Length == 28 * 28 && m.Any(v => v != 0)));

        var guided = ml.Transforms.ExplainGuidedBackprop("Guided", "Pixels", TestData.CnnPath).Fit(pixels);
        Assert.IsTrue(Read(guided.Transform(pixels), "Guided").All(m => m.Length == 28 * 28 && m.All(v => v >= 0)));

        // Every registry method runs in RegistryEstimatorTests; here a few with the input normalisation.
        foreach (var method in new[] { ExplanationMethods.Saliency, ExplanationMethods.IntegratedGradients, ExplanationMethods.ScoreCam, ExplanationMethods.Lrp })
        {
            var options = new ExplainEstimator.Options
            {
                Method = method,
                ModelFile = TestData.CnnPath,
                Mean = [TestData.Mean],
                Std = [TestData.Std],
                ClassColumnName = "Class",
                Samples = 4,
                Steps = 4,
            };
            using var transformer = ml.Transforms.Explain(options).Fit(pixels);
            var maps = Read(transformer.Transform(pixels), "Saliency");
            Assert.HasCount(4, maps, method.ToString());
            Assert.IsTrue(maps.All(m => m.Length == 28 * 28 && m.All(float.IsFinite)), method.ToString());
        }

        // The general estimator's Grad-CAM is ExplainGradCam's.
        var general = Read(ml.Transforms.Explain(new ExplainEstimator.Options { ModelFile = TestData.CnnPath }).Fit(pixels).Transform(pixels), "Saliency");
        var gradCam = Read(ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath).Fit(pixels).Transform(pixels), "Saliency");
        for (int r = 0; r < general.Length; r++)
        {
            CollectionAssert.AreEqual(gradCam[r], general[r]);
        }
    }

    [TestMethod]
    public void All_rows_go_to_a_data_frame()
    {
        var ml = new MLContext(seed: 0);
        var folder = TestData.TempFolder("frame");
        var rows = TestData.WritePngs(folder, 130);
        var data = ml.Data.LoadFromEnumerable(rows);
        var scored = ml.Transforms.LoadImages("Image", folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Append(ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { ModelFile = TestData.CnnPath, Mean = [TestData.Mean], Std = [TestData.Std], ClassColumnName = "Class", ScoreColumnName = "Score" }))
            .Fit(data).Transform(data);
        var frame = scored.ToExplanationDataFrame();
        Assert.AreEqual(130, frame.Rows.Count);
        Assert.IsNull(frame.Columns.FirstOrDefault(c => c.Name == "Image"), "image columns are left out");
        var saliency = (Microsoft.Data.Analysis.VBufferDataFrameColumn<float>)frame["Saliency"];
        Assert.AreEqual(28 * 28, saliency[129].Length);
        var selected = scored.ToExplanationDataFrame("ImagePath", "Class");
        Assert.AreEqual(130, selected.Rows.Count);
        Assert.AreEqual(2, selected.Columns.Count);
    }

    [TestMethod]
    public void Gpu_options_are_passed_to_onnx_runtime()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(_rows.Take(2));
        var pixels = ml.Transforms.LoadImages("Image", _folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Fit(data).Transform(data);

        // The CPU runtime package has no CUDA provider: with fall-back the CPU runs and the transformer says so; without
        // it (ML.NET's default, as in ApplyOnnxModel) Fit fails with a clear error.
        using var fallback = ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath, gpuDeviceId: 0, fallbackToCpu: true).Fit(pixels);
        Assert.HasCount(2, Read(fallback.Transform(pixels), "Saliency"));
        Assert.AreEqual("CPUExecutionProvider", fallback.ExecutionProvider);
        Assert.IsNull(fallback.GpuDeviceId);
        StringAssert.Contains(fallback.FallbackReason, "CUDA device 0");
        var error = Assert.Throws<ExecutionDeviceUnavailableException>(() => ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath, gpuDeviceId: 0).Fit(pixels));
        StringAssert.Contains(error.Message, "CUDA");
        StringAssert.Contains(error.Message, "FallbackToCpu is false");

        using var cpu = ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath).Fit(pixels);
        Assert.AreEqual("CPUExecutionProvider", cpu.ExecutionProvider);
        Assert.IsNull(cpu.FallbackReason);
    }

    [TestMethod]
    public void A_model_stream_explains_like_the_model_file()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(_rows.Take(3));
        var pixels = ml.Transforms.LoadImages("Image", _folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Fit(data).Transform(data);
        using var fromFile = ml.Transforms.ExplainLrp("Saliency", "Pixels", TestData.CnnPath).Fit(pixels);
        using var stream = File.OpenRead(TestData.CnnPath);
        using var fromStream = ml.Transforms.ExplainLrp("Saliency", "Pixels", stream).Fit(pixels);
        var expected = Read(fromFile.Transform(pixels), "Saliency");
        var actual = Read(fromStream.Transform(pixels), "Saliency");
        Assert.HasCount(3, actual);
        for (int r = 0; r < expected.Length; r++)
        {
            CollectionAssert.AreEqual(expected[r], actual[r], $"row {r}");
        }
    }

    internal static float[][] Read(IDataView data, string name)
    {
        var column = data.Schema[name];
        var result = new List<float[]>();
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            result.Add(value.DenseValues().ToArray());
        }

        return [.. result];
    }

    internal static T[] ReadScalar<T>(IDataView data, string name) => data.GetColumn<T>(name).ToArray();

    internal static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.HasCount(expected.Length, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], tolerance, $"element {i}");
        }
    }

    /// <summary>PredictionEngine's output.</summary>
    public sealed class SaliencyRow
    {
        /// <summary>The saliency map.</summary>
        public float[] Saliency { get; set; } = [];

        /// <summary>The explained class.</summary>
        public int Class { get; set; }
    }

    /// <summary>Counts the rows its cursors read from the source.</summary>
    private sealed class CountingDataView(IDataView source) : IDataView
    {
        public int RowsRead;

        public bool CanShuffle => false;

        public DataViewSchema Schema => source.Schema;

        public long? GetRowCount() => source.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this, source.GetRowCursor(columnsNeeded, rand));

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(CountingDataView owner, DataViewRowCursor inner) : DataViewRowCursor
        {
            public override DataViewSchema Schema => inner.Schema;

            public override long Position => inner.Position;

            public override long Batch => inner.Batch;

            public override bool MoveNext()
            {
                bool moved = inner.MoveNext();
                if (moved)
                {
                    owner.RowsRead++;
                }

                return moved;
            }

            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

            public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    inner.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}
