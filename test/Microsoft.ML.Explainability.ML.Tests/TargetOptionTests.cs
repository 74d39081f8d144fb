using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Targets;

namespace Microsoft.ML.Explainability.ML.Tests;

/// <summary>The Explain estimator's target options reach the core's targets, are saved with the pipeline and are checked like every setting.</summary>
[TestClass]
public sealed class TargetOptionTests
{
    [TestMethod]
    public void A_softmax_target_explains_the_probability_and_survives_save_and_load()
    {
        var ml = new MLContext(seed: 0);
        var data = SavedPipelines.Data(ml, 2);
        var options = new ExplainEstimator.Options
        {
            ModelFile = TestData.CnnPath,
            Method = ExplanationMethods.SignedGradient,
            InputColumnName = "Input",
            ScoreColumnName = "Score",
            ClassColumnName = "Class",
            TargetKind = ExplanationTargets.Softmax,
        };
        using var transformer = ml.Transforms.Explain(options).Fit(data);
        var scored = transformer.Transform(data);
        var maps = PipelineTests.Read(scored, "Saliency");
        var scores = scored.GetColumn<float>("Score").ToArray();

        var batch = new FloatTensor(data.GetColumn<float[]>("Input").SelectMany(r => r).ToArray(), 2, 1, 28, 28);
        using var explainer = ExplanationMethods.SignedGradient.CreateExplainer(OnnxModel.Load(TestData.CnnPath), new MethodSettings { Target = ExplanationTargets.Softmax.Create() });
        var expected = explainer.Explain(new ExplanationRequest(batch));
        for (int r = 0; r < 2; r++)
        {
            Assert.AreEqual(expected.TargetScores![r], scores[r], 1e-6, "the score column holds the probability");
            Assert.IsTrue(scores[r] is > 0 and <= 1, "a probability");
            var reduced = expected.Values.Row(r).ToArray().Select(MathF.Abs).ToArray();
            Assert.IsLessThanOrEqualTo(1e-6f, reduced.Zip(maps[r], (a, b) => MathF.Abs(a - b)).Max(), $"row {r}: the saliency is max |∂p/∂x| over the one channel");
        }

        var folder = TestData.TempFolder("target-save");
        var saved = Path.Combine(folder, "pipeline.zip");
        ml.Model.SaveWithExplainers(transformer, data.Schema, saved);
        var loaded = ml.Model.LoadWithExplainers(saved, out _);
        CollectionAssert.AreEqual(maps.SelectMany(m => m).ToArray(), PipelineTests.Read(loaded.Transform(data), "Saliency").SelectMany(m => m).ToArray(), "the loaded pipeline explains the same target");
    }

    [TestMethod]
    public void Target_options_the_kind_refuses_are_an_argument_exception_naming_the_kind()
    {
        var ml = new MLContext(seed: 0);
        var noMask = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.Explain(new ExplainEstimator.Options { ModelFile = TestData.CnnPath, InputColumnName = "Input", TargetKind = ExplanationTargets.Segmentation }));
        StringAssert.Contains(noMask.Message, "segmentation");
        StringAssert.Contains(noMask.Message, "mask");

        var data = SavedPipelines.Data(ml, 1);
        var onClassifier = new ExplainEstimator.Options { ModelFile = TestData.CnnPath, InputColumnName = "Input", TargetKind = ExplanationTargets.Segmentation, Target = new TargetSettings { Mask = FloatTensor.Zeros(28, 28) } };
        var error = Assert.ThrowsExactly<ExplanationTargetException>(() => ml.Transforms.Explain(onClassifier).Fit(data));
        StringAssert.Contains(error.Message, "[N, classes, H, W]");
    }
}
