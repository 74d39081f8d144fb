using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>The harness on a real fixture model (Fashion-MNIST CNN) with gradients from the library's engine.</summary>
[TestClass]
public sealed class FixtureModelTests
{
    [TestMethod]
    public void Input_times_gradient_beats_a_random_attribution_on_the_fixture_cnn()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(8);
        using var scorer = new ModelScorer(model, "logits");
        var targets = scorer.Predict(x);
        using var session = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["input"] }));
        var gradient = session.Run(x, targets).Gradients["input"];
        var inputTimesGradient = new FloatTensor(x.Data.Zip(gradient.Data, (a, g) => a * g).ToArray(), x.Shape);
        var random = LinearFixture.RandomAttribution(x.Shape, 5);

        // Normalised Fashion-MNIST: the dataset mean is 0, so the zero baseline is the mean image.
        var options = new DeletionInsertionOptions { Steps = 20, Score = ScoreKind.Probability };
        var deletion = DeletionInsertion.Deletion(scorer, x, inputTimesGradient, targets, options);
        var deletionRandom = DeletionInsertion.Deletion(scorer, x, random, targets, options);
        var insertion = DeletionInsertion.Insertion(scorer, x, inputTimesGradient, targets, options);
        var insertionRandom = DeletionInsertion.Insertion(scorer, x, random, targets, options);
        Assert.IsLessThan(deletionRandom.Auc.Average(), deletion.Auc.Average());
        Assert.IsGreaterThan(insertionRandom.Auc.Average(), insertion.Auc.Average());
        Assert.AreEqual(8L * 4 * 21 + 8, scorer.ForwardPasses, "one prediction pass, 21 rows per sample and curve");

        var masks = ObjectMasks.BrighterThanBackground(x);
        var mass = Localisation.RelevanceMassAccuracy(inputTimesGradient, masks);
        Assert.IsTrue(mass.All(v => v is >= 0 and <= 1));
    }

    [TestMethod]
    public void Cascading_randomisation_of_the_fixture_cnn_drives_gradient_similarity_to_zero()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(8);
        using var scorer = new ModelScorer(model, "logits");
        var targets = scorer.Predict(x);
        FloatTensor Gradients(OnnxModel m, FloatTensor inputs)
        {
            using var session = new GradientSession(GradientModel.Build(m, new GradientRequest { Output = "logits", Seed = SeedKind.OneHotTarget, WithRespectTo = ["input"] }));
            return session.Run(inputs, targets).Gradients["input"];
        }

        var stages = ModelRandomisation.Run(model, x, Gradients, new RandomisationOptions { Seed = 2 });
        CollectionAssert.AreEqual(ModelRandomisation.Layers(model).Reverse().ToArray(), stages.Select(s => s.Layer).ToArray(), "top layer first");
        var all = stages[^1];
        Assert.IsLessThan(0.1, Math.Abs(all.Spearman.Average()));
        Assert.IsLessThan(0.1, Math.Abs(all.SpearmanAbsolute.Average()));
        Assert.IsLessThan(0.1, Math.Abs(all.Ssim.Average()));
    }
}
