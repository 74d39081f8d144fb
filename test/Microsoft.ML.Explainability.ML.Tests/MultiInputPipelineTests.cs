using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Shared;

namespace Microsoft.ML.Explainability.ML.Tests;

/// <summary>
/// The Explain estimator on the two-input test model: the image column explained, the feature-vector column mapped to
/// the model's second input (float32 or int64) and held fixed; schema errors name the column.
/// </summary>
[TestClass]
public sealed class MultiInputPipelineTests
{
    private const int Rows = 5;

    private sealed class Row
    {
        [VectorType(TwoInputModel.Channels * TwoInputModel.Size * TwoInputModel.Size)]
        public float[] Pixels { get; set; } = [];

        [VectorType(TwoInputModel.Features)]
        public float[] Meta { get; set; } = [];

        [VectorType(TwoInputModel.Features)]
        public long[] MetaIds { get; set; } = [];
    }

    private static (FloatTensor X, FloatTensor Meta, List<Row> Rows) Data()
    {
        var random = new Random(9);
        var x = new FloatTensor(Enumerable.Range(0, Rows * 72).Select(_ => (float)random.NextDouble()).ToArray(), Rows, TwoInputModel.Channels, TwoInputModel.Size, TwoInputModel.Size);
        var meta = new FloatTensor(Enumerable.Range(0, Rows * TwoInputModel.Features).Select(_ => (float)random.Next(-2, 3)).ToArray(), Rows, TwoInputModel.Features);
        var rows = Enumerable.Range(0, Rows).Select(r => new Row { Pixels = x.Row(r).ToArray(), Meta = meta.Row(r).ToArray(), MetaIds = meta.Row(r).ToArray().Select(v => (long)v).ToArray() }).ToList();
        return (x, meta, rows);
    }

    private static string ModelFile(bool int64Meta)
    {
        var path = Path.Combine(TestData.TempFolder("multi-input-" + int64Meta), "two_input.onnx");
        File.WriteAllBytes(path, TwoInputModel.Bytes(int64Meta));
        return path;
    }

    [TestMethod]
    public void The_image_is_explained_with_the_feature_vector_fed_from_its_column()
    {
        var ml = new MLContext(seed: 0);
        var (x, meta, rows) = Data();
        var data = ml.Data.LoadFromEnumerable(rows);
        var inputs = new Dictionary<string, InputTensor> { [TwoInputModel.Meta] = InputTensor.Float(meta) };
        foreach (var int64Meta in new[] { false, true })
        {
            foreach (var (method, convention) in new[] { (ExplanationMethods.GradCam, (GuidedGradCamConvention?)null), (ExplanationMethods.GuidedGradCam, GuidedGradCamConvention.Captum), (ExplanationMethods.SmoothGrad, null) })
            {
                var options = new ExplainEstimator.Options
                {
                    ModelFile = ModelFile(int64Meta),
                    Method = method,
                    InputColumnName = "Pixels",
                    ClassColumnName = "Class",
                    GuidedGradCamConvention = convention,
                    Samples = 4,
                    BatchSize = 8, // one cursor batch: SmoothGrad's noise is seeded per call
                };
                options.ExtraInputColumns[TwoInputModel.Meta] = int64Meta ? "MetaIds" : "Meta";
                using var transformer = ml.Transforms.Explain(options).Fit(data);
                var saliency = PipelineTests.Read(transformer.Transform(data), "Saliency");

                using var explainer = method.CreateExplainer(TwoInputModel.Build(), new MethodSettings { Samples = 4, NoiseLevel = 0.15, Seed = 0, GuidedGradCamConvention = convention, Execution = new ExecutionOptions { BatchSize = 8 } });
                var expected = explainer.Explain(new ExplanationRequest(x) { Inputs = inputs }).Values;
                for (int r = 0; r < Rows; r++)
                {
                    var want = ExpectedRow(expected, r);
                    Assert.AreEqual(want.Length, saliency[r].Length, method.Name);
                    for (int i = 0; i < want.Length; i++)
                    {
                        Assert.AreEqual(want[i], saliency[r][i], 1e-5, $"{method.Name} (int64 meta: {int64Meta}) row {r} element {i}");
                    }
                }
            }
        }
    }

    /// <summary>Row r of a map [N, H, W], or of attributions [N, C, H, W] reduced by max |·| over channels (the estimator's default for these methods).</summary>
    private static float[] ExpectedRow(FloatTensor values, int r)
    {
        if (values.Rank == 3)
        {
            return values.Row(r).ToArray();
        }

        int c = (int)values.Shape[1], plane = (int)(values.Shape[2] * values.Shape[3]);
        var row = values.Row(r).ToArray();
        return Enumerable.Range(0, plane).Select(p => Enumerable.Range(0, c).Max(k => Math.Abs(row[(k * plane) + p]))).ToArray();
    }

    [TestMethod]
    public void A_missing_or_wrong_feature_column_is_refused_naming_it()
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(Data().Rows);
        ExplainEstimator.Options Options(string? column)
        {
            var options = new ExplainEstimator.Options { ModelFile = ModelFile(false), InputColumnName = "Pixels" };
            if (column is not null)
            {
                options.ExtraInputColumns[TwoInputModel.Meta] = column;
            }

            return options;
        }

        var unmapped = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.Explain(Options(null)).Fit(data));
        StringAssert.Contains(unmapped.Message, "model input 'meta' (Float [N, 4]) has no column");

        var absent = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Explain(Options("Features")).Fit(data));
        StringAssert.Contains(absent.Message, "Could not find input column 'Features' (model input 'meta')");

        var wrongType = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Explain(Options("MetaIds")).Fit(data));
        StringAssert.Contains(wrongType.Message, "Schema mismatch for input column 'MetaIds': expected a vector of Single holding model input 'meta' [4]");

        var wrongSize = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Explain(Options("Pixels")).Fit(data));
        StringAssert.Contains(wrongSize.Message, "Schema mismatch for input column 'Pixels': expected a vector of Single holding model input 'meta' [4] (4 values), got 72 values");

        var notAnInput = Options("Meta");
        notAnInput.ExtraInputColumns["ids"] = "MetaIds";
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.Explain(notAnInput).Fit(data)).Message, "'ids', which is not an input of the model");
    }
}
