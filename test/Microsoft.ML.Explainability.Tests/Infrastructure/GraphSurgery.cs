using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Tests.Infrastructure;

/// <summary>Test-side graph edits used to check gradients with respect to intermediate tensors.</summary>
internal static class GraphSurgery
{
    public const string CutInput = "cut_input";

    /// <summary>
    /// A copy of <paramref name="model"/> in which every consumer of <paramref name="tensor"/> reads a new graph input
    /// <see cref="CutInput"/> instead, so the rest of the network is a function of that tensor alone: finite
    /// differences on this input are finite differences with respect to the intermediate tensor.
    /// </summary>
    public static OnnxModel CutAt(OnnxModel model, string tensor, long[] shape)
    {
        var proto = ModelProto.Parser.ParseFrom(model.ToBytes());
        foreach (var node in proto.Graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == tensor)
                {
                    node.Input[i] = CutInput;
                }
            }
        }

        var dims = new TensorShapeProto();
        foreach (var d in shape)
        {
            dims.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        proto.Graph.Input.Add(new ValueInfoProto
        {
            Name = CutInput,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = dims } },
        });
        proto.Graph.ValueInfo.Clear();
        return OnnxModel.Load(proto.ToByteArray());
    }
}
