using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>
/// Second-order checks of reverse over reverse: H·v from the engine against central differences of the engine's own
/// first-order gradient, (G(x + h·v) − G(x − h·v)) / 2h, on small graphs with curvature and on the fixture networks;
/// the symmetry ⟨u, H·w⟩ = ⟨w, H·u⟩; and the API's contract.
/// </summary>
[TestClass]
public sealed class HessianVectorProductTests
{
    private const double Step = 1e-2;

    public TestContext TestContext { get; set; } = null!;

    private static readonly ExecutionOptions Exact = new() { OptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL };

    /// <summary>
    /// H·v (v a caller-given random direction) against differences of G along v, at every coordinate:
    /// |Hv − FD| ≤ 1e-2·max|FD| + 3e-2·|FD|, and returns the relative L2 error ‖Hv − FD‖/‖FD‖.
    /// </summary>
    private double CheckAgainstDifferences(OnnxModel model, string output, string input, long[] shape, int seed = 5, double step = Step)
    {
        var random = new Random(seed);
        var x = GradientCheck.RandomTensor(random, shape);
        var v = GradientCheck.RandomTensor(random, shape);
        var hvModel = GradientModel.Build(model, new GradientRequest
        {
            Output = output,
            Seed = SeedKind.Given,
            WithRespectTo = [input],
            HessianVectorProducts = [new HessianVectorProduct(input, HessianVector.Given)],
        });
        var gradientModel = GradientModel.Build(model, new GradientRequest { Output = output, Seed = SeedKind.Given, WithRespectTo = [input] });
        using var hvSession = new GradientSession(hvModel, Exact);
        using var gradientSession = new GradientSession(gradientModel, Exact);
        using var forward = new Forward(model);
        var u = GradientCheck.RandomTensor(random, forward.Run(output, new Dictionary<string, FloatTensor> { [input] = x }).Shape);

        var result = hvSession.Run(new Dictionary<string, FloatTensor> { [input] = x, [GradientModel.HessianVectorInput(input)] = v }, seed: u);
        var hv = result.HessianVectorProducts[input];
        var first = gradientSession.Run(new Dictionary<string, FloatTensor> { [input] = x }, seed: u).Gradients[input];
        CollectionAssert.AreEqual(first.Data, result.Gradients[input].Data, "the first-order gradient changes when the product is added");

        FloatTensor Shifted(double sign) => new(x.Data.Select((value, k) => (float)(value + (sign * step * v.Data[k]))).ToArray(), x.Shape);
        var plus = gradientSession.Run(new Dictionary<string, FloatTensor> { [input] = Shifted(1) }, seed: u).Gradients[input];
        var minus = gradientSession.Run(new Dictionary<string, FloatTensor> { [input] = Shifted(-1) }, seed: u).Gradients[input];
        var numeric = plus.Data.Select((p, k) => (p - (double)minus.Data[k]) / (2 * step)).ToArray();

        double scale = numeric.Max(Math.Abs);
        Assert.IsTrue(scale > 1e-4, $"the finite-difference Hessian-vector product is ~0 (max {scale:G3}): the case has no curvature");
        double error = 0, norm = 0;
        for (int k = 0; k < numeric.Length; k++)
        {
            double tolerance = (1e-2 * scale) + (3e-2 * Math.Abs(numeric[k]));
            Assert.IsTrue(Math.Abs(hv.Data[k] - numeric[k]) <= tolerance, $"(H·v)[{k}]: reverse over reverse {hv.Data[k]:G6}, finite difference {numeric[k]:G6} (tolerance {tolerance:G3})");
            error += (hv.Data[k] - numeric[k]) * (hv.Data[k] - numeric[k]);
            norm += numeric[k] * numeric[k];
        }

        double relative = Math.Sqrt(error / norm);
        TestContext.WriteLine($"relative L2 error of H·v against finite differences: {relative:E2} (max |FD| {scale:G3})");
        return relative;
    }

    private static string Dense(TestGraph t, string x, long inFeatures, long outFeatures, string name) =>
        t.Node("Add", [t.Node("MatMul", [x, t.Random($"{name}.w", [inFeatures, outFeatures])]), t.Random($"{name}.b", [outFeatures])]);

    [TestMethod]
    public void Softmax_head_matches_differences_of_the_gradient()
    {
        var t = new TestGraph();
        var logits = Dense(t, t.Node("Tanh", [Dense(t, t.Input("x", -1, 6), 6, 5, "l1")]), 5, 4, "l2");
        var y = t.Node("Softmax", [t.Node("Mul", [logits, t.Constant("three", [], [3f])])], AttributeValue.Int("axis", -1));
        Assert.IsTrue(CheckAgainstDifferences(t.Output(y).Build(), y, "x", [3, 6]) < 1e-2);
    }

    [TestMethod]
    public void LogSoftmax_head_matches_differences_of_the_gradient()
    {
        var t = new TestGraph();
        var y = t.Node("LogSoftmax", [Dense(t, t.Input("x", -1, 6), 6, 4, "l1")], AttributeValue.Int("axis", 1));
        Assert.IsTrue(CheckAgainstDifferences(t.Output(y).Build(), y, "x", [3, 6]) < 1e-2);
    }

    [TestMethod]
    public void Sigmoid_tanh_and_a_product_of_two_activations_match_differences_of_the_gradient()
    {
        var t = new TestGraph();
        var h = Dense(t, t.Input("x", -1, 5), 5, 5, "l1");
        var y = t.Node("Mul", [t.Node("Sigmoid", [h]), t.Node("Tanh", [Dense(t, h, 5, 5, "l2")])]);
        Assert.IsTrue(CheckAgainstDifferences(t.Output(y).Build(), y, "x", [2, 5]) < 1e-2);
    }

    [TestMethod]
    public void Gelu_built_from_erf_matches_differences_of_the_gradient()
    {
        var t = new TestGraph();
        var x = Dense(t, t.Input("x", -1, 5), 5, 6, "l1");
        var erf = t.Node("Erf", [t.Node("Mul", [x, t.Constant("invsqrt2", [], [0.70710678f])])]);
        var gelu = t.Node("Mul", [t.Node("Mul", [x, t.Constant("half", [], [0.5f])]), t.Node("Add", [erf, t.Constant("one", [], [1f])])]);
        var y = Dense(t, gelu, 6, 3, "l2");
        Assert.IsTrue(CheckAgainstDifferences(t.Output(y).Build(), y, "x", [2, 5]) < 1e-2);
    }

    [TestMethod]
    public void Gelu_operator_matches_differences_of_the_gradient()
    {
        var t = new TestGraph(opset: 20);
        var y = Dense(t, t.Node("Gelu", [Dense(t, t.Input("x", -1, 5), 5, 6, "l1")]), 6, 3, "l2");
        Assert.IsTrue(CheckAgainstDifferences(t.Output(y).Build(), y, "x", [2, 5]) < 1e-2);
    }

    [TestMethod]
    public void LayerNormalization_matches_differences_of_the_gradient()
    {
        var t = new TestGraph();
        var normalized = t.Node("LayerNormalization", [t.Input("x", -1, 4, 6), t.Random("gamma", [6], 0.5, 1.5), t.Random("beta", [6])], AttributeValue.Int("axis", -1));
        var y = t.Node("Mul", [normalized, t.Node("Tanh", [normalized])]);
        Assert.IsTrue(CheckAgainstDifferences(t.Output(y).Build(), y, "x", [2, 4, 6]) < 1e-2);
    }

    [TestMethod]
    public void Strided_convolutions_with_smooth_activations_match_differences_of_the_gradient()
    {
        // The second Conv's backward is a ConvTranspose of a gradient that depends on x, so the second sweep
        // differentiates the ConvTranspose (stride 2) and the stride-1 flipped Conv of the first one.
        var t = new TestGraph();
        var c1 = t.Node("Conv", [t.Input("x", -1, 2, 7, 7), t.Random("w1", [3, 2, 3, 3]), t.Random("b1", [3])], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        var a1 = t.Node("Mul", [c1, t.Node("Sigmoid", [c1])]);
        var c2 = t.Node("Conv", [a1, t.Random("w2", [4, 3, 3, 3])], AttributeValue.Ints("strides", [2, 2]), AttributeValue.Ints("pads", [1, 1, 0, 0]));
        var y = t.Node("Tanh", [c2]);
        Assert.IsTrue(CheckAgainstDifferences(t.Output(y).Build(), y, "x", [2, 2, 7, 7]) < 1e-2);
    }

    [TestMethod]
    public void Max_pooling_slicing_padding_and_gathering_match_differences_of_the_gradient()
    {
        // The backward of MaxPool, Slice, Pad, Gather and Tile emits ScatterElements/ScatterND; the masks and winners are
        // piecewise constant, so the product comes from the smooth ops around them.
        var t = new TestGraph();
        var a = t.Node("Tanh", [t.Input("x", -1, 2, 6, 6)]);
        var pooled = t.Node("MaxPool", [a], AttributeValue.Ints("kernel_shape", [2, 2]), AttributeValue.Ints("strides", [2, 2]));
        var sliced = t.Node("Slice", [pooled, t.Int64s("starts", 1), t.Int64s("ends", 3), t.Int64s("axes", 3)]);
        var padded = t.Node("Pad", [sliced, t.Int64s("pads", 0, 0, 0, 1, 0, 0, 0, 0)], AttributeValue.String("mode", "reflect"));
        var gathered = t.Node("Gather", [padded, t.Int64s("rows", 2, 0, 2)], AttributeValue.Int("axis", 2));
        var tiled = t.Node("Tile", [gathered, t.Int64s("repeats", 1, 2, 1, 1)]);
        var y = t.Node("Softmax", [t.Node("Flatten", [tiled])], AttributeValue.Int("axis", 1));
        Assert.IsTrue(CheckAgainstDifferences(t.Output(y).Build(), y, "x", [2, 2, 6, 6]) < 1e-2);
    }

    [TestMethod]
    public void Masked_ops_take_their_masks_as_constants_and_match_differences_of_the_gradient()
    {
        // Abs (Sign), Relu, Clip, Max/Min (Equal masks), Where on a comparison of forward values, ReduceL1 and the
        // variadic Max: their masks are piecewise constant; the curvature comes from the Mul, Exp and Softmax around them.
        var t = new TestGraph();
        var x = t.Input("x", -1, 8);
        var h = Dense(t, x, 8, 8, "l1");
        var a = t.Node("Mul", [t.Node("Abs", [h]), h]);
        var b = t.Node("Clip", [t.Node("Relu", [h]), t.Constant("lo", [], [0.1f]), t.Constant("hi", [], [0.8f])]);
        var c = t.Node("Max", [a, t.Node("Exp", [b])]);
        var d = t.Node("Where", [t.Node("Greater", [h, t.Constant("zero", [], [0f])]), t.Node("Mul", [c, c]), t.Node("Min", [c, h])]);
        var l1 = t.Node("ReduceL1", [t.Node("Mul", [h, h])], AttributeValue.Ints("axes", [1]), AttributeValue.Int("keepdims", 1));
        var y = t.Node("Softmax", [t.Node("Add", [Dense(t, d, 8, 4, "l2"), l1])], AttributeValue.Int("axis", 1));
        // A step of 1e-3: at 1e-2 one Clip bound is crossed between x ± h·v, and the jump of G swamps the difference.
        Assert.IsTrue(CheckAgainstDifferences(t.Output(y).Build(), y, "x", [3, 8], seed: 6, step: 1e-3) < 1e-2);
    }

    [TestMethod]
    public void The_product_is_symmetric()
    {
        var t = new TestGraph();
        var h = t.Node("Sigmoid", [Dense(t, t.Input("x", -1, 6), 6, 6, "l1")]);
        var y = t.Node("Softmax", [Dense(t, t.Node("Mul", [h, t.Node("Tanh", [h])]), 6, 4, "l2")], AttributeValue.Int("axis", 1));
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest
        {
            Output = y,
            Seed = SeedKind.Given,
            WithRespectTo = ["x"],
            HessianVectorProducts = [new HessianVectorProduct("x", HessianVector.Given)],
        });
        using var session = new GradientSession(model, Exact);
        var random = new Random(9);
        var x = GradientCheck.RandomTensor(random, [3, 6]);
        var seed = GradientCheck.RandomTensor(random, [3, 4]);
        var u = GradientCheck.RandomTensor(random, [3, 6]);
        var w = GradientCheck.RandomTensor(random, [3, 6]);
        var hu = session.Run(new Dictionary<string, FloatTensor> { ["x"] = x, [GradientModel.HessianVectorInput("x")] = u }, seed: seed).HessianVectorProducts["x"];
        var hw = session.Run(new Dictionary<string, FloatTensor> { ["x"] = x, [GradientModel.HessianVectorInput("x")] = w }, seed: seed).HessianVectorProducts["x"];
        for (int row = 0; row < 3; row++)
        {
            double uHw = 0, wHu = 0, scale = 0;
            for (int k = row * 6; k < (row + 1) * 6; k++)
            {
                uHw += u.Data[k] * (double)hw.Data[k];
                wHu += w.Data[k] * (double)hu.Data[k];
                scale += Math.Abs(u.Data[k] * (double)hw.Data[k]);
            }

            TestContext.WriteLine($"row {row}: ⟨u, H·w⟩ = {uHw:G7}, ⟨w, H·u⟩ = {wHu:G7}");
            Assert.IsTrue(scale > 1e-3, "no curvature");
            Assert.AreEqual(uHw, wHu, 1e-5 * Math.Max(1, scale), $"row {row}");
        }
    }

    [TestMethod]
    public void The_tensor_value_vector_equals_the_given_vector_equal_to_the_tensor_and_rows_are_independent()
    {
        var t = new TestGraph();
        var y = t.Node("Softmax", [Dense(t, t.Node("Tanh", [Dense(t, t.Input("x", -1, 5), 5, 5, "l1")]), 5, 3, "l2")], AttributeValue.Int("axis", 1));
        var model = t.Output(y).Build();
        var self = GradientModel.Build(model, new GradientRequest { Output = y, WithRespectTo = ["x"], HessianVectorProducts = [new HessianVectorProduct("x")] });
        var given = GradientModel.Build(model, new GradientRequest { Output = y, WithRespectTo = ["x"], HessianVectorProducts = [new HessianVectorProduct("x", HessianVector.Given)] });
        var x = GradientCheck.RandomTensor(new Random(10), [4, 5]);
        long[] targets = [0, 2, -1, 1];
        using var selfSession = new GradientSession(self, Exact);
        using var rowByRow = new GradientSession(self, new ExecutionOptions { OptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL, BatchSize = 1 });
        using var givenSession = new GradientSession(given, Exact);
        var a = selfSession.Run(x, targets).HessianVectorProducts["x"];
        var b = givenSession.Run(new Dictionary<string, FloatTensor> { ["x"] = x, [GradientModel.HessianVectorInput("x")] = x }, targets).HessianVectorProducts["x"];
        var c = rowByRow.Run(x, targets).HessianVectorProducts["x"];
        Assert.IsTrue(a.Data.Any(value => Math.Abs(value) > 1e-4), "H·x is ~0");
        for (int k = 0; k < a.Length; k++)
        {
            Assert.AreEqual(a.Data[k], b.Data[k], 1e-6, $"[{k}] tensor value vs given");
            Assert.AreEqual(a.Data[k], c.Data[k], 1e-6, $"[{k}] batch vs row by row");
        }
    }

    [TestMethod]
    public void A_product_for_a_tensor_whose_gradient_is_not_requested_is_refused()
    {
        var t = new TestGraph();
        var h = t.Node("Tanh", [t.Input("x", -1, 3)]);
        var y = t.Node("Sigmoid", [h]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => GradientModel.Build(t.Output(y).Build(), new GradientRequest
        {
            Output = y,
            Seed = SeedKind.Given,
            WithRespectTo = ["x"],
            HessianVectorProducts = [new HessianVectorProduct(h)],
        }));
        StringAssert.Contains(e.Message, "WithRespectTo");
    }

    /// <summary>
    /// The model with every Relu, Clip and HardSwish replaced by SiLU (x·σ(x)), every HardSigmoid by σ and every MaxPool
    /// by an AveragePool of the same windows (a changed winner jumps G as a flipped mask does).
    /// </summary>
    private static OnnxModel Smoothed(OnnxModel model)
    {
        var proto = ModelProto.Parser.ParseFrom(model.ToBytes());
        var nodes = proto.Graph.Node.ToArray();
        proto.Graph.Node.Clear();
        foreach (var node in nodes)
        {
            if (node.OpType == "MaxPool")
            {
                var average = new NodeProto { OpType = "AveragePool", Name = node.Name + ".average" };
                average.Input.Add(node.Input[0]);
                average.Output.Add(node.Output[0]);
                average.Attribute.AddRange(node.Attribute.Where(a => a.Name is "kernel_shape" or "strides" or "pads" or "auto_pad" or "ceil_mode"));
                proto.Graph.Node.Add(average);
                continue;
            }

            if (node.OpType is not ("Relu" or "Clip" or "HardSwish" or "HardSigmoid"))
            {
                proto.Graph.Node.Add(node);
                continue;
            }

            var sigmoid = new NodeProto { OpType = "Sigmoid", Name = node.Name + ".sigmoid" };
            sigmoid.Input.Add(node.Input[0]);
            sigmoid.Output.Add(node.OpType == "HardSigmoid" ? node.Output[0] : node.Output[0] + ".sigmoid");
            proto.Graph.Node.Add(sigmoid);
            if (node.OpType != "HardSigmoid")
            {
                var product = new NodeProto { OpType = "Mul", Name = node.Name + ".silu" };
                product.Input.Add(node.Input[0]);
                product.Input.Add(sigmoid.Output[0]);
                product.Output.Add(node.Output[0]);
                proto.Graph.Node.Add(product);
            }
        }

        return OnnxModel.Load(proto.ToByteArray());
    }

    /// <summary>The fixture model with a Softmax appended to its logits, as output "probabilities".</summary>
    private static OnnxModel WithSoftmaxHead(OnnxModel model)
    {
        var proto = ModelProto.Parser.ParseFrom(model.ToBytes());
        var logits = proto.Graph.Output[0].Name;
        var node = new NodeProto { OpType = "Softmax", Name = "test.softmax" };
        node.Input.Add(logits);
        node.Output.Add("probabilities");
        node.Attribute.Add(AttributeValue.Int("axis", -1).Proto);
        proto.Graph.Node.Add(node);
        proto.Graph.Output.Clear();
        proto.Graph.Output.Add(new ValueInfoProto { Name = "probabilities" });
        return OnnxModel.Load(proto.ToByteArray());
    }

    /// <summary>
    /// A layer of a fixture network: H·A from the full model against differences of the gradient of the network cut at
    /// the layer (the layer a free input), for the softmax probability of the predicted class.
    /// </summary>
    [TestMethod]
    [DataRow("fmnist_cnn.onnx")]
    [DataRow("fmnist_resnet.onnx")]
    public void Fixture_network_layer_with_a_softmax_target_matches_differences_of_the_gradient(string fileName)
    {
        var model = WithSoftmaxHead(OnnxModel.Load(TestAssets.ModelPath(fileName)));
        var prepared = GradientModel.Prepare(model);
        var input = prepared.InputNames[0];
        var layer = LastFeatureMap(prepared);
        var images = TestAssets.FashionMnistBatch(2);
        var hvModel = GradientModel.Build(model, new GradientRequest { Output = "probabilities", WithRespectTo = [layer], Activations = [layer], HessianVectorProducts = [new HessianVectorProduct(layer)] });
        using var session = new GradientSession(hvModel, Exact);
        var result = session.Run(images);
        var a = result.Outputs[layer];
        var hv = result.HessianVectorProducts[layer];

        var cut = GraphSurgery.CutAt(prepared, layer, a.Shape);
        var cutModel = GradientModel.Build(cut, new GradientRequest { Output = "probabilities", WithRespectTo = [GraphSurgery.CutInput] });
        using var cutSession = new GradientSession(cutModel, Exact);
        double step = 1e-3;
        FloatTensor Shifted(double sign) => new(a.Data.Select(value => (float)(value * (1 + (sign * step)))).ToArray(), a.Shape);
        var feeds = (double sign) => new Dictionary<string, FloatTensor> { [input] = images, [GraphSurgery.CutInput] = Shifted(sign) };
        var plus = cutSession.Run(feeds(1), result.Targets).Gradients[GraphSurgery.CutInput];
        var minus = cutSession.Run(feeds(-1), result.Targets).Gradients[GraphSurgery.CutInput];
        var atA = cutSession.Run(feeds(0), result.Targets).Gradients[GraphSurgery.CutInput];
        for (int k = 0; k < atA.Length; k++)
        {
            Assert.AreEqual(result.Gradients[layer].Data[k], atA.Data[k], 1e-5 + (1e-3 * Math.Abs(atA.Data[k])), $"G[{k}] of the cut network");
        }

        double error = 0, norm = 0, max = 0;
        for (int k = 0; k < hv.Length; k++)
        {
            double numeric = (plus.Data[k] - (double)minus.Data[k]) / (2 * step);
            error += (hv.Data[k] - numeric) * (hv.Data[k] - numeric);
            norm += numeric * numeric;
            max = Math.Max(max, Math.Abs(numeric));
        }

        double relative = Math.Sqrt(error / norm);
        TestContext.WriteLine($"{fileName} layer '{layer}': relative L2 error of H·A {relative:E2}, max |H·A| {max:G3}");
        Assert.IsTrue(max > 1e-6, "H·A is ~0 under a softmax target");
        Assert.IsTrue(relative < 2e-2, $"relative L2 error {relative:E2}");
    }

    /// <summary>
    /// H·v with respect to the input image of every fixture network (CNN, ResNet, MobileNet, DeiT) under a softmax target:
    /// the second sweep runs through every backward op the network's rules emit. Against differences of the gradient
    /// along a small random direction. The kinked activations (ReLU, Clip, HardSwish, HardSigmoid) and max-pooling are
    /// replaced by smooth ones first: across a whole network some mask flips between x ± h·v, and a flip's jump in G divided by 2h
    /// swamps the differences at any h (the product itself is right there, being piecewise defined).
    /// </summary>
    [TestMethod]
    [DataRow("fmnist_cnn.onnx")]
    [DataRow("fmnist_resnet.onnx")]
    [DataRow("fmnist_mobilenet.onnx")]
    [DataRow("fmnist_deit.onnx")]
    public void Fixture_network_input_with_a_softmax_target_matches_differences_of_the_gradient(string fileName)
    {
        var model = WithSoftmaxHead(Smoothed(OnnxModel.Load(TestAssets.ModelPath(fileName))));
        var input = GradientModel.Prepare(model).InputNames[0];
        var images = TestAssets.FashionMnistBatch(1);
        var v = GradientCheck.RandomTensor(new Random(12), images.Shape);
        var hvModel = GradientModel.Build(model, new GradientRequest { Output = "probabilities", WithRespectTo = [input], HessianVectorProducts = [new HessianVectorProduct(input, HessianVector.Given)] });
        using var session = new GradientSession(hvModel, Exact);
        var result = session.Run(new Dictionary<string, FloatTensor> { [input] = images, [GradientModel.HessianVectorInput(input)] = v });
        var hv = result.HessianVectorProducts[input];

        var gradientModel = GradientModel.Build(model, new GradientRequest { Output = "probabilities", WithRespectTo = [input] });
        using var gradients = new GradientSession(gradientModel, Exact);
        double step = 1e-3;
        FloatTensor Shifted(double sign) => new(images.Data.Select((value, k) => (float)(value + (sign * step * v.Data[k]))).ToArray(), images.Shape);
        var plus = gradients.Run(Shifted(1), result.Targets).Gradients[input];
        var minus = gradients.Run(Shifted(-1), result.Targets).Gradients[input];
        double error = 0, norm = 0;
        for (int k = 0; k < hv.Length; k++)
        {
            double numeric = (plus.Data[k] - (double)minus.Data[k]) / (2 * step);
            error += (hv.Data[k] - numeric) * (hv.Data[k] - numeric);
            norm += numeric * numeric;
        }

        double relative = Math.Sqrt(error / norm);
        TestContext.WriteLine($"{fileName} input: relative L2 error of H·v {relative:E2}, ‖FD‖ {Math.Sqrt(norm):G3}, ‖H·v‖ {Math.Sqrt(hv.Data.Sum(h => (double)h * h)):G3}");
        Assert.IsTrue(norm > 1e-12, "H·v is ~0 under a softmax target");
        Assert.IsTrue(relative < 5e-2, $"relative L2 error {relative:E2}");
    }

    [TestMethod]
    public void Fixture_cnn_under_a_logit_target_has_a_zero_product()
    {
        // Conv, ReLU, pooling and Gemm after the layer are piecewise linear: the Hessian of a logit is 0 there.
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var prepared = GradientModel.Prepare(model);
        var layer = LastFeatureMap(prepared);
        var hvModel = GradientModel.Build(model, new GradientRequest { Output = prepared.OutputNames[0], WithRespectTo = [layer], HessianVectorProducts = [new HessianVectorProduct(layer)] });
        using var session = new GradientSession(hvModel, Exact);
        var result = session.Run(TestAssets.FashionMnistBatch(2));
        Assert.IsTrue(result.Gradients[layer].Data.Any(g => g != 0));
        Assert.IsTrue(result.HessianVectorProducts[layer].Data.All(h => h == 0));
    }

    /// <summary>The last 4-D tensor produced by a Relu (the last convolutional feature map of the fixtures).</summary>
    private static string LastFeatureMap(OnnxModel prepared)
    {
        var shapes = ShapeProbe.Run(prepared);
        return prepared.Proto.Graph.Node.Where(n => n.OpType == "Relu" && shapes[n.Output[0]].Rank == 4).Select(n => n.Output[0]).Last();
    }
}
