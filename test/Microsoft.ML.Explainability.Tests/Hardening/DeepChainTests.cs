using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Tests.Hardening;

/// <summary>A model whose size drives a walk over a node chain must not overflow the stack.</summary>
[TestClass]
public sealed class DeepChainTests
{
    [TestMethod]
    [Timeout(60_000)]
    public void An_opset_10_model_with_a_100000_node_identity_chain_is_upgraded_and_prepared()
    {
        // x → Identity × 100,000 → Clip(min, max as attributes): upgrading Clip to opset 11 looks up the element type of
        // its input, which lies at the far end of the chain.
        const int chain = 100_000;
        var model = new ModelProto { IrVersion = 5, ProducerName = "tests", Graph = new GraphProto { Name = "chain" } };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 10 });
        model.Graph.Input.Add(new ValueInfoProto
        {
            Name = "x",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = 1 }, new TensorShapeProto.Types.Dimension { DimValue = 4 } } } } },
        });
        var previous = "x";
        for (int i = 0; i < chain; i++)
        {
            var output = $"t{i}";
            model.Graph.Node.Add(new NodeProto { OpType = "Identity", Name = $"id{i}", Input = { previous }, Output = { output } });
            previous = output;
        }

        model.Graph.Node.Add(new NodeProto
        {
            OpType = "Clip", Name = "clip", Input = { previous }, Output = { "y" },
            Attribute = { new AttributeProto { Name = "min", Type = AttributeProto.Types.AttributeType.Float, F = 0 }, new AttributeProto { Name = "max", Type = AttributeProto.Types.AttributeType.Float, F = 1 } },
        });
        model.Graph.Output.Add(new ValueInfoProto { Name = "y" });

        var loaded = OnnxModel.Load(model.ToByteArray());
        var prepared = GradientModel.Prepare(loaded);
        Assert.AreEqual(17, prepared.Opset);
        var clip = prepared.Proto.Graph.Node.Single(n => n.OpType == "Clip");
        Assert.AreEqual(3, clip.Input.Count, "min and max became inputs");
        var min = prepared.Proto.Graph.Initializer.Concat(prepared.Proto.Graph.Node.Where(n => n.OpType == "Constant").Select(n => n.Attribute[0].T))
            .FirstOrDefault(t => t.Name == clip.Input[1]);
        if (min is not null)
        {
            Assert.AreEqual((int)TensorProto.Types.DataType.Float, min.DataType, "the constant takes x's element type, found at the end of the chain");
        }

        Assert.AreEqual(chain + 1, prepared.Proto.Graph.Node.Count(n => n.OpType is "Identity" or "Clip"));
    }
}
