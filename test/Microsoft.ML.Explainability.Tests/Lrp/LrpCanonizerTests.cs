using Microsoft.ML.Explainability.Lrp.Canonizers;
using Microsoft.ML.Explainability.Lrp.Composites;
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

    [TestMethod]
    public void Batch_normalization_before_unpadded_convolutions_is_merged_into_each_of_them()
    {
        // x → BN → {Conv 1×1 (4→3, bias), grouped Conv 3×3 (4→4, 2 groups, no bias, no padding)} → Add of flattened sums.
        var t = new TestGraph(seed: 4);
        var x = t.Input("x", -1, 4, 5, 5);
        var bn = t.Node("BatchNormalization", [x, t.Random("g", [4], 0.5, 1.5), t.Random("be", [4]), t.Random("m", [4]), t.Random("v", [4], 0.2, 2)], AttributeValue.Float("epsilon", 1e-3f));
        var a = t.Node("Conv", [bn, t.Random("w1", [3, 4, 1, 1]), t.Random("b1", [3])]);
        var b = t.Node("Conv", [bn, t.Random("w2", [4, 2, 3, 3])], AttributeValue.Int("group", 2));
        var y = t.Node("Concat", [t.Node("Flatten", [a]), t.Node("Flatten", [b])], AttributeValue.Int("axis", 1));
        var model = t.Output(y).Build();
        var (folded, count) = LrpCanonizers.MergeBatchNormalizationIntoNextConv.Apply(model);
        Assert.AreEqual(1, count);
        Assert.AreEqual(0, CountBatchNorms(folded));
        AssertSameOutputs(model, folded, y, GradientCheck.RandomTensor(new Random(5), [3, 4, 5, 5], -2, 2));
    }

    [TestMethod]
    public void Batch_normalization_before_a_padded_convolution_or_an_activation_stays()
    {
        // A zero-padded border sees 0, not the BatchNormalization's shift: folding would change the border outputs.
        var t = new TestGraph(seed: 6);
        var x = t.Input("x", -1, 2, 5, 5);
        string Bn(string input, string name) => t.Node("BatchNormalization", [input, t.Random(name + "g", [2], 0.5, 1.5), t.Random(name + "b", [2]), t.Random(name + "m", [2]), t.Random(name + "v", [2], 0.2, 2)]);
        var padded = t.Node("Conv", [Bn(x, "p"), t.Random("w", [2, 2, 3, 3])], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var y = t.Node("Conv", [t.Node("Relu", [Bn(padded, "q")]), t.Random("w2", [2, 2, 1, 1])]);
        var model = t.Output(y).Build();
        var (folded, count) = LrpCanonizers.MergeBatchNormalizationIntoNextConv.Apply(model);
        Assert.AreEqual(0, count);
        Assert.AreEqual(2, CountBatchNorms(folded));
    }

    [TestMethod]
    public void Affine_maps_after_conv_and_gemm_are_merged()
    {
        // Conv → Mul [C,1,1] → Add [1,C,1,1] → Relu → Flatten → Gemm → Sub [M] → Div (scalar): four folds.
        var t = new TestGraph(seed: 8);
        var x = t.Input("x", -1, 2, 4, 4);
        var conv = t.Node("Conv", [x, t.Random("w", [3, 2, 3, 3]), t.Random("b", [3])], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var scaled = t.Node("Mul", [conv, t.Random("scale", [3, 1, 1], 0.5, 2)]);
        var shifted = t.Node("Add", [t.Random("shift", [1, 3, 1, 1]), scaled]);
        var flat = t.Node("Flatten", [t.Node("Relu", [shifted])]);
        var gemm = t.Node("Gemm", [flat, t.Random("w2", [48, 5]), t.Random("c", [1, 5])], AttributeValue.Float("beta", 0.5f));
        var y = t.Node("Div", [t.Node("Sub", [gemm, t.Random("offset", [5])]), t.Constant("d", [], [4f])]);
        var model = t.Output(y).Build();
        var (folded, count) = LrpCanonizers.MergeAffine.Apply(model);
        Assert.AreEqual(4, count);
        CollectionAssert.AreEqual(new[] { "Conv", "Relu", "Flatten", "Gemm" }, folded.Graph.Node.Select(n => n.OpType).ToArray());
        AssertSameOutputs(model, folded, y, GradientCheck.RandomTensor(new Random(9), [3, 2, 4, 4], -2, 2));
    }

    [TestMethod]
    public void Affine_maps_that_are_not_per_channel_stay()
    {
        // A Mul by a [4] constant broadcasts along the last spatial axis of a Conv output, not per channel.
        var t = new TestGraph(seed: 8);
        var x = t.Input("x", -1, 2, 4, 4);
        var conv = t.Node("Conv", [x, t.Random("w", [4, 2, 1, 1])]);
        var y = t.Node("Mul", [conv, t.Random("s", [4])]);
        var (_, count) = LrpCanonizers.MergeAffine.Apply(t.Output(y).Build());
        Assert.AreEqual(0, count);
    }

    [TestMethod]
    public void A_composite_applies_the_canonizers_it_lists_in_order()
    {
        var t = new TestGraph(seed: 2);
        var x = t.Input("x", -1, 2, 4, 4);
        var conv = t.Node("Conv", [x, t.Random("w", [3, 2, 3, 3])], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var bn = t.Node("BatchNormalization", [conv, t.Random("g", [3], 0.5, 1.5), t.Random("be", [3]), t.Random("m", [3]), t.Random("v", [3], 0.2, 2)]);
        var y = t.Node("Gemm", [t.Node("Flatten", [t.Node("Relu", [bn])]), t.Random("d", [48, 4])]);
        var model = t.Output(y).Build();

        var composite = LrpComposite.EpsilonPlus();
        CollectionAssert.AreEqual(LrpCanonizers.Default.ToArray(), composite.Canonizers.ToArray());
        Assert.AreEqual(1, composite.Canonize(model).Changes);
        var none = composite.WithCanonizers([]);
        Assert.AreEqual(0, none.Canonize(model).Changes);
        Assert.AreEqual(1, none.WithCanonizers([LrpCanonizers.MergeBatchNormalization]).Canonize(model).Changes);
        Assert.AreEqual("MergeBatchNormalization", LrpCanonizers.MergeBatchNormalization.Name);

        // Without canonizers the BatchNormalization stays and passes relevance (Normalisation: Pass); both explain.
        var batch = GradientCheck.RandomTensor(new Random(3), [2, 2, 4, 4]);
        using var merged = new LrpExplainer(model, new LrpOptions { Composite = composite });
        using var unmerged = new LrpExplainer(model, new LrpOptions { Composite = none });
        Assert.AreEqual(1, merged.FoldedBatchNormalizations);
        Assert.AreEqual(0, unmerged.FoldedBatchNormalizations);
        Assert.IsTrue(unmerged.Explain(batch).Relevance.Data.All(float.IsFinite));
        Assert.IsTrue(merged.Explain(batch).Relevance.Data.All(float.IsFinite));
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
