using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Tests.Onnx;

/// <summary>
/// The small public graph API the higher assemblies use instead of the protobuf binding: nodes, declared inputs, float
/// initializers read and replaced, composition, the explained-output rule; and the rule that only test assemblies see
/// the core's internals.
/// </summary>
[TestClass]
public sealed class ModelInspectionTests
{
    /// <summary>x [N, 2] → MatMul W [2, 3] → Add b → Relu → y; a second int64 input unused by the float path.</summary>
    private static OnnxModel Linear()
    {
        var t = new TestGraph(seed: 3);
        var x = t.Input("x", -1, 2);
        var w = t.Constant("W", [2, 3], [1, 2, 3, 4, 5, 6]);
        var b = t.Constant("b", [3], [0.5f, -1, 0]);
        var y = t.Node("Relu", [t.Node("Add", [t.Node("MatMul", [x, w]), b])]);
        return t.Output(y).Build();
    }

    private static float[] Run(OnnxModel model, float[] x)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model.ToBytes());
        using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(model.InputNames[0], new DenseTensor<float>(x, [x.Length / 2, 2]))]);
        return results[0].AsEnumerable<float>().ToArray();
    }

    [TestMethod]
    public void NodesAndDeclaredInputsDescribeTheGraph()
    {
        var model = Linear();
        var nodes = model.Nodes;
        CollectionAssert.AreEqual(new[] { "MatMul", "Add", "Relu" }, nodes.Select(n => n.OpType).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1, 2 }, nodes.Select(n => n.Index).ToArray());
        Assert.AreEqual("W", nodes[0].Inputs[1]);
        Assert.AreEqual(nodes[0].Outputs[0], nodes[1].Inputs[0]);
        var input = model.DeclaredInputs.Single();
        Assert.AreEqual("x", input.Name);
        Assert.AreEqual(TensorElementType.Float, input.ElementType);
        CollectionAssert.AreEqual(new long[] { -1, 2 }, input.Shape.ToArray());
        CollectionAssert.AreEquivalent(new[] { "W", "b" }, model.FloatInitializerNames.ToArray());
    }

    [TestMethod]
    public void ReplacedInitializersChangeWhatTheModelComputes()
    {
        var model = Linear();
        var (dims, values) = model.GetFloatInitializer("W");
        CollectionAssert.AreEqual(new long[] { 2, 3 }, dims.ToArray());
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6 }, values);

        var changed = model.WithFloatInitializers(new Dictionary<string, float[]> { ["W"] = [1, 0, 0, 0, 1, -1] });
        // y = relu(x·W + b) with x = [2, 3]: [2 + 0.5, 3 − 1, −3 + 0] → [2.5, 2, 0].
        CollectionAssert.AreEqual(new[] { 2.5f, 2f, 0f }, Run(changed, [2, 3]));
        // The original is untouched: [2·1 + 3·4 + 0.5, 2·2 + 3·5 − 1, 2·3 + 3·6] = [14.5, 18, 24].
        CollectionAssert.AreEqual(new[] { 14.5f, 18f, 24f }, Run(model, [2, 3]));
    }

    [TestMethod]
    public void InitializerMistakesNameTheTensor()
    {
        var model = Linear();
        var unknown = Assert.ThrowsExactly<UnknownTensorException>(() => model.GetFloatInitializer("nope"));
        StringAssert.Contains(unknown.Message, "'nope'");
        var wrong = Assert.ThrowsExactly<ArgumentException>(() => model.WithFloatInitializers(new Dictionary<string, float[]> { ["b"] = [1, 2] }));
        StringAssert.Contains(wrong.Message, "'b' [3] holds 3 values; 2 were given");
    }

    [TestMethod]
    public void InputOffsetComputesTheModelOfTheShiftedInput()
    {
        var shifted = ModelComposition.WithInputOffset(Linear(), 1);
        // f(x − 1) at x = [3, 4] is f([2, 3]).
        CollectionAssert.AreEqual(Run(Linear(), [2, 3]), Run(shifted, [3, 4]));
    }

    [TestMethod]
    public void ChainFeedsTheFirstModelsOutputToTheSecond()
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 2);
        var doubled = t.Node("Mul", [x, t.Constant("two", [1], [2])]);
        var chained = ModelComposition.Chain(t.Output(doubled).Build(), Linear());
        CollectionAssert.AreEqual(Run(Linear(), [4, 6]), Run(chained, [2, 3]));
        var (_, w) = chained.GetFloatInitializer("pre/two");
        CollectionAssert.AreEqual(new[] { 2f }, w);
    }

    [TestMethod]
    public void ExplainedOutputPrefersTheFirstClassScoreOutput()
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 2, 2, 2);
        var map = t.Node("Relu", [x]);
        var scores = t.Node("Flatten", [t.Node("GlobalAveragePool", [map])], AttributeValue.Int("axis", 1));
        var model = t.Output(map, scores).Build();
        Assert.AreEqual(scores, ExplainedOutput.Resolve(model));
        Assert.AreEqual(map, ExplainedOutput.Resolve(model, map));
        Assert.ThrowsExactly<UnknownTensorException>(() => ExplainedOutput.Resolve(model, "missing"));
    }

    /// <summary>Only test assemblies (and the zoo's LRP conservation harness) may see the core's internals.</summary>
    [TestMethod]
    public void OnlyTestAssembliesSeeTheCoresInternals()
    {
        var friends = typeof(OnnxModel).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToArray();
        Assert.IsTrue(friends.Length > 0);
        var shipped = friends.Where(f => !f.EndsWith(".Tests", StringComparison.Ordinal) && f != "Microsoft.ML.Explainability.ZooCheck").ToArray();
        Assert.AreEqual(0, shipped.Length, "Shipped assemblies with access to internals: " + string.Join(", ", shipped));
    }
}
