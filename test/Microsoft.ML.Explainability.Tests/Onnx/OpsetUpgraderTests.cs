using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using static Microsoft.ML.Explainability.Tests.OldOpsetGraphs;
using DataType = Microsoft.ML.Explainability.Onnx.Protobuf.TensorProto.Types.DataType;

namespace Microsoft.ML.Explainability.Tests;

/// <summary>
/// Each test builds a graph at an old opset, upgrades it, and checks in ONNX Runtime that the original and the upgraded
/// model give the same outputs on the same random input. Where simply raising the opset number breaks the model (ONNX
/// Runtime refuses it or computes something else), the test also checks that, so it shows the rewrite is needed.
/// </summary>
[TestClass]
public class OpsetUpgraderTests
{
    [TestMethod]
    public void Pad2_AttributesBecomeInputs()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 1, 2, 3, 4)
            .Node("Pad", ["x"], ["constant"], Ints("pads", 0, 0, 1, 2, 0, 0, 2, 1), Float("value", 1.5f))
            .Node("Pad", ["x"], ["reflect"], Ints("pads", 0, 0, 1, 1, 0, 0, 2, 1), Text("mode", "reflect"))
            .Node("Pad", ["x"], ["zero"], Ints("pads", 0, 1, 0, 0, 0, 0, 1, 0))
            .Output("constant").Output("reflect").Output("zero");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        var pads = upgraded.Proto.Graph.Node;
        Assert.HasCount(3, pads[0].Input, "data, pads, constant_value");
        Assert.HasCount(2, pads[1].Input, "reflect padding has no constant_value");
        Assert.IsTrue(pads.All(n => n.Attribute.All(a => a.Name == "mode")));
    }

    [TestMethod]
    public void Slice1_AttributesBecomeInputs()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 3, 4, 5)
            .Node("Slice", ["x"], ["y"], Ints("starts", 1, -4), Ints("ends", 1000, -1), Ints("axes", 0, 2))
            .Node("Slice", ["x"], ["z"], Ints("starts", 0, 1), Ints("ends", 2, 3))
            .Output("y").Output("z");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        Assert.HasCount(4, upgraded.Proto.Graph.Node[0].Input);
        Assert.HasCount(3, upgraded.Proto.Graph.Node[1].Input, "no axes input when the attribute was absent");
    }

    [TestMethod]
    public void SqueezeUnsqueeze1_AxesBecomeInputs()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 2, 1, 3, 1)
            .Node("Squeeze", ["x"], ["s"], Ints("axes", 1, 3))
            .Node("Unsqueeze", ["s"], ["y"], Ints("axes", 0, 3))
            .Node("Squeeze", ["x"], ["z"])
            .Output("y").Output("z");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        var nodes = upgraded.Proto.Graph.Node;
        Assert.HasCount(2, nodes[0].Input);
        Assert.HasCount(2, nodes[1].Input);
        Assert.HasCount(1, nodes[2].Input, "Squeeze without axes squeezes every 1");
    }

    [TestMethod]
    public void ReduceSum1_AxesBecomeAnInput_OtherReducesKeepTheAttributeAt17()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 2, 3, 4, 5)
            .Node("ReduceSum", ["x"], ["y"], Ints("axes", 1, 3), Int("keepdims", 0))
            .Node("ReduceSum", ["x"], ["all"])
            .Node("ReduceMean", ["x"], ["mean"], Ints("axes", 2))
            .Output("y").Output("all").Output("mean");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        var nodes = upgraded.Proto.Graph.Node;
        Assert.HasCount(2, nodes[0].Input);
        Assert.HasCount(1, nodes[1].Input, "absent axes reduce everything and need no input");
        Assert.IsNotNull(nodes[2].Attribute("axes"), "ReduceMean keeps axes as an attribute until opset 18");
    }

    [TestMethod]
    public void UpgradeTo18_MovesEveryReduceAxesAndCountsEvenSplits()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 2, 6, 4)
            .Node("ReduceMean", ["x"], ["mean"], Ints("axes", 2))
            .Node("ReduceMax", ["x"], ["max"], Ints("axes", 0, 1), Int("keepdims", 0))
            .Node("Split", ["x"], ["a", "b", "c"], Int("axis", 1))
            .Output("mean").Output("max").Output("a").Output("b").Output("c");

        var upgraded = AssertUpgradeKeepsOutputs(graph, target: 18);

        var nodes = upgraded.Proto.Graph.Node;
        Assert.HasCount(2, nodes[0].Input);
        Assert.IsNull(nodes[0].Attribute("axes"));
        Assert.HasCount(2, nodes[1].Input);
        Assert.AreEqual(3L, nodes[2].GetInt("num_outputs", 0));
        Assert.AreEqual(8L, upgraded.IrVersion);
    }

    [TestMethod]
    public void Split2_SplitBecomesAnInput()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 2, 6, 3)
            .Node("Split", ["x"], ["a", "b", "c"], Int("axis", 1), Ints("split", 1, 2, 3))
            .Node("Split", ["x"], ["d", "e", "f"], Int("axis", 2))
            .Output("a").Output("b").Output("c").Output("d").Output("e").Output("f");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        Assert.HasCount(2, upgraded.Proto.Graph.Node[0].Input);
        Assert.HasCount(1, upgraded.Proto.Graph.Node[1].Input);
    }

    [TestMethod]
    public void Clip6_BoundsBecomeInputs()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 3, 5)
            .Node("Clip", ["x"], ["both"], Float("min", -0.5f), Float("max", 0.7f))
            .Node("Clip", ["x"], ["upper"], Float("max", 0.3f))
            .Node("Clip", ["x"], ["lower"], Float("min", -0.2f))
            .Output("both").Output("upper").Output("lower");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        var nodes = upgraded.Proto.Graph.Node;
        Assert.HasCount(3, nodes[0].Input);
        Assert.AreEqual("", nodes[1].Input[1], "an absent min is an empty input name");
        Assert.HasCount(2, nodes[2].Input);
    }

    [TestMethod]
    public void Dropout7_RatioBecomesAnInput()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 4, 5)
            .Node("Dropout", ["x"], ["d"], Float("ratio", 0.3f))
            .Node("Relu", ["d"], ["y"])
            .Output("y");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        var dropout = upgraded.Proto.Graph.Node[0];
        Assert.HasCount(2, dropout.Input);
        Assert.IsEmpty(dropout.Attribute);
    }

    [TestMethod]
    public void Dropout7_ReadMaskIsRejected()
    {
        var model = new OldOpsetGraphs(8).Input("x", 4, 5)
            .Node("Dropout", ["x"], ["y", "mask"])
            .Output("y").Output("mask").Build();

        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OpsetUpgrader.Upgrade(model));
        StringAssert.Contains(e.Message, "Dropout_0");
    }

    [TestMethod]
    public void Upsample7_BecomesResize()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 1, 2, 3, 4)
            .Node("Upsample", ["x"], ["nearest"], Floats("scales", 1, 1, 2, 3))
            .Node("Upsample", ["x"], ["linear"], Text("mode", "linear"), Floats("scales", 1, 1, 2, 2))
            .Output("nearest").Output("linear");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        CollectionAssert.AreEqual(new[] { "Resize", "Resize" }, OpTypes(upgraded));
        Assert.AreEqual("", upgraded.Proto.Graph.Node[0].Input[1], "no roi");
    }

    [TestMethod]
    public void Upsample9_BecomesResize()
    {
        var graph = new OldOpsetGraphs(9).Input("x", 1, 2, 3, 4)
            .FloatTensor("scales", [4], 1, 1, 3, 2)
            .Node("Upsample", ["x", "scales"], ["nearest"])
            .Node("Upsample", ["x", "scales"], ["linear"], Text("mode", "linear"))
            .Output("nearest").Output("linear");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        CollectionAssert.AreEqual(new[] { "Resize", "Resize" }, OpTypes(upgraded));
        Assert.AreEqual("scales", upgraded.Proto.Graph.Node[0].Input[2]);
    }

    [TestMethod]
    public void Resize10_GetsRoiAndLegacyCoordinates()
    {
        var graph = new OldOpsetGraphs(10).Input("x", 1, 2, 4, 6)
            .FloatTensor("up", [4], 1, 1, 2, 1.5f)
            .FloatTensor("down", [4], 1, 1, 0.6f, 0.6f)
            .FloatTensor("twice", [4], 1, 1, 2, 2)
            .Node("Resize", ["x", "up"], ["nearest_up"])
            .Node("Resize", ["x", "down"], ["nearest_down"])
            .Node("Resize", ["x", "twice"], ["linear_up"], Text("mode", "linear"))
            .Node("Resize", ["x", "down"], ["linear_down"], Text("mode", "linear"))
            .Output("nearest_up").Output("nearest_down").Output("linear_up").Output("linear_down");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        Assert.IsTrue(upgraded.Proto.Graph.Node.All(n => n.Input.Count == 3));
    }

    [TestMethod]
    public void Resize10_ToOpset12_UsesAnEmptyRoiTensor()
    {
        var graph = new OldOpsetGraphs(10).Input("x", 1, 1, 3, 3)
            .FloatTensor("scales", [4], 1, 1, 2, 2)
            .Node("Resize", ["x", "scales"], ["y"])
            .Output("y");

        var upgraded = AssertUpgradeKeepsOutputs(graph, target: 12);

        Assert.AreNotEqual("", upgraded.Proto.Graph.Node[0].Input[1], "roi is required before opset 13");
        Assert.AreEqual(7L, upgraded.IrVersion);
    }

    [TestMethod]
    public void Softmax11_FourDimensionalAxis1_IsFlattenedAndReshaped()
    {
        var graph = new OldOpsetGraphs(11).Input("x", 2, 3, 4, 5)
            .Node("Softmax", ["x"], ["softmax"], Int("axis", 1))
            .Node("LogSoftmax", ["x"], ["logsoftmax"], Int("axis", 1))
            .Node("Hardmax", ["x"], ["hardmax"], Int("axis", 1))
            .Node("Softmax", ["x"], ["last"], Int("axis", -1))
            .Node("Softmax", ["x"], ["last_by_rank"], Int("axis", 3))
            .Output("softmax").Output("logsoftmax").Output("hardmax").Output("last").Output("last_by_rank");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        CollectionAssert.AreEqual(
            new[] { "Shape", "Flatten", "Softmax", "Reshape", "Shape", "Flatten", "LogSoftmax", "Reshape", "Shape", "Flatten", "Hardmax", "Reshape", "Softmax", "Softmax" },
            OpTypes(upgraded));
        var nodes = upgraded.Proto.Graph.Node;
        Assert.AreEqual("Softmax_0", nodes[2].Name, "the node keeps its name");
        Assert.AreEqual("softmax", nodes[3].Output[0], "the final Reshape produces the original output");
        var names = nodes.SelectMany(n => n.Output).Concat(nodes.Select(n => n.Name)).ToArray();
        Assert.HasCount(names.Length, names.Distinct(), "new names are unique");
    }

    [TestMethod]
    public void Softmax1_DefaultAxis_IsFlattenedAndReshaped()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 2, 3, 4)
            .Node("Softmax", ["x"], ["y"])
            .Node("LogSoftmax", ["x"], ["z"], Int("axis", 0))
            .Output("y").Output("z");

        AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);
    }

    [TestMethod]
    public void BatchNormalization7_Spatial1_IsDropped()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 2, 3, 4, 5)
            .FloatTensor("scale", [3], 0.5f, 1.5f, -1)
            .FloatTensor("bias", [3], 0.1f, -0.2f, 0.3f)
            .FloatTensor("mean", [3], 0.05f, -0.4f, 1)
            .FloatTensor("var", [3], 0.9f, 2, 0.25f)
            .Node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], Int("spatial", 1), Float("epsilon", 1e-3f), Float("momentum", 0.8f))
            .Output("y");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        var bn = upgraded.Proto.Graph.Node[0];
        Assert.IsNull(bn.Attribute("spatial"));
        Assert.AreEqual(1e-3f, bn.GetFloat("epsilon", 0));
        Assert.AreEqual(0.8f, bn.GetFloat("momentum", 0));
    }

    [TestMethod]
    public void BatchNormalization_Spatial0_IsRejectedNamingTheNode()
    {
        var model = new OldOpsetGraphs(8).Input("x", 2, 3)
            .FloatTensor("scale", [3], 1, 1, 1).FloatTensor("bias", [3], 0, 0, 0).FloatTensor("mean", [3], 0, 0, 0).FloatTensor("var", [3], 1, 1, 1)
            .Node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], Int("spatial", 0))
            .Output("y").Build();

        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OpsetUpgrader.Upgrade(model));
        StringAssert.Contains(e.Message, "BatchNormalization_0");
        StringAssert.Contains(e.Message, "spatial=0");
    }

    [TestMethod]
    public void TopK1_KBecomesAnInput()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 3, 7)
            .Node("TopK", ["x"], ["values", "indices"], Int("k", 3), Int("axis", 1))
            .Output("values").Output("indices", DataType.Int64);

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        Assert.HasCount(2, upgraded.Proto.Graph.Node[0].Input);
        Assert.IsNull(upgraded.Proto.Graph.Node[0].Attribute("k"));
    }

    [TestMethod]
    public void Scatter9_BecomesScatterElements()
    {
        var graph = new OldOpsetGraphs(9).Input("x", 3, 4).Input("updates", 2, 4)
            .Int64Tensor("indices", [2, 4], 0, 2, 1, 0, 1, 0, 2, 2)
            .Node("Scatter", ["x", "indices", "updates"], ["y"], Int("axis", 0))
            .Output("y");

        var upgraded = AssertUpgradeKeepsOutputs(graph);

        CollectionAssert.AreEqual(new[] { "ScatterElements" }, OpTypes(upgraded));
    }

    [TestMethod]
    public void MeanVarianceNormalization1_GetsExplicitAxes()
    {
        var graph = new OldOpsetGraphs(8).Input("x", 2, 3, 4, 5)
            .Node("MeanVarianceNormalization", ["x"], ["per_channel"])
            .Node("MeanVarianceNormalization", ["x"], ["across"], Int("across_channels", 1))
            .Node("MeanVarianceNormalization", ["x"], ["centred"], Int("normalize_variance", 0))
            .Output("per_channel").Output("across").Output("centred");

        var upgraded = AssertUpgradeKeepsOutputs(graph, relative: 1e-5, naiveBumpBreaks: true);

        CollectionAssert.AreEqual(new[] { "MeanVarianceNormalization", "MeanVarianceNormalization", "ReduceMean", "Sub" }, OpTypes(upgraded));
    }

    [TestMethod]
    public void RoiAlign10_KeepsItsUnshiftedCoordinates()
    {
        var graph = new OldOpsetGraphs(10).Input("x", 1, 2, 8, 8)
            .FloatTensor("rois", [2, 4], 0, 0, 4, 4, 1.5f, 2, 6, 7.5f)
            .Int64Tensor("batch", [2], 0, 0)
            .Node("RoiAlign", ["x", "rois", "batch"], ["y"], Int("output_height", 2), Int("output_width", 3), Int("sampling_ratio", 2))
            .Output("y");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        Assert.AreEqual("output_half_pixel", upgraded.Proto.Graph.Node[0].GetString("coordinate_transformation_mode", ""));
    }

    [TestMethod]
    [DataRow(9, "Upsample")]
    [DataRow(10, "Resize")]
    [DataRow(11, "Resize")]
    public void Upsample7_ToIntermediateOpsets(int target, string opType)
    {
        var graph = new OldOpsetGraphs(8).Input("x", 1, 2, 3, 4)
            .Node("Upsample", ["x"], ["nearest"], Floats("scales", 1, 1, 3, 2))
            .Node("Upsample", ["x"], ["linear"], Text("mode", "linear"), Floats("scales", 1, 1, 2, 2))
            .Output("nearest").Output("linear");

        var upgraded = AssertUpgradeKeepsOutputs(graph, target);

        CollectionAssert.AreEqual(new[] { opType, opType }, OpTypes(upgraded));
        Assert.IsNull(upgraded.Proto.Graph.Node[0].Attribute("scales"));
    }

    [TestMethod]
    public void BatchNormalization9_TrainingOutputsBecomeTrainingModeAt14()
    {
        var graph = new OldOpsetGraphs(9).Input("x", 2, 3, 4)
            .FloatTensor("scale", [3], 0.5f, 1.5f, -1).FloatTensor("bias", [3], 0.1f, -0.2f, 0.3f)
            .FloatTensor("mean", [3], 0.05f, -0.4f, 1).FloatTensor("var", [3], 0.9f, 2, 0.25f)
            .Node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y", "running_mean", "running_var", "saved_mean", "saved_var"])
            .Output("y");

        var upgraded = AssertUpgradeKeepsOutputs(graph);

        var bn = upgraded.Proto.Graph.Node[0];
        Assert.HasCount(3, bn.Output, "Y and the running mean and variance; the saved statistics are gone");
        Assert.AreEqual(1L, bn.GetInt("training_mode", 0), "five outputs meant training mode (batch statistics)");
    }

    [TestMethod]
    public void IfBranches_AreUpgradedToo()
    {
        var clip = NodeOf("then_clip", "Clip", ["x"], ["clipped"], Float("min", 0), Float("max", 0.5f));
        var softmax = NodeOf("else_softmax", "Softmax", ["x"], ["normalised"]);
        var graph = new OldOpsetGraphs(8).Input("x", 2, 3, 4)
            .FloatTensor("zero", [], 0)
            .Node("ReduceSum", ["x"], ["sum"], Int("keepdims", 0))
            .Node("Greater", ["sum", "zero"], ["positive"])
            .Node("If", ["positive"], ["y"], Branch("then_branch", "clipped", clip), Branch("else_branch", "normalised", softmax))
            .Node("Not", ["positive"], ["negative"])
            .Node("If", ["negative"], ["z"], Branch("then_branch", "clipped", clip.Clone()), Branch("else_branch", "normalised", softmax.Clone()))
            .Output("y").Output("z");

        var upgraded = AssertUpgradeKeepsOutputs(graph, naiveBumpBreaks: true);

        var thenBranch = upgraded.Proto.Graph.Node[2].Attribute("then_branch")!.G;
        Assert.HasCount(3, thenBranch.Node[0].Input, "Clip bounds are inputs inside the branch");
        Assert.HasCount(2, thenBranch.Initializer);
        var elseBranch = upgraded.Proto.Graph.Node[2].Attribute("else_branch")!.G;
        CollectionAssert.AreEqual(new[] { "Shape", "Flatten", "Softmax", "Reshape" }, elseBranch.Node.Select(n => n.OpType).ToArray());
    }

    [TestMethod]
    public void GroupNormalization18_ScaleAndBiasArePerChannelAt21()
    {
        var graph = new OldOpsetGraphs(18).Input("x", 2, 6, 3, 3)
            .FloatTensor("scale", [3], 0.5f, 1.5f, -1).FloatTensor("bias", [3], 0.1f, -0.2f, 0.3f)
            .Node("GroupNormalization", ["x", "scale", "bias"], ["y"], Int("num_groups", 3))
            .Output("y");

        var upgraded = AssertUpgradeKeepsOutputs(graph, target: 21, relative: 1e-5, naiveBumpBreaks: true);

        Assert.AreEqual("GroupNormalization", OpTypes(upgraded)[^1]);
    }

    [TestMethod]
    public void Dft17_AxisBecomesAnInputAt20()
    {
        var graph = new OldOpsetGraphs(17).Input("x", 2, 4, 8, 1)
            .Node("DFT", ["x"], ["y"])
            .Output("y");

        var upgraded = AssertUpgradeKeepsOutputs(graph, target: 20, relative: 1e-5, naiveBumpBreaks: true);

        var dft = upgraded.Proto.Graph.Node[0];
        Assert.HasCount(3, dft.Input);
        Assert.AreEqual("", dft.Input[1], "no dft_length");
    }

    [TestMethod]
    [DataRow(10)]
    [DataRow(13)]
    [DataRow(16)]
    [DataRow(18)]
    [DataRow(21)]
    [DataRow(23)]
    public void MixedOpset8Graph_UpgradesToEveryTarget(int target)
    {
        var graph = new OldOpsetGraphs(8).Input("x", 2, 3, 4)
            .Node("Pad", ["x"], ["padded"], Ints("pads", 0, 0, 1, 0, 0, 1), Float("value", -1))
            .Node("Clip", ["padded"], ["clipped"], Float("min", -0.5f), Float("max", 1.5f))
            .Node("Softmax", ["clipped"], ["softmax"])
            .Node("ReduceMean", ["softmax"], ["mean"], Ints("axes", 2))
            .Node("Split", ["softmax"], ["first", "second"], Int("axis", 0))
            .Node("Unsqueeze", ["first"], ["y"], Ints("axes", 0))
            .Output("mean").Output("y").Output("second");

        var upgraded = AssertUpgradeKeepsOutputs(graph, target);

        Assert.AreEqual(OpsetUpgrader.MinimumIrVersion(target), upgraded.IrVersion);
    }

    [TestMethod]
    public void AlreadyAtTarget_ReturnsAnUnchangedCopy()
    {
        var model = new OldOpsetGraphs(17).Input("x", 2, 3).Node("Relu", ["x"], ["y"]).Output("y").Build();

        var upgraded = OpsetUpgrader.Upgrade(model);

        Assert.AreNotSame(model, upgraded);
        Assert.AreNotSame(model.Proto, upgraded.Proto);
        CollectionAssert.AreEqual(Bytes(model), Bytes(upgraded));
    }

    [TestMethod]
    public void ResNet18FromCntk_UpgradesToOpset17AndGivesTheSameOutput()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        var original = OnnxModel.Load(path);
        Assert.AreEqual(8, original.Opset);

        var upgraded = OpsetUpgrader.Upgrade(original);

        Assert.AreEqual(17, upgraded.Opset);
        Assert.IsGreaterThanOrEqualTo(8L, upgraded.IrVersion);
        Assert.IsFalse(upgraded.Proto.Graph.Node.Any(n => n.Attribute("spatial") is not null));
        Assert.AreEqual(8, original.Opset, "the input model is not modified");
        var input = Assert.ContainsSingle(original.InputNames);
        var random = new Random(18);
        var pixels = Enumerable.Range(0, 3 * 224 * 224).Select(_ => (float)(random.NextDouble() * 255)).ToArray();
        var feeds = new Dictionary<string, (float[] Values, long[] Shape)> { [input] = (pixels, [1, 3, 224, 224]) };
        AssertSameOutputs(Run(original, feeds), Run(upgraded, feeds), relative: 0, absolute: 1e-4);
    }

    /// <summary>Upgrades, checks opset/IR, that the input model is unchanged, and that ONNX Runtime gives the same outputs.</summary>
    private static OnnxModel AssertUpgradeKeepsOutputs(OldOpsetGraphs graph, int target = 17, double relative = 1e-6, bool naiveBumpBreaks = false)
    {
        var original = graph.Build();
        var before = Bytes(original);

        var upgraded = OpsetUpgrader.Upgrade(original, target);

        CollectionAssert.AreEqual(before, Bytes(original), "the input model must not be modified");
        Assert.AreEqual(target, upgraded.Opset);
        Assert.IsGreaterThanOrEqualTo(OpsetUpgrader.MinimumIrVersion(target), upgraded.IrVersion);
        var expected = Run(original, graph.Feeds);
        AssertSameOutputs(expected, Run(upgraded, graph.Feeds), relative);
        if (naiveBumpBreaks)
        {
            AssertNaiveBumpBreaks(original, target, graph.Feeds, expected);
        }

        return upgraded;
    }

    /// <summary>Raising only the opset number makes ONNX Runtime refuse the model or compute other values.</summary>
    private static void AssertNaiveBumpBreaks(
        OnnxModel original, int target, IReadOnlyDictionary<string, (float[] Values, long[] Shape)> feeds, List<(double[] Values, long[] Shape)> expected)
    {
        var bumped = original.Clone();
        bumped.Proto.OpsetImport[0].Version = target;
        bumped.Proto.IrVersion = OpsetUpgrader.MinimumIrVersion(target);
        List<(double[] Values, long[] Shape)> actual;
        try
        {
            actual = Run(bumped, feeds);
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            return;
        }

        bool same = expected.Zip(actual).All(p =>
            p.First.Shape.SequenceEqual(p.Second.Shape) && p.First.Values.Zip(p.Second.Values).All(v => Math.Abs(v.First - v.Second) <= 1e-6 * Math.Max(1, Math.Abs(v.First))));
        Assert.IsFalse(same, "raising the opset alone should break this model, or the test does not exercise the rewrite");
    }
}
