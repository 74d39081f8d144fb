using System.Globalization;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// Graph rewrites that bring a model into the form LRP rules expect (Zennit's canonizers). Each returns a new model;
/// the model given (and any file it came from) is never modified.
/// </summary>
public static class LrpCanonizers
{
    /// <summary>
    /// Folds every BatchNormalization (inference form) that directly follows a Conv or Gemm into that layer:
    /// with s = γ / √(var + ε) per output channel, W′ = W·s (Conv: per output channel; Gemm: per output column) and
    /// b′ = (b − μ)·s + β (Gemm: C′ = β_Gemm·C·s + β − μ·s, with the Gemm's beta set to 1). The layer then writes the
    /// BatchNormalization's output tensor and the BatchNormalization node is removed. A BatchNormalization is left in
    /// place when the layer's output has other readers or is a graph output, when parameters are not initializers, or
    /// when it follows anything else; under an LRP composite such a node gets the Pass rule (documented on
    /// <see cref="LrpComposite"/>). New weight tensors are added under new names, so weights shared with other nodes are
    /// untouched. Residual Adds need no rewrite (the composites give Add the Norm rule).
    /// </summary>
    /// <param name="model">The model (any opset; nodes topologically sorted).</param>
    /// <returns>The folded copy, and how many BatchNormalization nodes were folded.</returns>
    public static (OnnxModel Model, int Folded) FoldBatchNormalization(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        int folded = 0;
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var names = graph.Initializer.Select(t => t.Name).Concat(graph.Node.SelectMany(n => n.Output)).ToHashSet(StringComparer.Ordinal);
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var bn = graph.Node[n];
            if (bn.OpType != "BatchNormalization" || bn.Domain is not ("" or "ai.onnx") || bn.Input.Count < 5 || bn.Output.Skip(1).Any(o => o.Length > 0) || bn.GetInt("training_mode", 0) != 0)
            {
                continue;
            }

            var producerIndex = Enumerable.Range(0, n).LastOrDefault(p => graph.Node[p].Output.Contains(bn.Input[0]), -1);
            if (producerIndex < 0)
            {
                continue;
            }

            var layer = graph.Node[producerIndex];
            bool singleReader = graph.Node.Count(node => node.Input.Contains(bn.Input[0])) == 1 && !outputs.Contains(bn.Input[0]);
            if (!singleReader || layer.OpType is not ("Conv" or "Gemm") || layer.Domain is not ("" or "ai.onnx") || layer.Output.Count != 1)
            {
                continue;
            }

            var parameters = bn.Input.Skip(1).Take(4).Select(name => Initializer(graph, name)).ToArray();
            var weights = Initializer(graph, layer.Input[1]);
            var bias = layer.Input.Count > 2 && layer.Input[2].Length > 0 ? Initializer(graph, layer.Input[2]) : null;
            if (parameters.Any(p => p is null) || weights is null || (layer.Input.Count > 2 && layer.Input[2].Length > 0 && bias is null))
            {
                continue;
            }

            var (gamma, beta, mean, variance) = (Values(parameters[0]!), Values(parameters[1]!), Values(parameters[2]!), Values(parameters[3]!));
            double epsilon = bn.GetFloat("epsilon", 1e-5f);
            int channels = mean.Length;
            var scale = Enumerable.Range(0, channels).Select(o => gamma[o] / Math.Sqrt(variance[o] + epsilon)).ToArray();
            var shift = Enumerable.Range(0, channels).Select(o => beta[o] - (mean[o] * scale[o])).ToArray();
            var w = Values(weights);
            double[] newBias;
            if (layer.OpType == "Conv")
            {
                if (weights.Dims.Count < 1 || weights.Dims[0] != channels)
                {
                    continue;
                }

                int perChannel = w.Length / channels;
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] *= scale[i / perChannel];
                }

                var b = bias is null ? new double[channels] : Values(bias);
                newBias = Enumerable.Range(0, channels).Select(o => (b[o] * scale[o]) + shift[o]).ToArray();
            }
            else
            {
                bool transB = layer.GetInt("transB", 0) != 0;
                if (weights.Dims.Count != 2 || weights.Dims[transB ? 0 : 1] != channels)
                {
                    continue;
                }

                long k = weights.Dims[transB ? 1 : 0];
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] *= scale[transB ? i / (int)k : i % channels];
                }

                double gemmBeta = layer.GetFloat("beta", 1f);
                double[] c = bias is null ? new double[channels] : Values(bias);
                if (c.Length != 1 && c.Length != channels)
                {
                    continue;
                }

                newBias = Enumerable.Range(0, channels).Select(o => (gemmBeta * c[c.Length == 1 ? 0 : o] * scale[o]) + shift[o]).ToArray();
                layer.RemoveAttribute("beta");
                layer.Attribute.Add(NodeExtensions.Float("beta", 1f));
            }

            var weightName = Fresh(names, layer.Input[1] + "_bnfold");
            var biasName = Fresh(names, (bias?.Name ?? layer.Output[0]) + "_bnfold_bias");
            graph.Initializer.Add(TensorProtos.OfType(weightName, (TensorProto.Types.DataType)weights.DataType, weights.Dims, w));
            graph.Initializer.Add(TensorProtos.OfType(biasName, (TensorProto.Types.DataType)weights.DataType, [channels], newBias));
            layer.Input[1] = weightName;
            if (layer.Input.Count > 2)
            {
                layer.Input[2] = biasName;
            }
            else
            {
                layer.Input.Add(biasName);
            }

            var removed = layer.Output[0];
            layer.Output[0] = bn.Output[0];
            foreach (var info in graph.ValueInfo.Where(v => v.Name == removed).ToArray())
            {
                graph.ValueInfo.Remove(info);
            }

            graph.Node.RemoveAt(n);
            n--;
            folded++;
        }

        return (new OnnxModel(proto), folded);
    }

    /// <summary>A copy in which every unnamed node, and every node repeating an earlier node's name, gets a fresh name "lrp_node_{index}" (so node rules address exactly one node).</summary>
    internal static OnnxModel NameNodes(OnnxModel model)
    {
        var proto = model.Proto.Clone();
        var taken = proto.Graph.Node.Select(n => n.Name).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int n = 0; n < proto.Graph.Node.Count; n++)
        {
            var node = proto.Graph.Node[n];
            if (node.Name.Length == 0 || !seen.Add(node.Name))
            {
                node.Name = Fresh(taken, "lrp_node_" + n.ToString(CultureInfo.InvariantCulture));
                seen.Add(node.Name);
            }
        }

        return new OnnxModel(proto);
    }

    private static TensorProto? Initializer(GraphProto graph, string name) => graph.Initializer.FirstOrDefault(t => t.Name == name);

    private static double[] Values(TensorProto t) => TensorProtos.ToDoubles(t);

    private static string Fresh(HashSet<string> used, string hint)
    {
        var name = hint;
        for (int i = 1; !used.Add(name); i++)
        {
            name = hint + "_" + i.ToString(CultureInfo.InvariantCulture);
        }

        return name;
    }
}
