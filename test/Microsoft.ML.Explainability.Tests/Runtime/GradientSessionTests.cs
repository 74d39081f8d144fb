using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Runtime;

/// <summary>Batching, targets, outputs and model I/O of the engine on real models.</summary>
[TestClass]
public sealed class GradientSessionTests
{
    [TestMethod]
    public void Batches_split_across_calls_give_the_rows_of_a_single_call_in_order()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_resnet.onnx"));
        var gradients = GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["input", "target_act"], Activations = ["target_act"] });
        var x = TestAssets.FashionMnistBatch(7);
        long[] targets = [0, -1, 2, 3, -1, 5, 9];
        using var whole = new GradientSession(gradients, new ExecutionOptions { BatchSize = 7 });
        using var split = new GradientSession(gradients, new ExecutionOptions { BatchSize = 3, IntraOpThreads = 1 });
        var a = whole.Run(x, targets);
        var b = split.Run(x, targets);
        CollectionAssert.AreEqual(a.Targets, b.Targets);
        foreach (var name in new[] { "input", "target_act" })
        {
            Assert.IsTrue(a.Gradients[name].Shape.SequenceEqual(b.Gradients[name].Shape));
            for (int i = 0; i < a.Gradients[name].Length; i++)
            {
                Assert.AreEqual(a.Gradients[name].Data[i], b.Gradients[name].Data[i], 1e-5f + (1e-4f * Math.Abs(a.Gradients[name].Data[i])));
            }
        }

        Assert.AreEqual(7, b.Outputs["target_act"].BatchSize);
        Assert.AreEqual(7, b.Outputs["logits"].BatchSize);
    }

    [TestMethod]
    public void Predicted_targets_are_the_argmax_and_the_target_score_is_the_logit()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        using var session = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["input"] }));
        var result = session.Run(TestAssets.FashionMnistBatch(6), [-1, 4, -1, -1, 0, -1]);
        var logits = result.Outputs["logits"];
        for (int row = 0; row < 6; row++)
        {
            var scores = logits.Row(row).ToArray();
            long argmax = Array.IndexOf(scores, scores.Max());
            long expected = row == 1 ? 4 : row == 4 ? 0 : argmax;
            Assert.AreEqual(expected, result.Targets![row], $"row {row}");
            Assert.AreEqual(scores[expected], result.TargetScores![row], 1e-5f);
        }
    }

    [TestMethod]
    public void One_hot_seed_gives_the_same_gradient_as_the_equivalent_given_seed()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var x = TestAssets.FashionMnistBatch(3);
        using var oneHot = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["input"] }));
        using var given = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = "logits", Seed = SeedKind.Given, WithRespectTo = ["input"] }));
        var a = oneHot.Run(x, [1, 5, 8]).Gradients["input"];
        var seed = FloatTensor.Zeros(3, 10);
        seed[0, 1] = 1;
        seed[1, 5] = 1;
        seed[2, 8] = 1;
        var b = given.Run(new Dictionary<string, FloatTensor> { ["input"] = x }, seed: seed).Gradients["input"];
        CollectionAssert.AreEqual(a.Data, b.Data);
    }

    [TestMethod]
    public void Gradients_meeting_at_a_tensor_are_summed()
    {
        // y = Relu(x)·x + x: dy/dx = 2x + 1 where x > 0 and 1 where x < 0.
        var t = new TestGraph();
        var x = t.Input("x", -1, 4);
        var y = t.Node("Add", [t.Node("Mul", [t.Node("Relu", [x]), x]), x]);
        var model = GradientModel.Build(t.Output(y).Build(), new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = [x] });
        using var session = new GradientSession(model);
        var input = new FloatTensor([-2, -0.5f, 0.5f, 3], 1, 4);
        var gradient = session.Run(new Dictionary<string, FloatTensor> { [x] = input }, seed: new FloatTensor([1, 1, 1, 1], 1, 4)).Gradients[x];
        CollectionAssert.AreEqual(new float[] { 1, 1, 2, 7 }, gradient.Data);
    }

    [TestMethod]
    public void Only_nodes_between_the_seed_and_the_requested_tensors_get_backward_nodes()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var toLayer = GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["target_act"] });
        var toInput = GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["input"] });
        // Not counting the ReLU masks' per-channel 1×1 convolutions, which feed a Clip.
        static int BackwardConvolutions(GradientModel m)
        {
            var graph = m.Model.Proto.Graph;
            var clipped = graph.Node.Where(n => n.OpType == "Clip").Select(n => n.Input[0]).ToHashSet(StringComparer.Ordinal);
            return graph.Node.Count(n => n.Name.StartsWith("grad/", StringComparison.Ordinal) && n.OpType is "Conv" or "ConvTranspose" && !clipped.Contains(n.Output[0]));
        }

        Assert.AreEqual(0, BackwardConvolutions(toLayer), "no convolution lies between the last conv block's output and the logits");
        // 5 convolutions; the first one's input gradient is the input gradient itself.
        Assert.AreEqual(5, BackwardConvolutions(toInput));
        Assert.IsTrue(toInput.Model.Proto.Graph.Node.All(n => n.Domain is "" or null), "standard ops only");
    }

    [TestMethod]
    public void The_extended_model_round_trips_and_the_source_file_is_untouched()
    {
        var path = TestAssets.ModelPath("fmnist_cnn.onnx");
        var before = File.ReadAllBytes(path);
        var model = OnnxModel.Load(path);
        var gradients = GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["input"] });
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
        Assert.AreEqual(before.Length, model.ToBytes().Length, "the loaded model is not modified by building on it");

        var file = Path.Combine(Path.GetTempPath(), $"xai-{Guid.NewGuid():N}.onnx");
        try
        {
            gradients.Model.Save(file);
            var reloaded = OnnxModel.Load(file);
            CollectionAssert.AreEqual(gradients.Model.ToBytes(), reloaded.ToBytes());
            using var stream = new MemoryStream(reloaded.ToBytes());
            Assert.AreEqual(reloaded.NodeCount, OnnxModel.Load(stream).NodeCount);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [TestMethod]
    public void Any_intermediate_tensor_can_be_exposed_as_an_output_and_the_probe_lists_producers_and_consumers()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_resnet.onnx"));
        var shapes = ShapeProbe.Run(model);
        var add = shapes.Tensors.First(t => t.Producer?.StartsWith("Add", StringComparison.Ordinal) == true);
        Assert.AreEqual(4, add.Rank);
        Assert.AreEqual(-1, add.Shape[0], "batch dimension marked");
        Assert.IsTrue(add.Consumers.Count >= 1);
        var exposed = model.WithOutputs(add.Name);
        Assert.AreEqual(model.OutputNames.Count + 1, exposed.OutputNames.Count);
        using var forward = new Forward(exposed);
        var value = forward.Run(add.Name, new Dictionary<string, FloatTensor> { ["input"] = TestAssets.FashionMnistBatch(2) });
        Assert.IsTrue(value.Shape.Skip(1).SequenceEqual(add.Shape.Skip(1)));
    }
}
