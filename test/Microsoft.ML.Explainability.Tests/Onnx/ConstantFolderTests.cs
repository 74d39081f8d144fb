using Google.Protobuf;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Onnx;

/// <summary>
/// <see cref="ConstantFolder"/>: each way an exporter writes a constant (initializer, Constant node, Identity chain,
/// initializer listed as a graph input) reaches the rules as a constant; folded graphs compute what the original
/// computes (ONNX Runtime on both); values hand-computed in the test for the shape arithmetic and DequantizeLinear.
/// </summary>
[TestClass]
public sealed class ConstantFolderTests
{
    public enum BiasForm
    {
        Initializer,
        ConstantNode,
        IdentityChain,
        InitializerListedAsInput,
        CastOfDequantized,
    }

    /// <summary>A Conv (2→3 channels, 3×3, pads 1) → Relu → GlobalAveragePool → Flatten → Gemm, with the conv bias written in <paramref name="form"/>.</summary>
    private static OnnxModel ConvModel(BiasForm form)
    {
        var t = new TestGraph(seed: 5);
        var x = t.Input("x", -1, 2, 5, 5);
        var w = t.Random("w", [3, 2, 3, 3]);
        float[] biasValues = [0.25f, -0.5f, 0.125f];
        string bias;
        switch (form)
        {
            case BiasForm.Initializer:
                bias = t.Constant("b", [3], biasValues);
                break;
            case BiasForm.ConstantNode:
                bias = t.Node("Constant", [], AttributeValue.FromProto(NodeExtensions.Tensor("value", TensorProtos.Float("v", [3], biasValues))));
                break;
            case BiasForm.IdentityChain:
                bias = t.Node("Identity", [t.Node("Identity", [t.Constant("b", [3], biasValues)])]);
                break;
            case BiasForm.InitializerListedAsInput:
                bias = t.Constant("b", [3], biasValues);
                t.Graph.Input.Add(new ValueInfoProto
                {
                    Name = "b",
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = 3 } } } } },
                });
                break;
            default:
                // int8 values 2, −4, 1 with scale 0.125 → 0.25, −0.5, 0.125; stored as double and cast back to float.
                var q = new TensorProto { Name = "bq", DataType = (int)TensorProto.Types.DataType.Int8, Dims = { 3 }, RawData = ByteString.CopyFrom([2, 0xFC, 1]) };
                t.Graph.Initializer.Add(q);
                var dequantized = t.Node("DequantizeLinear", ["bq", t.Constant("scale", [], [0.125f])]);
                bias = t.Node("Cast", [t.Node("Cast", [dequantized], AttributeValue.Int("to", (long)TensorProto.Types.DataType.Double))], AttributeValue.Int("to", (long)TensorProto.Types.DataType.Float));
                break;
        }

        var conv = t.Node("Conv", [x, w, bias], AttributeValue.Ints("kernel_shape", [3, 3]), AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var pooled = t.Node("GlobalAveragePool", [t.Node("Relu", [conv])]);
        var flat = t.Node("Flatten", [pooled]);
        var logits = t.Node("Gemm", [flat, t.Random("fc", [4, 3]), t.Random("fc_b", [4], -0.1, 0.1)], AttributeValue.Int("transB", 1));
        return t.Output(logits).Build();
    }

    [TestMethod]
    [DataRow(BiasForm.ConstantNode)]
    [DataRow(BiasForm.IdentityChain)]
    [DataRow(BiasForm.InitializerListedAsInput)]
    [DataRow(BiasForm.CastOfDequantized)]
    public void Every_way_of_writing_a_bias_reaches_LRP_as_the_same_constant(BiasForm form)
    {
        var x = GradientCheck.RandomTensor(new Random(3), [2, 2, 5, 5]);
        using var reference = new LrpExplainer(ConvModel(BiasForm.Initializer), new LrpOptions { Composite = LrpComposite.EpsilonPlus() });
        using var lrp = new LrpExplainer(ConvModel(form), new LrpOptions { Composite = LrpComposite.EpsilonPlus() });
        var expected = reference.Explain(x, [1, 2]).Relevance.Data;
        var actual = lrp.Explain(x, [1, 2]).Relevance.Data;
        Assert.IsGreaterThan(1e-4, expected.Max(Math.Abs), "the reference relevance is not trivially zero");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], 1e-6, $"{form}: relevance element {i}");
        }

        var folded = GradientModel.Prepare(ConvModel(form));
        Assert.IsFalse(folded.Graph.Node.Any(n => n.OpType is "Constant" or "Identity" or "Cast" or "DequantizeLinear"), $"{form}: constant nodes remain: {string.Join(", ", folded.Graph.Node.Select(n => n.OpType))}");
        Assert.IsFalse(folded.Graph.Input.Any(i => i.Name == "b"), "an initializer listed as an input is no longer an input of the folded model");
        Assert.AreEqual(1, folded.InputNames.Count);
    }

    [TestMethod]
    public void Dropout_whose_training_mode_is_computed_from_constants_differentiates()
    {
        // As torchvision's Swin exports: training_mode = Cast(Constant) through Identity nodes (false), ratio through Identity.
        var t = new TestGraph();
        var x = t.Input("x", -1, 3, 4);
        var falseFloat = t.Node("Constant", [], AttributeValue.FromProto(NodeExtensions.Tensor("value", TensorProtos.Float("f", [], [0f]))));
        var training = t.Node("Identity", [t.Node("Cast", [falseFloat], AttributeValue.Int("to", (long)TensorProto.Types.DataType.Bool))]);
        var ratio = t.Node("Identity", [t.Constant("ratio", [], [0.1f])]);
        var dropped = t.Node("Dropout", [x, ratio, training]);
        var y = t.Node("Mul", [dropped, t.Random("w", [3, 4], 0.5, 1.5)]);
        var model = t.Output(y).Build();
        GradientCheck.AgainstFiniteDifferences(model, y, new Dictionary<string, FloatTensor> { ["x"] = GradientCheck.RandomTensor(new Random(1), [2, 3, 4]) });
    }

    [TestMethod]
    public void Dropout_in_training_mode_with_ratio_zero_is_the_identity_and_differentiates()
    {
        // As torchvision's Swin exports its attention dropout: Dropout(x, Constant(0.0), Constant(true)), mask unread.
        var t = new TestGraph();
        var x = t.Input("x", -1, 3, 4);
        var ratio = t.Node("Constant", [], AttributeValue.FromProto(NodeExtensions.Tensor("value", TensorProtos.Float("r", [], [0f]))));
        var training = t.Node("Constant", [], AttributeValue.FromProto(NodeExtensions.Tensor("value", new TensorProto { DataType = (int)TensorProto.Types.DataType.Bool, RawData = ByteString.CopyFrom([1]) })));
        var dropped = t.Node("Dropout", [x, ratio, training], 2)[0];
        var y = t.Node("Mul", [dropped, t.Random("w", [3, 4], 0.5, 1.5)]);
        var model = t.Output(y).Build();
        Assert.AreEqual("Identity", GradientModel.Prepare(model).Graph.Node.First(n => n.Output.Contains(dropped)).OpType);
        GradientCheck.AgainstFiniteDifferences(model, y, new Dictionary<string, FloatTensor> { ["x"] = GradientCheck.RandomTensor(new Random(1), [2, 3, 4]) });
    }

    [TestMethod]
    public void Dropout_whose_training_mode_is_computed_as_true_is_still_refused()
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 3);
        var one = t.Node("Constant", [], AttributeValue.FromProto(NodeExtensions.Tensor("value", TensorProtos.Float("f", [], [1f]))));
        var training = t.Node("Identity", [t.Node("Cast", [one], AttributeValue.Int("to", (long)TensorProto.Types.DataType.Bool))]);
        var dropped = t.Node("Dropout", [x, t.Constant("ratio", [], [0.5f]), training]);
        var model = t.Output(dropped).Build();
        var e = Assert.ThrowsExactly<GradientException>(() => GradientModel.Build(model, new GradientRequest { Output = dropped, Seed = SeedKind.Given, WithRespectTo = ["x"] }));
        StringAssert.Contains(e.Message, "training mode");
    }

    [TestMethod]
    public void Shape_arithmetic_on_constants_folds_to_the_hand_computed_values()
    {
        // Shape/Gather/Unsqueeze/Concat/Slice of a constant [2, 3, 4] tensor build the target [4, 6] of a Reshape;
        // Transpose and Mul/Add on constants build a weight. Expected values written out by hand.
        var t = new TestGraph();
        var x = t.Input("x", -1, 24);
        var c = t.Constant("c", [2, 3, 4], Enumerable.Range(0, 24).Select(v => (float)v).ToArray());
        var shape = t.Node("Shape", [c]);                                                        // [2, 3, 4]
        var last = t.Node("Gather", [shape, t.Int64s("two", 2)]);                                // [4]
        var firstTwo = t.Node("Slice", [shape, t.Int64s("s0", 0), t.Int64s("s1", 2)]);          // [2, 3]
        var product = t.Node("Mul", [t.Node("Gather", [firstTwo, t.Int64s("zero", 0)]), t.Node("Gather", [firstTwo, t.Int64s("one", 1)])]); // [6]
        var target = t.Node("Concat", [t.Int64s("batch", -1), product, last], AttributeValue.Int("axis", 0)); // [-1, 6, 4]
        var reshaped = t.Node("Reshape", [x, target]);
        var transposed = t.Node("Transpose", [t.Node("Slice", [c, t.Int64s("b0", 1), t.Int64s("b1", 2), t.Int64s("ax", 0)])], AttributeValue.Ints("perm", [0, 2, 1])); // c[1]ᵀ: [1, 4, 3]
        var weight = t.Node("Add", [t.Node("Mul", [transposed, t.Constant("half", [], [0.5f])]), t.Constant("bias", [3], [1f, 2f, 3f])]);
        var y = t.Node("MatMul", [reshaped, t.Node("Reshape", [weight, t.Int64s("ws", 4, 3)])]);
        var model = t.Output(y).Build();

        var (folded, count) = ConstantFolder.FoldCounting(model);
        Assert.AreEqual(2, folded.NodeCount, $"only the two data-dependent nodes remain: {string.Join(", ", folded.Graph.Node.Select(n => n.OpType))}");
        Assert.IsGreaterThanOrEqualTo(12, count);
        var index = folded.Index();
        CollectionAssert.AreEqual(new long[] { -1, 6, 4 }, TensorProtos.ToInt64s(index.Initializer(target)!));

        // weight[k, j] = 0.5·c[1, j, k] + (j + 1) with c[1, j, k] = 12 + 4j + k.
        var w = TensorProtos.ToDoubles(index.Initializer(folded.Graph.Node[1].Input[1])!);
        var expected = new List<double>();
        for (int k = 0; k < 4; k++)
        {
            for (int j = 0; j < 3; j++)
            {
                expected.Add((0.5 * (12 + (4 * j) + k)) + j + 1);
            }
        }

        CollectionAssert.AreEqual(expected.ToArray(), w);

        var feeds = new Dictionary<string, FloatTensor> { ["x"] = GradientCheck.RandomTensor(new Random(2), [2, 24]) };
        using var original = new Forward(model);
        using var foldedRun = new Forward(folded);
        CollectionAssert.AreEqual(original.Run(y, feeds).Data, foldedRun.Run(y, feeds).Data);
    }

    [TestMethod]
    public void Per_axis_DequantizeLinear_of_constant_weights_folds_to_the_hand_computed_weights()
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 2);
        // int8 [[10, −20], [3, 4]] per row (axis 0): scales 0.5, 0.25, zero points 2, −4 → [[4, −11], [1.75, 2]].
        t.Graph.Initializer.Add(new TensorProto { Name = "q", DataType = (int)TensorProto.Types.DataType.Int8, Dims = { 2, 2 }, RawData = ByteString.CopyFrom([10, unchecked((byte)-20), 3, 4]) });
        t.Graph.Initializer.Add(new TensorProto { Name = "zp", DataType = (int)TensorProto.Types.DataType.Int8, Dims = { 2 }, RawData = ByteString.CopyFrom([2, unchecked((byte)-4)]) });
        var w = t.Node("DequantizeLinear", ["q", t.Constant("s", [2], [0.5f, 0.25f]), "zp"], AttributeValue.Int("axis", 0));
        var y = t.Node("MatMul", [x, w]);
        var model = t.Output(y).Build();
        var folded = ConstantFolder.Fold(model);
        Assert.AreEqual(1, folded.NodeCount);
        CollectionAssert.AreEqual(new[] { 4.0, -11.0, 1.75, 2.0 }, TensorProtos.ToDoubles(folded.Index().Initializer(w)!));

        var feeds = new Dictionary<string, FloatTensor> { ["x"] = GradientCheck.RandomTensor(new Random(4), [3, 2]) };
        using var original = new Forward(model);
        using var foldedRun = new Forward(folded);
        CollectionAssert.AreEqual(original.Run(y, feeds).Data, foldedRun.Run(y, feeds).Data);
    }

    [TestMethod]
    public void Values_that_depend_on_the_input_or_are_graph_outputs_are_not_folded()
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 3);
        var constant = t.Node("Identity", [t.Constant("k", [3], [1f, 2f, 3f])]);
        var shape = t.Node("Shape", [x]);
        var y = t.Node("Reshape", [t.Node("Add", [x, constant]), shape]);
        var model = t.Output(y, constant).Build();
        var folded = ConstantFolder.Fold(model);
        CollectionAssert.AreEqual(new[] { "Identity", "Shape", "Add", "Reshape" }, folded.Graph.Node.Select(n => n.OpType).ToArray());
    }
}
