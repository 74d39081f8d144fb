using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>Sanity checks of Adebayo et al. 2018: cascading model-parameter randomisation and the random-logit test.</summary>
[TestClass]
public sealed class RandomisationTests
{
    /// <summary>Flatten → Gemm(784→32) → Relu → Gemm(32→10), seeded.</summary>
    private static OnnxModel Mlp()
    {
        var t = new TestGraph(seed: 8);
        var x = t.Input("input", -1, 1, 28, 28);
        var flat = t.Node("Flatten", [x], AttributeValue.Int("axis", 1));
        var hidden = t.Node("Relu", [t.Node("Gemm", [flat, t.Random("W1", [32, 784], -0.1, 0.1), t.Random("b1", [32], 0, 0.1)], AttributeValue.Int("transB", 1))]);
        var logits = t.Node("Gemm", [hidden, t.Random("W2", [10, 32]), t.Random("b2", [10])], AttributeValue.Int("transB", 1));
        return t.Output(logits).Build();
    }

    /// <summary>Input gradients of the targets' logits, computed by the library's engine on whatever model it is given.</summary>
    private static FloatTensor Gradients(OnnxModel model, FloatTensor inputs, long[] targets)
    {
        var gradientModel = GradientModel.Build(model, new GradientRequest { Output = model.OutputNames[0], Seed = SeedKind.OneHotTarget, WithRespectTo = [model.InputNames[0]] });
        using var session = new GradientSession(gradientModel);
        return session.Run(inputs, targets).Gradients[model.InputNames[0]];
    }

    /// <summary>A model-independent "explanation": the Sobel gradient magnitude of the image.</summary>
    private static FloatTensor EdgeDetector(FloatTensor inputs)
    {
        var result = FloatTensor.Zeros(inputs.Shape);
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            var x = inputs.Row(n).ToArray();
            var y = result.Row(n);
            float At(int i, int j) => x[(Math.Clamp(i, 0, 27) * 28) + Math.Clamp(j, 0, 27)];
            for (int i = 0; i < 28; i++)
            {
                for (int j = 0; j < 28; j++)
                {
                    float gx = At(i - 1, j + 1) + (2 * At(i, j + 1)) + At(i + 1, j + 1) - At(i - 1, j - 1) - (2 * At(i, j - 1)) - At(i + 1, j - 1);
                    float gy = At(i + 1, j - 1) + (2 * At(i + 1, j)) + At(i + 1, j + 1) - At(i - 1, j - 1) - (2 * At(i - 1, j)) - At(i - 1, j + 1);
                    y[(i * 28) + j] = MathF.Sqrt((gx * gx) + (gy * gy));
                }
            }
        }

        return result;
    }

    [TestMethod]
    public void Randomisation_reinitialises_the_float_initializers_of_each_layer_from_the_top_with_a_seed()
    {
        var model = Mlp();
        var layers = ModelRandomisation.Layers(model);
        CollectionAssert.AreEqual(new[] { "Gemm_1", "Gemm_3" }, layers.ToArray());
        var top = ModelRandomisation.Randomise(model, ["Gemm_3"], seed: 4);
        var again = ModelRandomisation.Randomise(model, ["Gemm_3"], seed: 4);
        var other = ModelRandomisation.Randomise(model, ["Gemm_3"], seed: 5);
        double[] Values(OnnxModel m, string name) => TensorProtos.ToDoubles(m.Proto.Graph.Initializer.Single(i => i.Name == name));
        CollectionAssert.AreEqual(Values(model, "W1"), Values(top, "W1"), "lower layer untouched");
        CollectionAssert.AreNotEqual(Values(model, "W2"), Values(top, "W2"));
        CollectionAssert.AreNotEqual(Values(model, "b2"), Values(top, "b2"));
        CollectionAssert.AreEqual(Values(top, "W2"), Values(again, "W2"), "same seed, same weights");
        CollectionAssert.AreNotEqual(Values(top, "W2"), Values(other, "W2"));
        CollectionAssert.AreEqual(Values(model, "W2"), TensorProtos.ToDoubles(Mlp().Proto.Graph.Initializer.Single(i => i.Name == "W2")), "the original model is not modified");

        // The new weights keep the layer's scale: W2 ~ U(−1, 1) has σ = 1/√3.
        var w = Values(top, "W2");
        double std = Math.Sqrt(w.Average(v => v * v));
        Assert.AreEqual(1 / Math.Sqrt(3), std, 0.1);
    }

    [TestMethod]
    public void Gradients_of_the_randomised_model_lose_their_similarity_and_an_edge_detector_keeps_it()
    {
        var model = Mlp();
        var x = LinearFixture.Images(6);
        using var scorer = new ModelScorer(model);
        var targets = scorer.Predict(x);
        var log = new ProgressLog();
        var gradientStages = ModelRandomisation.Run(model, x, (m, inputs) => Gradients(m, inputs, targets), new RandomisationOptions { Seed = 1 }, log);
        var edgeStages = ModelRandomisation.Run(model, x, (_, inputs) => EdgeDetector(inputs), new RandomisationOptions { Seed = 1 });

        Assert.HasCount(2, gradientStages);
        Assert.AreEqual("Gemm_3", gradientStages[0].Layer);
        CollectionAssert.AreEqual(new[] { "Gemm_3", "Gemm_1" }, gradientStages[1].RandomisedLayers.ToArray());
        CollectionAssert.AreEqual(new[] { 1, 2 }, log.Reports.Select(r => r.Completed).ToArray());

        var last = gradientStages[^1];
        Assert.IsLessThan(0.2, Math.Abs(last.Spearman.Average()), $"Spearman {string.Join(", ", last.Spearman)}");
        Assert.IsLessThan(0.2, Math.Abs(last.SpearmanAbsolute.Average()), $"Spearman |·| {string.Join(", ", last.SpearmanAbsolute)}");
        Assert.IsLessThan(0.2, Math.Abs(last.Ssim.Average()), $"SSIM {string.Join(", ", last.Ssim)}");
        foreach (var stage in edgeStages)
        {
            Assert.IsTrue(stage.Spearman.All(v => v > 0.999) && stage.Ssim.All(v => v > 0.999), stage.Layer);
        }
    }

    [TestMethod]
    public void Random_logit_test_separates_class_sensitive_gradients_from_a_class_blind_edge_detector()
    {
        var linear = new LinearFixture();
        var x = LinearFixture.Images(5);
        var targets = linear.Predicted(x);
        var (gradient, others) = ModelRandomisation.RandomLogit(x, targets, LinearFixture.Classes, (inputs, t) => Gradients(linear.Model, inputs, t), seed: 3);
        var (edges, _) = ModelRandomisation.RandomLogit(x, targets, LinearFixture.Classes, (inputs, _) => EdgeDetector(inputs), seed: 3);
        Assert.IsTrue(others.Zip(targets).All(p => p.First != p.Second && p.First is >= 0 and < 10));

        // Gradients of a linear model are the weight rows: independent random rows have ρ ≈ 0 (|ρ| < 4/√784 ≈ 0.14 with high probability).
        Assert.IsTrue(gradient.Spearman.All(v => Math.Abs(v) < 0.15), string.Join(", ", gradient.Spearman));
        Assert.IsTrue(edges.Spearman.All(v => v > 1 - 1e-12) && edges.Ssim.All(v => Math.Abs(v - 1) < 1e-12));
    }
}
