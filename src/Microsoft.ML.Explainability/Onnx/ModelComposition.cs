using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// Builds one differentiable ONNX graph from pieces: chains two models, appends a linear classification head, or puts
/// an input offset in front of a model. Every result is a new <see cref="OnnxModel"/>; the pieces are not modified.
/// </summary>
/// <remarks>
/// Models are first prepared as the engine prepares them (<see cref="GradientModel.Prepare"/>: opset ≥ 17, symbolic
/// batch), so the pieces share an opset.
/// </remarks>
public static class ModelComposition
{
    /// <summary>Name of the logits output <see cref="AppendLinearHead"/> adds unless told otherwise.</summary>
    public const string LogitsOutput = "logits";

    /// <summary>
    /// <paramref name="first"/> followed by <paramref name="second"/>: the output of the first (its only output, or
    /// <paramref name="firstOutput"/>) feeds the single input of the second. The first's tensors are renamed with the
    /// prefix <paramref name="prefix"/>, except its input; the result's outputs are the second's.
    /// </summary>
    /// <exception cref="ArgumentException">The opsets differ after preparation, names collide, a model has a subgraph, or an input/output is ambiguous.</exception>
    public static OnnxModel Chain(OnnxModel first, OnnxModel second, string? firstOutput = null, string prefix = "pre/")
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var a = GradientModel.Prepare(first).Proto.Clone();
        var b = GradientModel.Prepare(second).Proto.Clone();
        if (OnnxModel.GetOpset(a) != OnnxModel.GetOpset(b))
        {
            throw new ArgumentException($"The models have opsets {OnnxModel.GetOpset(a)} and {OnnxModel.GetOpset(b)} after preparation; chained models must share one.", nameof(second));
        }

        var aInput = SingleInput(a.Graph, nameof(first));
        var bInput = SingleInput(b.Graph, nameof(second));
        var aOutput = firstOutput ?? (a.Graph.Output.Count == 1 ? a.Graph.Output[0].Name : throw new ArgumentException($"The first model has {a.Graph.Output.Count} outputs; name the one to chain.", nameof(firstOutput)));
        if (a.Graph.Output.All(o => o.Name != aOutput))
        {
            throw new ArgumentException($"The first model has no output '{aOutput}'.", nameof(firstOutput));
        }

        string RenameA(string name) => name.Length == 0 || name == aInput.Name ? name : prefix + name;
        Rename(a.Graph, RenameA);
        var joined = RenameA(aOutput);
        string RenameB(string name) => name == bInput.Name ? joined : name;
        Rename(b.Graph, RenameB);

        var aNames = TensorNames(a.Graph);
        var collisions = TensorNames(b.Graph).Where(n => n != joined && aNames.Contains(n)).ToArray();
        if (collisions.Length > 0)
        {
            throw new ArgumentException($"Tensor names collide after renaming: {string.Join(", ", collisions.Take(5))}. Choose another prefix.", nameof(prefix));
        }

        var graph = new GraphProto { Name = a.Graph.Name + "+" + b.Graph.Name };
        graph.Input.Add(a.Graph.Input.Where(i => i.Name == aInput.Name));
        graph.Input.Add(a.Graph.Input.Where(i => i.Name != aInput.Name));
        graph.Input.Add(b.Graph.Input.Where(i => i.Name != joined));
        graph.Initializer.Add(a.Graph.Initializer);
        graph.Initializer.Add(b.Graph.Initializer);
        graph.Node.Add(a.Graph.Node);
        graph.Node.Add(b.Graph.Node);
        graph.ValueInfo.Add(a.Graph.ValueInfo);
        graph.ValueInfo.Add(b.Graph.ValueInfo);
        graph.Output.Add(b.Graph.Output);
        var model = new ModelProto
        {
            IrVersion = Math.Max(a.IrVersion, b.IrVersion),
            ProducerName = "Microsoft.ML.Explainability",
            Graph = graph,
        };
        model.OpsetImport.Add(a.OpsetImport);
        foreach (var import in b.OpsetImport.Where(i => a.OpsetImport.All(x => x.Domain != i.Domain)))
        {
            model.OpsetImport.Add(import);
        }

        return OnnxModel.Load(model.ToByteArray());
    }

    /// <summary>
    /// Appends logits = Flatten(<paramref name="featureTensor"/>) · Wᵀ + b (a <c>Gemm</c>) as the model's only output
    /// <paramref name="outputName"/> [N, classes].
    /// </summary>
    /// <param name="model">The feature extractor.</param>
    /// <param name="featureTensor">The tensor holding the features ([N, F] or [N, F, 1, 1]…, flattened from axis 1).</param>
    /// <param name="weights">W, [classes, F] row-major.</param>
    /// <param name="biases">b, [classes].</param>
    /// <param name="outputName">The logits output.</param>
    /// <exception cref="ArgumentException">The sizes do not agree or the tensor does not exist.</exception>
    public static OnnxModel AppendLinearHead(OnnxModel model, string featureTensor, float[] weights, float[] biases, string outputName = LogitsOutput)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(featureTensor);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(biases);
        int classes = biases.Length;
        if (classes == 0 || weights.Length % classes != 0)
        {
            throw new ArgumentException($"{weights.Length} weights do not make a [{classes}, F] matrix.", nameof(weights));
        }

        int features = weights.Length / classes;
        var proto = GradientModel.Prepare(model).Proto.Clone();
        var graph = proto.Graph;
        if (!TensorNames(graph).Contains(featureTensor))
        {
            throw new ArgumentException($"The model has no tensor '{featureTensor}'.", nameof(featureTensor));
        }

        string flat = "head/features", w = "head/W", bias = "head/b";
        graph.Node.Add(new NodeProto { OpType = "Flatten", Name = "head/flatten", Input = { featureTensor }, Output = { flat }, Attribute = { new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 } } });
        graph.Initializer.Add(TensorProtos.Float(w, [classes, features], weights));
        graph.Initializer.Add(TensorProtos.Float(bias, [classes], biases));
        graph.Node.Add(new NodeProto
        {
            OpType = "Gemm",
            Name = "head/gemm",
            Input = { flat, w, bias },
            Output = { outputName },
            Attribute = { new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 } },
        });
        graph.Output.Clear();
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = classes });
        graph.Output.Add(new ValueInfoProto { Name = outputName, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } });
        return new OnnxModel(proto);
    }

    /// <summary>
    /// A copy of <paramref name="model"/> computing f(z − <paramref name="offset"/>) from its input z: a <c>Sub</c> node
    /// feeds every former consumer of the input (used by input-invariance tests, Kindermans et al. 2019).
    /// </summary>
    /// <exception cref="ArgumentException">The model does not have exactly one run-time input.</exception>
    public static OnnxModel WithInputOffset(OnnxModel model, float offset)
    {
        ArgumentNullException.ThrowIfNull(model);
        var copy = model.Proto.Clone();
        var graph = copy.Graph;
        var input = SingleInput(graph, nameof(model)).Name;
        string unshifted = input + ".xai_unshifted", constant = input + ".xai_shift";
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == input)
                {
                    node.Input[i] = unshifted;
                }
            }
        }

        foreach (var output in graph.Output.Where(o => o.Name == input))
        {
            output.Name = unshifted;
        }

        graph.Initializer.Add(TensorProtos.Float(constant, [], [offset]));
        graph.Node.Insert(0, new NodeProto { OpType = "Sub", Name = "xai.input_shift", Input = { input, constant }, Output = { unshifted } });
        return new OnnxModel(copy);
    }

    private static ValueInfoProto SingleInput(GraphProto graph, string paramName)
    {
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToArray();
        return inputs.Length == 1 ? inputs[0] : throw new ArgumentException($"The model has {inputs.Length} run-time inputs; one is needed here.", paramName);
    }

    private static HashSet<string> TensorNames(GraphProto graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        names.UnionWith(graph.Input.Select(i => i.Name));
        names.UnionWith(graph.Initializer.Select(i => i.Name));
        names.UnionWith(graph.Node.SelectMany(n => n.Output));
        names.Remove("");
        return names;
    }

    private static void Rename(GraphProto graph, Func<string, string> rename)
    {
        foreach (var node in graph.Node)
        {
            if (node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))
            {
                throw new ArgumentException($"Node '{node.Name}' ({node.OpType}) has a subgraph; chaining such models is not supported.", nameof(graph));
            }

            for (int i = 0; i < node.Input.Count; i++)
            {
                node.Input[i] = rename(node.Input[i]);
            }

            for (int i = 0; i < node.Output.Count; i++)
            {
                node.Output[i] = rename(node.Output[i]);
            }

            if (node.Name.Length > 0)
            {
                node.Name = rename(node.Name);
            }
        }

        foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            value.Name = rename(value.Name);
        }

        foreach (var tensor in graph.Initializer)
        {
            tensor.Name = rename(tensor.Name);
        }
    }
}
