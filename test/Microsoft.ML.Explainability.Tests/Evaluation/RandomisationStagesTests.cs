using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary><see cref="RandomisationOptions.MaxStages"/>: fewer reported stages, the cascade still complete.</summary>
[TestClass]
public sealed class RandomisationStagesTests
{
    [TestMethod]
    public void At_most_max_stages_are_reported_evenly_spaced_and_ending_with_every_layer_randomised()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(3);
        using var scorer = new ModelScorer(model, "logits");
        var targets = scorer.Predict(x);
        int calls = 0;
        FloatTensor Gradients(OnnxModel m, FloatTensor inputs)
        {
            calls++;
            using var session = new GradientSession(GradientModel.Build(m, new GradientRequest { Output = "logits", WithRespectTo = ["input"] }));
            return session.Run(inputs, targets).Gradients["input"];
        }

        var layers = ModelRandomisation.Layers(model).Reverse().ToArray();
        Assert.HasCount(6, layers);
        var log = new ProgressLog();
        var stages = ModelRandomisation.Run(model, x, Gradients, new RandomisationOptions { Seed = 2, MaxStages = 3 }, log);

        CollectionAssert.AreEqual(new[] { layers[1], layers[3], layers[5] }, stages.Select(s => s.Layer).ToArray());
        CollectionAssert.AreEqual(new[] { 2, 4, 6 }, stages.Select(s => s.RandomisedLayers.Count).ToArray(), "the cascade randomises every layer above a reported stage");
        CollectionAssert.AreEqual(layers, stages[^1].RandomisedLayers.ToArray());
        Assert.AreEqual(4, calls, "the original model and three stages");
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, log.Reports.Select(r => r.Completed).ToArray());
        Assert.IsTrue(log.Reports.All(r => r.Total == 3));

        var all = ModelRandomisation.Run(model, x, Gradients, new RandomisationOptions { Seed = 2, MaxStages = 10 });
        Assert.HasCount(6, all, "more stages than layers: every layer");
        CollectionAssert.AreEqual(stages[^1].Ssim.ToArray(), all[^1].Ssim.ToArray(), "the same seed randomises the same way");
    }
}
