using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Lrp;

/// <summary>BatchNormalization folding leaves outputs unchanged (within 1e-5·max(1, max|y|)) and never touches the given model.</summary>
[TestClass]
public sealed class LrpCanonizerTests
{
    [TestMethod]
    public void Folding_batch_normalization_keeps_the_outputs_of_a_test_graph()
    {
        // x → BN (no layer before it: stays) → Conv(+bias) → BN → Relu → Conv(no bias) → BN → Flatten →
        // Gemm(transB, beta 0.5) → BN: three folds.
        var t = new TestGraph(seed: 3);
        string Bn(string input, int channels) => t.Node("BatchNormalization",
            [input, t.Random($"g{input}", [channels], 0.5, 1.5), t.Random($"b{input}", [channels]), t.Random($"m{input}", [channels]), t.Random($"v{input}", [channels], 0.2, 2)],
            AttributeValue.Float("epsilon", 1e-3f));
        var x = t.Input("x", -1, 2, 6, 6);
        var c1 = t.Node("Conv", [Bn(x, 2), t.Random("w1", [3, 2, 3, 3]), t.Random("c1b", [3])], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var a1 = t.Node("Relu", [Bn(c1, 3)]);
        var c2 = t.Node("Conv", [a1, t.Random("w2", [4, 3, 3, 3])], AttributeValue.Ints("strides", [2, 2]));
        var flat = t.Node("Flatten", [Bn(c2, 4)]);
        var gemm = t.Node("Gemm", [flat, t.Random("w3", [5, 16]), t.Random("c3", [5])], AttributeValue.Int("transB", 1), AttributeValue.Float("beta", 0.5f));
        var y = Bn(gemm, 5);
        var model = t.Output(y).Build();
        var bytes = model.ToBytes();

        var (folded, count) = LrpCanonizers.FoldBatchNormalization(model);
        Assert.AreEqual(3, count);
        Assert.AreEqual(1, CountBatchNorms(folded), "the BatchNormalization on the input stays");
        CollectionAssert.AreEqual(bytes, model.ToBytes(), "the model given is not modified");
        AssertSameOutputs(model, folded, y, GradientCheck.RandomTensor(new Random(1), [4, 2, 6, 6]));
    }

    [TestMethod]
    public void Folding_batch_normalization_keeps_the_outputs_of_the_resnet18_featurizer()
    {
        var prepared = GradientModel.Prepare(OnnxModel.Load(TestAssets.ResNet18Path));
        int before = CountBatchNorms(prepared);
        var (folded, count) = LrpCanonizers.FoldBatchNormalization(prepared);
        Assert.IsGreaterThan(0, before);
        Assert.AreEqual(before, count, "every BatchNormalization of the featurizer follows a Conv");
        Assert.AreEqual(0, CountBatchNorms(folded));
        Assert.AreEqual(before, CountBatchNorms(prepared), "the prepared model is not modified");
        var x = GradientCheck.RandomTensor(new Random(2), [2, 3, 224, 224], -2, 2);
        AssertSameOutputs(prepared, folded, prepared.OutputNames[0], x);
    }

    private static int CountBatchNorms(OnnxModel model)
    {
        var index = model.Index();
        return Enumerable.Range(0, model.NodeCount).Count(n => index.OpType(n) == "BatchNormalization");
    }

    private static void AssertSameOutputs(OnnxModel original, OnnxModel folded, string output, FloatTensor x)
    {
        using var a = new Forward(original);
        using var b = new Forward(folded);
        var input = original.InputNames[0];
        var ya = a.Run(output, new Dictionary<string, FloatTensor> { [input] = x });
        var yb = b.Run(output, new Dictionary<string, FloatTensor> { [input] = x });
        CollectionAssert.AreEqual(ya.Shape, yb.Shape);
        double tolerance = 1e-5 * Math.Max(1, ya.Data.Max(v => Math.Abs(v)));
        double worst = ya.Data.Select((v, i) => Math.Abs(v - yb.Data[i])).Max();
        Assert.IsLessThanOrEqualTo(tolerance, worst, $"max |Δy| = {worst:G3}");
    }
}
