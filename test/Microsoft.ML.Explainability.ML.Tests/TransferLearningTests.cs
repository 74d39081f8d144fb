using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.ML.Composition;

namespace Microsoft.ML.Explainability.ML.Tests;

[TestClass]
public sealed class TransferLearningTests
{
    /// <summary>Trouser, Sneaker, Bag.</summary>
    private static readonly int[] Classes = [1, 7, 8];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void A_resnet18_transfer_learning_pipeline_is_explained_for_the_class_mlnet_predicts()
    {
        var clock = Stopwatch.StartNew();
        const int trainPerClass = 40, testPerClass = 14;
        var (_, labels) = TestData.FashionMnist(1000);
        var chosen = Classes.ToDictionary(c => c, c => Enumerable.Range(0, 1000).Where(i => labels[i] == c).Take(trainPerClass + testPerClass).ToArray());
        var folder = TestData.TempFolder("transfer");
        var train = TestData.WritePngs(folder, Classes.SelectMany(c => chosen[c].Take(trainPerClass)).ToArray());
        var testFolder = TestData.TempFolder("transfer-test");
        var test = TestData.WritePngs(testFolder, Classes.SelectMany(c => chosen[c].Skip(trainPerClass)).ToArray());

        var ml = new MLContext(seed: 1);
        IEstimator<ITransformer> Pipeline(string imageFolder) => ml.Transforms.LoadImages("Image", imageFolder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", 224, 224))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"))
            .Append(ml.Transforms.DropColumns("Image"))
            .Append(ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label", keyOrdinality: Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue))
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("LabelKey", "Features"));

        var model = Pipeline(folder).Fit(ml.Data.LoadFromEnumerable(train));
        TestContext.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F1} s");

        // Featurizer graphs + the trained head as one differentiable ONNX model; Grad-CAM at its last conv layer.
        var classifier = OnnxComposition.ResNet18Classifier(model);
        var testData = ml.Data.LoadFromEnumerable(test);
        // The test images live in another folder: the fitted loader's folder is the training one, so copy them there.
        foreach (var row in test)
        {
            File.Copy(Path.Combine(testFolder, row.ImagePath), Path.Combine(folder, "t" + row.ImagePath));
            row.ImagePath = "t" + row.ImagePath;
        }

        testData = ml.Data.LoadFromEnumerable(test);
        var predictions = model.Transform(testData);
        using var explainer = ml.Transforms.ExplainGradCam(new GradCamEstimator.Options
        {
            Model = classifier,
            InputColumnName = "Pixels",
            OutputColumnName = "Saliency",
            ClassColumnName = "ExplainedClass",
            BatchSize = 16,
        }).Fit(predictions);
        TestContext.WriteLine($"explainer ready at {clock.Elapsed.TotalSeconds:F1} s, layer {explainer.TargetLayer}");
        var explained = explainer.Transform(predictions);

        var frame = explained.ToExplanationDataFrame("ImagePath", "LabelKey", "PredictedLabel", "ExplainedClass", "Saliency");
        Assert.AreEqual(test.Length, frame.Rows.Count);
        int correct = 0;
        for (long r = 0; r < frame.Rows.Count; r++)
        {
            uint predicted = (uint)frame["PredictedLabel"][r]!;
            uint truth = (uint)frame["LabelKey"][r]!;
            int explainedClass = (int)frame["ExplainedClass"][r]!;
            Assert.AreEqual((int)predicted - 1, explainedClass, $"row {r}: the explanation's class is ML.NET's predicted class");
            correct += predicted == truth ? 1 : 0;
            var map = (VBuffer<float>)frame["Saliency"][r]!;
            Assert.AreEqual(224 * 224, map.Length);
            Assert.IsTrue(map.DenseValues().All(v => v >= 0 && v <= 1));
        }

        double accuracy = correct / (double)test.Length;
        TestContext.WriteLine($"accuracy {accuracy:P1} on {test.Length} held-back images; total {clock.Elapsed.TotalSeconds:F1} s");
        Assert.IsGreaterThan(0.6, accuracy, "well above chance (1/3)");
        Assert.AreEqual(new[] { 224, 224 }.Length, ((VectorDataViewType)explained.Schema["Saliency"].Type).Dimensions.Length);
    }
}
