using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>Inputs the harness cannot evaluate give clear errors, not NaN results.</summary>
[TestClass]
public sealed class BadInputTests
{
    private static readonly LinearFixture Linear = new();

    [TestMethod]
    public void Explanation_of_another_shape_is_rejected_naming_both_shapes()
    {
        var x = LinearFixture.Images(2);
        using var scorer = new ModelScorer(Linear.Model);
        var map = FloatTensor.Zeros(2, 28, 28);
        var e = Assert.ThrowsExactly<EvaluationInputException>(() => DeletionInsertion.Deletion(scorer, x, map));
        StringAssert.Contains(e.Message, "[2, 28, 28]");
        StringAssert.Contains(e.Message, "[2, 1, 28, 28]");
        Assert.ThrowsExactly<EvaluationInputException>(() => Infidelity.Run(scorer, x, FloatTensor.Zeros(3, 1, 28, 28)));
        Assert.ThrowsExactly<EvaluationInputException>(() => MaxSensitivity.Run(x, batch => FloatTensor.Zeros(1, 784)));
    }

    [TestMethod]
    public void Mask_of_another_shape_is_rejected()
    {
        var explanations = FloatTensor.Zeros(2, 1, 28, 28);
        var e = Assert.ThrowsExactly<EvaluationInputException>(() => Localisation.PointingGame(explanations, FloatTensor.Zeros(2, 27, 28)));
        StringAssert.Contains(e.Message, "[2, 27, 28]");
        Assert.ThrowsExactly<EvaluationInputException>(() => Localisation.RelevanceMassAccuracy(explanations, FloatTensor.Zeros(1, 28, 28)));
        var empty = Assert.ThrowsExactly<EvaluationInputException>(() => Localisation.RelevanceRankAccuracy(explanations, FloatTensor.Zeros(2, 28, 28)));
        StringAssert.Contains(empty.Message, "empty");
    }

    [TestMethod]
    public void NaN_in_attributions_is_rejected_naming_the_element()
    {
        var x = LinearFixture.Images(2);
        var explanations = FloatTensor.Zeros(2, 1, 28, 28);
        explanations.Data[784 + 30] = float.NaN;
        using var scorer = new ModelScorer(Linear.Model);
        var e = Assert.ThrowsExactly<EvaluationInputException>(() => PixelFlipping.Run(scorer, x, explanations));
        StringAssert.Contains(e.Message, "row 1, element 30");
        Assert.ThrowsExactly<EvaluationInputException>(() => Complexity.Sparseness(explanations));
        Assert.ThrowsExactly<EvaluationInputException>(() => Localisation.PointingGame(explanations, FloatTensor.Zeros(2, 28, 28)));
        explanations.Data[784 + 30] = float.PositiveInfinity;
        Assert.ThrowsExactly<EvaluationInputException>(() => Completeness.Run(scorer, x, explanations));
    }

    [TestMethod]
    public void Empty_input_set_is_rejected()
    {
        var none = new FloatTensor([], 0, 1, 28, 28);
        using var scorer = new ModelScorer(Linear.Model);
        var e = Assert.ThrowsExactly<EvaluationInputException>(() => DeletionInsertion.Insertion(scorer, none, none));
        StringAssert.Contains(e.Message, "empty");
        Assert.ThrowsExactly<EvaluationInputException>(() => Road.Run(scorer, none, none));
        Assert.ThrowsExactly<EvaluationInputException>(() => Complexity.EntropyComplexity(none));
        Assert.ThrowsExactly<EvaluationInputException>(() => new EvaluationReport().Add("m", "metric", []));
        Assert.ThrowsExactly<EvaluationInputException>(() => new EvaluationReport().ToDataFrame());
        Assert.ThrowsExactly<EvaluationInputException>(() => SummaryStatistics.Of([double.NaN]));
    }

    [TestMethod]
    public void Targets_and_inputs_that_do_not_fit_the_model_are_rejected()
    {
        var x = LinearFixture.Images(2);
        using var scorer = new ModelScorer(Linear.Model);
        var explanations = FloatTensor.Zeros(2, 1, 28, 28);
        Assert.ThrowsExactly<EvaluationInputException>(() => FaithfulnessCorrelation.Run(scorer, x, explanations, [1, 2, 3]));
        Assert.ThrowsExactly<EvaluationInputException>(() => DeletionInsertion.Deletion(scorer, x, explanations, [1, 10]));
        var wrong = FloatTensor.Zeros(2, 1, 14, 14);
        var e = Assert.ThrowsExactly<EvaluationInputException>(() => DeletionInsertion.Deletion(scorer, wrong, wrong));
        StringAssert.Contains(e.Message, "[N, 1, 28, 28]");
    }
}
