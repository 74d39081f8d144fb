using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Explainability.ML.Tests;

/// <summary>A scored IDataView of two methods on the fixture images through the evaluation harness.</summary>
[TestClass]
public sealed class ScoredEvaluationTests
{
    private const int Rows = 5;
    private static string _folder = "";
    private static ImageRow[] _rows = [];

    [ClassInitialize]
    public static void Setup(TestContext context)
    {
        _folder = TestData.TempFolder("scored-eval");
        _rows = TestData.WritePngs(_folder, Rows);
    }

    private static ExplanationEvaluationOptions Options(string? mask = null)
    {
        var options = new ExplanationEvaluationOptions
        {
            ModelFile = TestData.CnnPath,
            Mean = [TestData.Mean],
            Std = [TestData.Std],
            MaskColumnName = mask,
        };
        options.MetricOptions["deletion"] = new DeletionInsertionOptions { Steps = 8 };
        options.MetricOptions["insertion"] = new DeletionInsertionOptions { Steps = 8 };
        options.MetricOptions["faithfulness-correlation"] = new FaithfulnessCorrelationOptions { Runs = 8, Seed = 3 };
        options.Explanations.Add(new ExplanationColumn("grad-cam", "GradCam"));
        options.Explanations.Add(new ExplanationColumn("saliency", "Saliency"));
        return options;
    }

    private static IDataView Scored(MLContext ml)
    {
        var data = ml.Data.LoadFromEnumerable(_rows);
        return ml.Transforms.LoadImages("Image", _folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Append(ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { OutputColumnName = "GradCam", InputColumnName = "Pixels", ModelFile = TestData.CnnPath, Mean = [TestData.Mean], Std = [TestData.Std] }))
            .Append(ml.Transforms.Explain(new ExplainEstimator.Options { Method = ExplanationMethods.Saliency, OutputColumnName = "Saliency", InputColumnName = "Pixels", ModelFile = TestData.CnnPath, Mean = [TestData.Mean], Std = [TestData.Std] }))
            .Fit(data).Transform(data);
    }

    [TestMethod]
    public void Two_saliency_columns_give_a_per_sample_and_a_summary_frame()
    {
        var ml = new MLContext(seed: 0);
        var scored = Scored(ml);
        var result = scored.Evaluate(Options());

        var frame = result.PerSample;
        Assert.AreEqual(2L * Rows, frame.Rows.Count, "one row per input row × method");
        CollectionAssert.AreEqual(
            new[] { "Row", "Method", "Target", "deletion", "insertion", "faithfulness-correlation", "sparseness" },
            frame.Columns.Select(c => c.Name).ToArray());

        // Independent of the code under test: the pixels and maps read straight from the view, normalised by hand,
        // scored by the harness one sample at a time.
        var pixels = PipelineTests.Read(scored, "Pixels");
        var gradCam = PipelineTests.Read(scored, "GradCam");
        var saliency = PipelineTests.Read(scored, "Saliency");
        using var scorer = new ModelScorer(Onnx.OnnxModel.Load(TestData.CnnPath));
        for (int r = 0; r < Rows; r++)
        {
            var input = new FloatTensor(pixels[r].Select(p => (p - TestData.Mean) / TestData.Std).ToArray(), 1, 1, 28, 28);
            var logits = scorer.Outputs(input).Row(0).ToArray();
            long predicted = Enumerable.Range(0, 10).MaxBy(k => logits[k]);
            foreach (var (method, maps, offset) in new[] { ("grad-cam", gradCam, 0), ("saliency", saliency, 1) })
            {
                long row = (2 * r) + offset;
                Assert.AreEqual((long)r, frame["Row"][row]);
                Assert.AreEqual(method, frame["Method"][row]);
                Assert.AreEqual(predicted, frame["Target"][row], $"row {r}: the predicted class");
                var explanation = new FloatTensor(maps[r], 1, 1, 28, 28);
                var deletion = DeletionInsertion.Deletion(scorer, input, explanation, [predicted], new DeletionInsertionOptions { Steps = 8 }).Auc[0];
                Assert.AreEqual(deletion, (double)frame["deletion"][row]!, 1e-9, $"{method}, row {r}");
                Assert.AreEqual(Complexity.Gini(maps[r]), (double)frame["sparseness"][row]!, 1e-12, $"{method}, row {r}");
            }
        }

        // The summary is the per-sample column's mean, per method.
        var summary = result.Summary;
        foreach (var method in new[] { "grad-cam", "saliency" })
        {
            var values = Enumerable.Range(0, (int)frame.Rows.Count).Where(i => (string)frame["Method"][i] == method).Select(i => (double)frame["insertion"][i]!).ToArray();
            var row = Enumerable.Range(0, (int)summary.Rows.Count).Single(i => (string)summary["Method"][i] == method && (string)summary["Metric"][i] == "insertion");
            Assert.AreEqual(values.Average(), (double)summary["Mean"][row]!, 1e-12);
            Assert.AreEqual((long)Rows, Convert.ToInt64(summary["N"][row], CultureInfo.InvariantCulture));
        }

        Assert.IsTrue(result.Report.Curves.Count == 4, "deletion and insertion curves per method, for the HTML report");
    }

    [TestMethod]
    public void Csv_files_are_invariant_utf8_and_read_back()
    {
        var ml = new MLContext(seed: 0);
        var result = Scored(ml).Evaluate(Options());
        var folder = TestData.TempFolder("scored-csv");
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        (string PerSample, string Summary) files;
        try
        {
            files = result.SaveCsv(folder);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        foreach (var (path, frame) in new[] { (files.PerSample, result.PerSample), (files.Summary, result.Summary) })
        {
            var bytes = File.ReadAllBytes(path);
            Assert.IsFalse(bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF, "no BOM");
            var lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.HasCount((int)frame.Rows.Count + 1, lines);
            Assert.AreEqual(string.Join(",", frame.Columns.Select(c => c.Name)), lines[0].TrimEnd('\r'));
            var back = DataFrame.LoadCsv(path, cultureInfo: CultureInfo.InvariantCulture);
            Assert.AreEqual(frame.Rows.Count, back.Rows.Count);
            foreach (var column in frame.Columns.Where(c => c.DataType == typeof(double)))
            {
                for (long r = 0; r < frame.Rows.Count; r++)
                {
                    var expected = (double)column[r]!;
                    var actual = Convert.ToDouble(back[column.Name][r], CultureInfo.InvariantCulture);
                    Assert.AreEqual(expected, actual, Math.Abs(expected) * 1e-6, $"{Path.GetFileName(path)} {column.Name} row {r}");
                }
            }
        }
    }

    [TestMethod]
    public void A_mask_column_adds_localisation()
    {
        var ml = new MLContext(seed: 0);
        var (images, _) = TestData.FashionMnist(Rows);
        // The object: the pixels brighter than mid-grey (Fashion-MNIST items on a black background).
        var rows = images.Select(p => new MaskedRow
        {
            Pixels = p.Select(v => v / 255f).ToArray(),
            Mask = p.Select(v => v > 127 ? 1f : 0f).ToArray(),
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var scored = ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { OutputColumnName = "GradCam", ModelFile = TestData.CnnPath, Mean = [TestData.Mean], Std = [TestData.Std] })
            .Append(ml.Transforms.Explain(new ExplainEstimator.Options { Method = ExplanationMethods.Saliency, OutputColumnName = "Saliency", ModelFile = TestData.CnnPath, Mean = [TestData.Mean], Std = [TestData.Std] }))
            .Fit(data).Transform(data);
        var result = scored.Evaluate(Options(mask: "Mask"));
        var frame = result.PerSample;
        var gradCam = PipelineTests.Read(scored, "GradCam");
        for (int r = 0; r < Rows; r++)
        {
            var masks = new FloatTensor(rows[r].Mask, 1, 28, 28);
            var map = new FloatTensor(gradCam[r], 1, 1, 28, 28);
            Assert.AreEqual(Localisation.PointingGame(map, masks)[0], (double)frame["pointing-game"][2 * r]!, $"row {r}");
            Assert.AreEqual(Localisation.RelevanceMassAccuracy(map, masks)[0], (double)frame["relevance-mass-accuracy"][2 * r]!, 1e-12, $"row {r}");
        }

        // The maps of a trained CNN point at the object more often than not.
        Assert.IsGreaterThan(0.5, Enumerable.Range(0, Rows).Average(r => (double)frame["pointing-game"][2 * r]!));
    }

    /// <summary>Ready pixels and an object mask.</summary>
    public sealed class MaskedRow
    {
        /// <summary>[1, 28, 28] pixels in [0, 1].</summary>
        [VectorType(1, 28, 28)]
        public float[] Pixels { get; set; } = [];

        /// <summary>[28, 28], 1 inside the object.</summary>
        [VectorType(28, 28)]
        public float[] Mask { get; set; } = [];
    }
}
