using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>
/// Graphs that ONNX Runtime runs but whose structure goes beyond a sorted list of plain nodes: nodes listed out of
/// topological order, If branches reading tensors of the outer graph, cycles. Gradients are checked by finite
/// differences and by hand (y = Relu(x) + 2x has ∂y/∂x = 3 where x &gt; 0 and 2 where x &lt; 0), or a clear refusal naming
/// the node is expected.
/// </summary>
[TestClass]
public sealed class GraphStructureGradientTests
{
    private static readonly FloatTensor X = new([0.5f, -0.7f, 1.3f, -0.2f, 0.9f, -1.1f], 2, 3);

    [TestMethod]
    public void Nodes_listed_in_reverse_order_get_the_true_gradient()
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 3);
        var relu = g.Node("Relu", [x]);
        var twice = g.Node("Mul", [x, g.Constant("two", [], [2f])]);
        var y = g.Node("Add", [relu, twice]);
        g.Output(y);
        Reverse(g.Graph);
        var model = g.Build();
        Assert.AreEqual("Add", model.Proto.Graph.Node[0].OpType, "the test graph must really be unsorted");

        var gradient = InputGradient(model, y, X);
        for (int i = 0; i < X.Length; i++)
        {
            Assert.AreEqual(X.Data[i] > 0 ? 3f : 2f, gradient.Data[i], 1e-6f, $"∂y/∂x[{i}] at x = {X.Data[i]}");
        }

        GradientCheck.AgainstFiniteDifferences(model, y, new Dictionary<string, FloatTensor> { ["x"] = X });
    }

    [TestMethod]
    public void Fixture_cnn_with_its_node_list_reversed_has_the_same_gradients()
    {
        var original = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var reversed = original.Clone();
        Reverse(reversed.Proto.Graph);
        var x = TestAssets.FashionMnistBatch(2);

        var expected = InputGradient(original, "logits", x, SeedKind.OneHotTarget);
        var actual = InputGradient(reversed, "logits", x, SeedKind.OneHotTarget);
        CollectionAssert.AreEqual(expected.Shape, actual.Shape);
        Assert.IsTrue(expected.Data.Any(v => v != 0), "the reference gradient must not be zero");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected.Data[i], actual.Data[i], 1e-5f * (1 + Math.Abs(expected.Data[i])), $"element {i}");
        }
    }

    [TestMethod]
    public void If_with_a_constant_initializer_condition_differentiates_the_branch_taken_that_reads_x()
    {
        // y = If(true){ x·three } else { x } + x, with "three" a branch initializer: ∂y/∂x = 3 + 1.
        var (model, y) = IfModel(condition: true, conditionAsConstantNode: false);
        var gradient = InputGradient(model, y, X);
        Assert.IsTrue(gradient.Data.All(v => Math.Abs(v - 4f) < 1e-6f), $"expected 4 everywhere, got [{string.Join(", ", gradient.Data)}]");
        GradientCheck.AgainstFiniteDifferences(model, y, new Dictionary<string, FloatTensor> { ["x"] = X });
    }

    [TestMethod]
    public void If_with_a_constant_node_condition_differentiates_the_else_branch()
    {
        // y = If(false){ x·three } else { Relu(x) } + x: ∂y/∂x = 2 where x > 0, 1 where x < 0.
        var (model, y) = IfModel(condition: false, conditionAsConstantNode: true);
        var gradient = InputGradient(model, y, X);
        for (int i = 0; i < X.Length; i++)
        {
            Assert.AreEqual(X.Data[i] > 0 ? 2f : 1f, gradient.Data[i], 1e-6f, $"∂y/∂x[{i}]");
        }

        GradientCheck.AgainstFiniteDifferences(model, y, new Dictionary<string, FloatTensor> { ["x"] = X });
    }

    [TestMethod]
    public void If_whose_condition_depends_on_the_input_is_refused_naming_the_node()
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 3);
        var sum = g.Node("ReduceSum", [x, g.Int64s("axes", 0, 1)], AttributeValue.Int("keepdims", 0));
        var positive = g.Node("Greater", [sum, g.Constant("zero", [], [0f])]);
        var node = IfNode("data_dependent_if", positive, Branch("then", "Mul", "x", "three", 3f), Branch("else", "Relu", "x", null, 0f), "if_out");
        g.Graph.Node.Add(node);
        var y = g.Node("Add", ["if_out", x]);
        g.Output(y);
        var model = g.Build();

        var e = Assert.ThrowsExactly<GradientException>(() => GradientModel.Build(model, new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] }));
        StringAssert.Contains(e.Message, "data_dependent_if");
        StringAssert.Contains(e.Message, "'x'");
    }

    [TestMethod]
    public void A_loop_whose_body_reads_the_input_is_refused_naming_the_node()
    {
        // v ← v + x, twice, with x read by the body from the outer graph: no backward rule for Loop, so a refusal.
        var g = new TestGraph();
        var x = g.Input("x", -1, 3);
        g.Graph.Initializer.Add(TensorProtos.Int64("trips", [], [2]));
        var body = new GraphProto { Name = "body" };
        body.Input.Add(Typed("i", TensorProto.Types.DataType.Int64, []));
        body.Input.Add(Typed("cond_in", TensorProto.Types.DataType.Bool, []));
        body.Input.Add(Typed("v_in", TensorProto.Types.DataType.Float, ["N", 3L]));
        body.Node.Add(new NodeProto { OpType = "Identity", Name = "keep_going", Input = { "cond_in" }, Output = { "cond_out" } });
        body.Node.Add(new NodeProto { OpType = "Add", Name = "accumulate", Input = { "v_in", x }, Output = { "v_out" } });
        body.Output.Add(Typed("cond_out", TensorProto.Types.DataType.Bool, []));
        body.Output.Add(Typed("v_out", TensorProto.Types.DataType.Float, ["N", 3L]));
        g.Graph.Node.Add(new NodeProto
        {
            OpType = "Loop", Name = "accumulating_loop", Input = { "trips", "", x }, Output = { "loop_out" },
            Attribute = { new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body } },
        });
        g.Output("loop_out");
        var model = g.Build();

        var e = Assert.ThrowsExactly<GradientException>(() => GradientModel.Build(model, new GradientRequest { Output = "loop_out", Seed = SeedKind.Given, WithRespectTo = ["x"] }));
        StringAssert.Contains(e.Message, "accumulating_loop");
        StringAssert.Contains(e.Message, "Loop");
    }

    /// <summary>A typed value with a shape: dimensions are sizes (long) or symbolic names (string); none for a scalar.</summary>
    private static ValueInfoProto Typed(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string p ? new TensorShapeProto.Types.Dimension { DimParam = p } : new TensorShapeProto.Types.Dimension { DimValue = (long)d });
        }

        return new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    [TestMethod]
    public void A_cyclic_graph_is_refused_naming_its_nodes()
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 3);
        g.Graph.Node.Add(new NodeProto { OpType = "Add", Name = "loop_a", Input = { x, "b" }, Output = { "a" } });
        g.Graph.Node.Add(new NodeProto { OpType = "Relu", Name = "loop_b", Input = { "a" }, Output = { "b" } });
        g.Output("b");
        var model = g.Build();

        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => GradientModel.Build(model, new GradientRequest { Output = "b", Seed = SeedKind.Given, WithRespectTo = ["x"] }));
        StringAssert.Contains(e.Message, "cycle");
        StringAssert.Contains(e.Message, "loop_a");
        StringAssert.Contains(e.Message, "loop_b");
    }

    [TestMethod]
    public void Graph_index_lists_a_node_whose_subgraph_reads_a_tensor_as_its_consumer()
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 3);
        g.Graph.Initializer.Add(BoolScalar("cond", true));
        g.Graph.Node.Add(IfNode("reads_x", "cond", Branch("then", "Mul", "x", "three", 3f), Branch("else", "Relu", "x", null, 0f), "if_out"));
        g.Output("if_out");
        var index = g.Build().Index();
        var consumers = index.ConsumersOf(x);
        Assert.IsTrue(consumers.Any(c => c.NodeName == "reads_x" && c.InputIndex == GraphIndex.CapturedInput), "the If reads x in its branches");
    }

    private static (OnnxModel Model, string Output) IfModel(bool condition, bool conditionAsConstantNode)
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 3);
        if (conditionAsConstantNode)
        {
            g.Graph.Node.Add(new NodeProto { OpType = "Constant", Name = "cond_node", Output = { "cond" }, Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = BoolScalar("", condition) } } });
        }
        else
        {
            g.Graph.Initializer.Add(BoolScalar("cond", condition));
        }

        // The If comes before the node that reads its output, and the branch names "t"/"e" also exist in the other branch.
        g.Graph.Node.Add(IfNode("constant_if", "cond", Branch("then", "Mul", "x", "three", 3f), Branch("else", "Relu", "x", null, 0f), "if_out"));
        var y = g.Node("Add", ["if_out", x]);
        g.Output(y);
        return (g.Build(), y);
    }

    private static NodeProto IfNode(string name, string condition, GraphProto thenBranch, GraphProto elseBranch, string output) => new()
    {
        OpType = "If",
        Name = name,
        Input = { condition },
        Output = { output },
        Attribute =
        {
            new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = thenBranch },
            new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = elseBranch },
        },
    };

    /// <summary>A branch computing op(outer, constant) or op(outer) into "branch_out", reading <paramref name="outer"/> from the enclosing graph.</summary>
    private static GraphProto Branch(string name, string op, string outer, string? constant, float value)
    {
        var graph = new GraphProto { Name = name };
        var node = new NodeProto { OpType = op, Name = "inner", Input = { outer }, Output = { "branch_out" } };
        if (constant is not null)
        {
            graph.Initializer.Add(TensorProtos.Float(constant, [], [value]));
            node.Input.Add(constant);
        }

        graph.Node.Add(node);
        graph.Output.Add(new ValueInfoProto { Name = "branch_out", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        return graph;
    }

    private static TensorProto BoolScalar(string name, bool value) =>
        new() { Name = name, DataType = (int)TensorProto.Types.DataType.Bool, RawData = ByteString.CopyFrom((byte)(value ? 1 : 0)) };

    private static void Reverse(GraphProto graph)
    {
        var nodes = graph.Node.Reverse().ToArray();
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
    }

    /// <summary>The gradient of ⟨1, y⟩ (given seed of ones) or of the predicted class's score (one-hot) with respect to input "x"/"input".</summary>
    private static FloatTensor InputGradient(OnnxModel model, string output, FloatTensor x, SeedKind seed = SeedKind.Given)
    {
        var input = model.InputNames[0];
        var gradientModel = GradientModel.Build(model, new GradientRequest { Output = output, Seed = seed, WithRespectTo = [input] });
        using var session = new GradientSession(gradientModel);
        if (seed == SeedKind.OneHotTarget)
        {
            return session.Run(x).Gradients[input];
        }

        var shape = gradientModel.Shapes[output].Shape.Select((d, i) => d < 0 ? x.Shape[i] : d).ToArray();
        var ones = new FloatTensor(Enumerable.Repeat(1f, (int)shape.Aggregate(1L, (a, b) => a * b)).ToArray(), shape);
        return session.Run(x, ones).Gradients[input];
    }
}
