using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Explainability.ML.Tests;

[TestClass]
public sealed class BadInputTests
{
    private static string _folder = "";
    private static ImageRow[] _rows = [];

    [ClassInitialize]
    public static void Setup(TestContext context)
    {
        _folder = TestData.TempFolder("bad");
        _rows = TestData.WritePngs(_folder, 2);
    }

    private static IDataView Pixels(MLContext ml, ImagePixelExtractingEstimator.ColorBits colors = ImagePixelExtractingEstimator.ColorBits.Red, IEnumerable<ImageRow>? rows = null)
    {
        var data = ml.Data.LoadFromEnumerable(rows ?? _rows);
        return ml.Transforms.LoadImages("Image", _folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", colors, scaleImage: 1f / 255))
            .Fit(data).Transform(data);
    }

    [TestMethod]
    public void A_missing_input_column_is_named()
    {
        var ml = new MLContext(seed: 0);
        var estimator = ml.Transforms.ExplainGradCam("Saliency", "NoSuchColumn", TestData.CnnPath);
        var pixels = Pixels(ml);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(pixels));
        StringAssert.StartsWith(error.Message, "Could not find input column 'NoSuchColumn'");
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(SchemaShapeOf(ml, pixels)));
        StringAssert.StartsWith(shape.Message, "Could not find input column 'NoSuchColumn'");
    }

    [TestMethod]
    public void A_wrong_vector_size_says_what_is_expected()
    {
        var ml = new MLContext(seed: 0);
        var rgb = Pixels(ml, ImagePixelExtractingEstimator.ColorBits.Rgb); // 3×28×28 for a 1×28×28 model
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath).Fit(rgb));
        StringAssert.Contains(error.Message, "2352 values");
        StringAssert.Contains(error.Message, "[1, 28, 28]");
    }

    [TestMethod]
    public void A_wrong_type_says_what_is_expected()
    {
        var ml = new MLContext(seed: 0);
        var pixels = Pixels(ml);
        var estimator = ml.Transforms.ExplainGradCam("Saliency", "ImagePath", TestData.CnnPath);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(pixels));
        StringAssert.StartsWith(error.Message, "Schema mismatch for input column 'ImagePath': expected a vector of Single");
        StringAssert.Contains(error.Message, "got String. Use ExtractPixels");
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(SchemaShapeOf(ml, pixels)));
        StringAssert.Contains(shape.Message, "expected a known-size vector of Single");

        var badTarget = ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath, targetColumnName: "ImagePath");
        var target = Assert.Throws<ArgumentOutOfRangeException>(() => badTarget.Fit(pixels));
        StringAssert.StartsWith(target.Message, "Schema mismatch for target column 'ImagePath': expected an integer or key type, got");
        StringAssert.Contains(target.Message, "must be an integer or a key");

        var interleaved = ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Rgb, interleavePixelColors: true, scaleImage: 1f / 255);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var hwc = ml.Transforms.LoadImages("Image", _folder, "ImagePath").Append(ml.Transforms.ResizeImages("Image", 224, 224)).Append(interleaved).Fit(data).Transform(data);
        var model224 = Path.Combine(_folder, "model224.onnx");
        TestData.Cnn224().Save(model224);
        var layout = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ExplainGradCam("Saliency", "Pixels", model224).Fit(hwc));
        StringAssert.StartsWith(layout.Message, "Schema mismatch for input column 'Pixels': expected [3, 224, 224], got [224, 224, 3]");
        StringAssert.Contains(layout.Message, "interleavePixelColors: false");
    }

    [TestMethod]
    public void Fit_on_an_empty_view_then_Transform_on_real_data_explains_like_a_fit_on_the_data()
    {
        // ML.NET's "fit on an empty list to get the schema" pattern: Fit reads no row.
        var ml = new MLContext(seed: 0);
        IEstimator<ITransformer> Pipeline() => ml.Transforms.LoadImages("Image", _folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 28, 28))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Append(ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath));
        var empty = ml.Data.LoadFromEnumerable(Array.Empty<ImageRow>());
        var data = ml.Data.LoadFromEnumerable(_rows);
        var fromEmpty = Pipeline().Fit(empty);
        var fromData = Pipeline().Fit(data);
        var expected = PipelineTests.Read(fromData.Transform(data), "Saliency");
        var actual = PipelineTests.Read(fromEmpty.Transform(data), "Saliency");
        Assert.HasCount(_rows.Length, actual);
        Assert.IsTrue(actual.All(m => m.Length == 28 * 28 && m.Any(v => v > 0)), "real maps, not empty ones");
        for (int i = 0; i < expected.Length; i++)
        {
            CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}");
        }

        // An empty view through a fitted transformer stays empty.
        Assert.IsEmpty(PipelineTests.Read(fromData.Transform(empty), "Saliency"));
    }

    [TestMethod]
    public void A_non_finite_pixel_fails_at_the_cursor_naming_the_row()
    {
        var ml = new MLContext(seed: 0);
        var rows = Enumerable.Range(0, 3).Select(i => new PixelRow { Pixels = Enumerable.Repeat(0.5f, 784).ToArray() }).ToArray();
        rows[2].Pixels[17] = float.NaN;
        var data = ml.Data.LoadFromEnumerable(rows);
        using var transformer = ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath, batchSize: 1).Fit(data);
        var error = Assert.Throws<InvalidOperationException>(() => PipelineTests.Read(transformer.Transform(data), "Saliency"));
        StringAssert.Contains(error.Message, "Row 2 of 'Pixels' holds NaN at index 17");
    }

    /// <summary>A row of ready pixels.</summary>
    public sealed class PixelRow
    {
        /// <summary>[1, 28, 28] pixels.</summary>
        [VectorType(1, 28, 28)]
        public float[] Pixels { get; set; } = [];
    }

    [TestMethod]
    public void A_missing_or_corrupt_model_file_fails_at_the_catalog_call()
    {
        var ml = new MLContext(seed: 0);
        var missing = Path.Combine(_folder, "missing.onnx");
        var notFound = Assert.Throws<FileNotFoundException>(() => ml.Transforms.ExplainGradCam("Saliency", "Pixels", missing));
        StringAssert.Contains(notFound.Message, "missing.onnx");

        var corrupt = Path.Combine(_folder, "corrupt.onnx");
        File.WriteAllBytes(corrupt, [.. File.ReadAllBytes(TestData.CnnPath).Take(1000)]);
        Assert.Throws<InvalidOnnxModelException>(() => ml.Transforms.ExplainLrp("Saliency", "Pixels", corrupt));
        var garbage = Path.Combine(_folder, "garbage.onnx");
        File.WriteAllText(garbage, "this is not an ONNX model");
        Assert.Throws<InvalidOnnxModelException>(() => ml.Transforms.ExplainGuidedBackprop("Saliency", "Pixels", garbage));
        Assert.Throws<ArgumentException>(() => ml.Transforms.Explain(new ExplainEstimator.Options()));
    }

    [TestMethod]
    public void Bad_options_are_rejected()
    {
        var ml = new MLContext(seed: 0);
        Assert.Throws<ArgumentException>(() => ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { ModelFile = TestData.CnnPath, BatchSize = 0 }));
        Assert.Throws<ArgumentException>(() => ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { ModelFile = TestData.CnnPath, Std = [0f] }));
        Assert.Throws<ArgumentException>(() => ml.Transforms.Explain(new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethods.Lrp, RawMapColumnName = "Raw" }));
        var pixels = Pixels(ml);
        Assert.Throws<ArgumentException>(() => ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { ModelFile = TestData.CnnPath, Mean = [0f, 0f] }).Fit(pixels));
        Assert.Throws<InputMismatchException>(() => ml.Transforms.ExplainGradCam(new GradCamEstimator.Options { ModelFile = TestData.CnnPath, InputShape = [3, 28, 28] }).Fit(pixels));
    }

    /// <summary>The SchemaShape of the pixel view ("ImagePath" text, "Pixels" vector): SchemaShape.Create is internal, so CustomMapping's output shape is used.</summary>
    private static SchemaShape SchemaShapeOf(MLContext ml, IDataView data)
    {
        _ = data;
        return ml.Transforms.CustomMapping<NoColumns, ShapeColumns>((_, _) => { }, null).GetOutputSchema(new SchemaShape([]));
    }

    /// <summary>No columns.</summary>
    public sealed class NoColumns
    {
    }

    /// <summary>The columns of the pixel view.</summary>
    public sealed class ShapeColumns
    {
        /// <summary>The file.</summary>
        public string ImagePath { get; set; } = "";

        /// <summary>The pixels.</summary>
        [VectorType(1, 28, 28)]
        public float[] Pixels { get; set; } = [];
    }
}
