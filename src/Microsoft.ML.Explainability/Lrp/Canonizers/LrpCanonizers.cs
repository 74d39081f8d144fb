using System.Globalization;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Lrp.Canonizers;

/// <summary>
/// The built-in canonizers: graph rewrites that bring a model into the form LRP rules expect, without changing its
/// outputs (Zennit's canonizers). List and compose them as <see cref="LrpCanonizer"/> objects on a composite
/// (<see cref="LrpComposite.WithCanonizers"/>). Each returns a new model; the model given is never modified.
/// </summary>
public static class LrpCanonizers
{
    /// <summary>
    /// Zennit's <c>MergeBatchNorm</c>: folds every BatchNormalization (inference form) that directly follows a Conv or
    /// Gemm into that layer: with s = γ / √(var + ε) per output channel, W′ = W·s (Conv: per output channel; Gemm: per
    /// output column) and b′ = (b − μ)·s + β (Gemm: C′ = β_Gemm·C·s + β − μ·s, with the Gemm's beta set to 1). The layer
    /// then writes the BatchNormalization's output tensor and the BatchNormalization node is removed. A
    /// BatchNormalization is left in place when the layer's output has other readers or is a graph output, when
    /// parameters are not constants, or when it follows anything else. Exact: the outputs are unchanged.
    /// </summary>
    public static LrpCanonizer MergeBatchNormalization { get; } = new Canonizer(nameof(MergeBatchNormalization), FoldBatchNormalization);

    /// <summary>
    /// Folds a BatchNormalization that directly precedes convolutions (pre-activation blocks written BN → Conv, a
    /// normalised input) into every Conv reading it: z = W∗(s·x + t) + b = (W·s)∗x + (b + Σ W·t), with s, t per input
    /// channel (grouped convolutions: per channel of each group). Rule for padding: the shift t is only a per-output
    /// constant when no window reaches the zero padding (a padded border sees 0, not t), so the fold is made only when
    /// every reading Conv has zero pads (auto_pad NOTSET or VALID); otherwise, and when an activation sits between the
    /// BatchNormalization and the Conv (BN → ReLU → Conv, as in DenseNet and pre-activation ResNets), the
    /// BatchNormalization stays and takes the Pass rule (<see cref="LrpOperatorKind.Normalisation"/>). Exact when applied.
    /// </summary>
    public static LrpCanonizer MergeBatchNormalizationIntoNextConv { get; } = new Canonizer(nameof(MergeBatchNormalizationIntoNextConv), FoldBatchNormalizationForward);

    /// <summary>
    /// Folds a per-channel affine map by constants directly after a Conv or Gemm (Mul, Div by a constant a; Add, Sub of
    /// a constant a; a scalar or one value per output channel) into the layer: W′ = W·a and b′ = b·a for a scaling,
    /// b′ = b ± a for a shift, repeated while such nodes follow (ConvNeXt's layer scale after its last 1×1 conv, a
    /// bias written as a separate Add). The layer must be the only reader of its output. Exact: the outputs are unchanged.
    /// </summary>
    public static LrpCanonizer MergeAffine { get; } = new Canonizer(nameof(MergeAffine), FoldAffine);

    /// <summary>
    /// The canonizers the built-in composites apply, in order: <see cref="MergeAffine"/>, <see cref="MergeBatchNormalization"/>,
    /// <see cref="MergeBatchNormalizationIntoNextConv"/>. Residual Adds need none: the composites give Add the Norm rule
    /// (what Zennit's ResNet canonizer arranges by making the residual sum a module).
    /// </summary>
    public static IReadOnlyList<LrpCanonizer> Default { get; } = [MergeAffine, MergeBatchNormalization, MergeBatchNormalizationIntoNextConv];

    /// <summary>Applies <see cref="MergeBatchNormalization"/>; see there.</summary>
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
            if (!IsInferenceBatchNorm(bn) || BatchNormAffine(graph, bn) is not var (scale, shift))
            {
                continue;
            }

            int producerIndex = SoleProducer(graph, n, bn.Input[0], outputs);
            if (producerIndex < 0 || !ScaleAndShift(graph, graph.Node[producerIndex], scale, shift, names))
            {
                continue;
            }

            RemoveAfter(graph, graph.Node[producerIndex], bn, n);
            n--;
            folded++;
        }

        return (new OnnxModel(proto), folded);
    }

    /// <summary>
    /// The index of the node before <paramref name="before"/> that produces <paramref name="tensor"/>, when that tensor
    /// is read by one node only and is not a graph output (so folding into its producer changes nothing else); else −1.
    /// </summary>
    private static int SoleProducer(GraphProto graph, int before, string tensor, HashSet<string> outputs)
    {
        if (outputs.Contains(tensor) || graph.Node.Count(node => node.Input.Contains(tensor)) != 1)
        {
            return -1;
        }

        return Enumerable.Range(0, before).LastOrDefault(p => graph.Node[p].Output.Contains(tensor), -1);
    }

    private static (OnnxModel Model, int Folded) FoldAffine(OnnxModel model)
    {
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        int folded = 0;
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var names = graph.Initializer.Select(t => t.Name).Concat(graph.Node.SelectMany(n => n.Output)).ToHashSet(StringComparer.Ordinal);
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var op = graph.Node[n];
            if (op.OpType is not ("Mul" or "Div" or "Add" or "Sub") || op.Domain is not ("" or "ai.onnx") || op.Input.Count != 2)
            {
                continue;
            }

            // The data operand comes from a Conv/Gemm; the other is a constant (Div and Sub: only as the right operand).
            int data = Enumerable.Range(0, 2).FirstOrDefault(i => Initializer(graph, op.Input[i]) is null, -1);
            if (data < 0 || Initializer(graph, op.Input[1 - data]) is not { } constant || (op.OpType is "Div" or "Sub" && data != 0))
            {
                continue;
            }

            int producerIndex = SoleProducer(graph, n, op.Input[data], outputs);
            if (producerIndex < 0)
            {
                continue;
            }

            var layer = graph.Node[producerIndex];
            int channels = OutputChannels(graph, layer);
            int outputRank = layer.OpType == "Conv" ? Initializer(graph, layer.Input[1])!.Dims.Count : 2;
            var a = channels > 0 ? ChannelVector(constant, outputRank, channels) : null;
            if (a is null)
            {
                continue;
            }

            var (scale, shift) = op.OpType switch
            {
                "Mul" => (a, new double[channels]),
                "Div" => (a.Select(v => 1 / v).ToArray(), new double[channels]),
                "Add" => (Enumerable.Repeat(1.0, channels).ToArray(), a),
                _ => (Enumerable.Repeat(1.0, channels).ToArray(), a.Select(v => -v).ToArray()),
            };
            if (scale.Any(v => !double.IsFinite(v)) || !ScaleAndShift(graph, layer, scale, shift, names))
            {
                continue;
            }

            RemoveAfter(graph, layer, op, n);
            n = producerIndex - 1; // the layer may be followed by another affine node now
            folded++;
        }

        return (new OnnxModel(proto), folded);
    }

    private static (OnnxModel Model, int Folded) FoldBatchNormalizationForward(OnnxModel model)
    {
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        int folded = 0;
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var names = graph.Initializer.Select(t => t.Name).Concat(graph.Node.SelectMany(n => n.Output)).ToHashSet(StringComparer.Ordinal);
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var bn = graph.Node[n];
            if (!IsInferenceBatchNorm(bn) || outputs.Contains(bn.Output[0]) || BatchNormAffine(graph, bn) is not var (scale, shift))
            {
                continue;
            }

            var readers = graph.Node.Where(node => node.Input.Contains(bn.Output[0])).ToArray();
            bool foldable = readers.Length > 0 && readers.All(r =>
                r.OpType == "Conv" && r.Domain is "" or "ai.onnx" && r.Input[0] == bn.Output[0] && r.Input.Skip(1).All(i => i != bn.Output[0])
                && (r.GetInts("pads") ?? []).All(p => p == 0) && r.GetString("auto_pad", "NOTSET") is "NOTSET" or "VALID"
                && Initializer(graph, r.Input[1]) is { Dims.Count: >= 3 } w && w.Dims[1] * r.GetInt("group", 1) == scale.Length
                && (r.Input.Count < 3 || r.Input[2].Length == 0 || Initializer(graph, r.Input[2]) is not null));
            if (!foldable)
            {
                continue;
            }

            foreach (var conv in readers)
            {
                var weights = Initializer(graph, conv.Input[1])!;
                long group = conv.GetInt("group", 1);
                long outChannels = weights.Dims[0];
                long inPerGroup = weights.Dims[1];
                long kernel = weights.Dims.Skip(2).Aggregate(1L, (p, d) => p * d);
                var w = Values(weights);
                var bias = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? Values(Initializer(graph, conv.Input[2])!) : new double[outChannels];
                for (long o = 0; o < outChannels; o++)
                {
                    long g = o / (outChannels / group);
                    for (long c = 0; c < inPerGroup; c++)
                    {
                        long channel = (g * inPerGroup) + c;
                        for (long k = 0; k < kernel; k++)
                        {
                            long i = (((o * inPerGroup) + c) * kernel) + k;
                            bias[o] += w[i] * shift[channel];
                            w[i] *= scale[channel];
                        }
                    }
                }

                var weightName = Fresh(names, conv.Input[1] + "_bnfold");
                var biasName = Fresh(names, conv.Output[0] + "_bnfold_bias");
                graph.Initializer.Add(TensorProtos.OfType(weightName, (TensorProto.Types.DataType)weights.DataType, weights.Dims, w));
                graph.Initializer.Add(TensorProtos.OfType(biasName, (TensorProto.Types.DataType)weights.DataType, [outChannels], bias));
                conv.Input[0] = bn.Input[0];
                conv.Input[1] = weightName;
                if (conv.Input.Count > 2)
                {
                    conv.Input[2] = biasName;
                }
                else
                {
                    conv.Input.Add(biasName);
                }
            }

            graph.Node.RemoveAt(n);
            n--;
            folded++;
        }

        return (new OnnxModel(proto), folded);
    }

    private static bool IsInferenceBatchNorm(NodeProto bn) =>
        bn.OpType == "BatchNormalization" && bn.Domain is "" or "ai.onnx" && bn.Input.Count >= 5 && !bn.Output.Skip(1).Any(o => o.Length > 0) && bn.GetInt("training_mode", 0) == 0;

    /// <summary>The per-channel scale s = γ/√(var + ε) and shift t = β − μ·s of a BatchNormalization with constant parameters, or null.</summary>
    private static (double[] Scale, double[] Shift)? BatchNormAffine(GraphProto graph, NodeProto bn)
    {
        var parameters = bn.Input.Skip(1).Take(4).Select(name => Initializer(graph, name)).ToArray();
        if (parameters.Any(p => p is null))
        {
            return null;
        }

        var (gamma, beta, mean, variance) = (Values(parameters[0]!), Values(parameters[1]!), Values(parameters[2]!), Values(parameters[3]!));
        double epsilon = bn.GetFloat("epsilon", 1e-5f);
        var scale = Enumerable.Range(0, mean.Length).Select(o => gamma[o] / Math.Sqrt(variance[o] + epsilon)).ToArray();
        var shift = Enumerable.Range(0, mean.Length).Select(o => beta[o] - (mean[o] * scale[o])).ToArray();
        return (scale, shift);
    }

    /// <summary>Output channels of a Conv (weights' first dimension) or Gemm (B's output dimension), or 0 when not a foldable layer.</summary>
    private static int OutputChannels(GraphProto graph, NodeProto layer)
    {
        if (layer.OpType is not ("Conv" or "Gemm") || layer.Domain is not ("" or "ai.onnx") || layer.Output.Count != 1 || Initializer(graph, layer.Input[1]) is not { } w)
        {
            return 0;
        }

        return layer.OpType == "Conv" ? (int)w.Dims[0] : w.Dims.Count == 2 ? (int)w.Dims[layer.GetInt("transB", 0) != 0 ? 0 : 1] : 0;
    }

    /// <summary>
    /// The values of a constant that broadcasts against a layer output as one value per channel (channel axis 1 of an
    /// output of rank ≥ 2): a scalar, or a tensor whose only dimension above 1 is the channel's, aligned on the right
    /// ([M, 1, 1] or [1, M, 1, 1] for a Conv; [M] or [1, M] for a Gemm). Null otherwise.
    /// </summary>
    private static double[]? ChannelVector(TensorProto constant, int outputRank, int channels)
    {
        var values = Values(constant);
        if (values.Length == 1)
        {
            return Enumerable.Repeat(values[0], channels).ToArray();
        }

        var dims = constant.Dims.ToArray();
        if (values.Length != channels || dims.Length > outputRank)
        {
            return null;
        }

        // Gemm outputs are [N, M]: the channel is the last dimension.
        if (outputRank == 2)
        {
            return dims.Length >= 1 && dims[^1] == channels ? values : null;
        }

        // Conv outputs [N, M, spatial…]: the channel dimension is followed by as many 1s as there are spatial axes
        // ([M] alone would broadcast along the last spatial axis).
        int position = Array.IndexOf(dims, (long)channels);
        return position >= 0 && dims.Length - position - 1 == outputRank - 2 && dims.Skip(position + 1).All(d => d == 1) && dims.Take(position).All(d => d == 1) ? values : null;
    }

    /// <summary>Replaces the weights and bias of a Conv or Gemm so that it computes y·scale + shift per output channel; false (nothing changed) when it cannot.</summary>
    private static bool ScaleAndShift(GraphProto graph, NodeProto layer, double[] scale, double[] shift, HashSet<string> names)
    {
        if (layer.OpType is not ("Conv" or "Gemm") || layer.Domain is not ("" or "ai.onnx") || layer.Output.Count != 1)
        {
            return false;
        }

        var weights = Initializer(graph, layer.Input[1]);
        var bias = layer.Input.Count > 2 && layer.Input[2].Length > 0 ? Initializer(graph, layer.Input[2]) : null;
        if (weights is null || (layer.Input.Count > 2 && layer.Input[2].Length > 0 && bias is null))
        {
            return false;
        }

        int channels = scale.Length;
        var w = Values(weights);
        double[] newBias;
        if (layer.OpType == "Conv")
        {
            if (weights.Dims.Count < 1 || weights.Dims[0] != channels)
            {
                return false;
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
                return false;
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
                return false;
            }

            newBias = Enumerable.Range(0, channels).Select(o => (gemmBeta * c[c.Length == 1 ? 0 : o] * scale[o]) + shift[o]).ToArray();
            layer.RemoveAttribute("beta");
            layer.Attribute.Add(NodeExtensions.Float("beta", 1f));
        }

        var weightName = Fresh(names, layer.Input[1] + "_fold");
        var biasName = Fresh(names, (bias?.Name ?? layer.Output[0]) + "_fold_bias");
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

        return true;
    }

    /// <summary>Makes <paramref name="layer"/> write the output of <paramref name="after"/> (node <paramref name="index"/>), which is removed.</summary>
    private static void RemoveAfter(GraphProto graph, NodeProto layer, NodeProto after, int index)
    {
        var removed = layer.Output[0];
        layer.Output[0] = after.Output[0];
        foreach (var info in graph.ValueInfo.Where(v => v.Name == removed).ToArray())
        {
            graph.ValueInfo.Remove(info);
        }

        graph.Node.RemoveAt(index);
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
