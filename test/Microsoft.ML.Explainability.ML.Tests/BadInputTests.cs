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
        StringAssert.Contains(error.Message, "'NoSuchColumn' was not found");
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(SchemaShapeOf(ml, pixels)));
        StringAssert.Contains(shape.Message, "'NoSuchColumn' was not found");
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
        StringAssert.Contains(error.Message, "'ImagePath' has type String");
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(SchemaShapeOf(ml, pixels)));
        StringAssert.Contains(shape.Message, "expected a known-size vector of Single");

        var badTarget = ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath, targetColumnName: "ImagePath");
        var target = Assert.Throws<ArgumentOutOfRangeException>(() => badTarget.Fit(pixels));
        StringAssert.Contains(target.Message, "must be an integer or a key");

        var interleaved = ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Rgb, interleavePixelColors: true, scaleImage: 1f / 255);
        var data = ml.Data.LoadFromEnumerable(_rows);
        var hwc = ml.Transforms.LoadImages("Image", _folder, "ImagePath").Append(ml.Transforms.ResizeImages("Image", 224, 224)).Append(interleaved).Fit(data).Transform(data);
        var model224 = Path.Combine(_folder, "model224.onnx");
        TestData.Cnn224().Save(model224);
        var layout = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ExplainGradCam("Saliency", "Pixels", model224).Fit(hwc));
        StringAssert.Contains(layout.Message, "interleavePixelColors: false");
    }

    [TestMethod]
    public void An_empty_data_view_fails_at_fit()
    {
        var ml = new MLContext(seed: 0);
        var empty = Pixels(ml, rows: []);
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath).Fit(empty));
        StringAssert.Contains(error.Message, "has no rows");

        // A fitted transformer applied to an empty view gives an empty view, lazily.
        using var transformer = ml.Transforms.ExplainGradCam("Saliency", "Pixels", TestData.CnnPath).Fit(Pixels(ml));
        Assert.IsEmpty(PipelineTests.Read(transformer.Transform(empty), "Saliency"));
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
        Assert.Throws<ArgumentException>(() => ml.Transforms.Explain(new ExplainEstimator.Options { ModelFile = TestData.CnnPath, Method = ExplanationMethod.Lrp, RawMapColumnName = "Raw" }));
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
