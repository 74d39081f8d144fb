using Google.Protobuf;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.Explainability.ML.Composition;

/// <summary>
/// Builds one differentiable ONNX graph from pieces: chains two models, appends a linear classification head, and
/// composes an ML.NET transfer-learning pipeline (<c>DnnFeaturizeImage</c> with ResNet-18, then a linear multiclass
/// trainer such as <c>LbfgsMaximumEntropy</c> or SDCA) into a classifier whose logits can be explained.
/// </summary>
/// <remarks>
/// Every model is first prepared as the engine prepares it (<see cref="GradientModel.Prepare"/>: opset ≥ 17, symbolic
/// batch), so the pieces share an opset. It uses the core library's ONNX protobuf binding, which the core shares with
/// the product's own assemblies only.
/// </remarks>
public static class OnnxComposition
{
    /// <summary>Name of the logits output <see cref="AppendLinearHead"/> adds (unless told otherwise).</summary>
    public const string LogitsOutput = "logits";

    /// <summary>
    /// <paramref name="first"/> followed by <paramref name="second"/>: the output of the first (its only output, or
    /// <paramref name="firstOutput"/>) feeds the single input of the second. The first's tensors are renamed with the
    /// prefix <paramref name="prefix"/>, except its input; the result's outputs are the second's.
    /// </summary>
    /// <exception cref="ArgumentException">The opsets differ after preparation, names collide, or an input/output is ambiguous.</exception>
    public static OnnxModel Chain(OnnxModel first, OnnxModel second, string? firstOutput = null, string prefix = "pre/")
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var a = Parse(GradientModel.Prepare(first));
        var b = Parse(GradientModel.Prepare(second));
        if (Opset(a) != Opset(b))
        {
            throw new ArgumentException($"The models have opsets {Opset(a)} and {Opset(b)} after preparation; chained models must share one.", nameof(second));
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
            ProducerName = "Microsoft.ML.Explainability.ML",
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
        var proto = Parse(GradientModel.Prepare(model));
        var graph = proto.Graph;
        if (!TensorNames(graph).Contains(featureTensor))
        {
            throw new ArgumentException($"The model has no tensor '{featureTensor}'.", nameof(featureTensor));
        }

        string flat = "head/features", w = "head/W", bias = "head/b";
        graph.Node.Add(new NodeProto { OpType = "Flatten", Name = "head/flatten", Input = { featureTensor }, Output = { flat }, Attribute = { new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 } } });
        graph.Initializer.Add(FloatTensor(w, [classes, features], weights));
        graph.Initializer.Add(FloatTensor(bias, [classes], biases));
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
        return OnnxModel.Load(proto.ToByteArray());
    }

    /// <summary>
    /// The classifier of a fitted ML.NET transfer-learning pipeline <c>… → ExtractPixels → DnnFeaturizeImage (ResNet-18)
    /// → … → linear multiclass trainer</c> as one ONNX model: input [N, 3, 224, 224] (the pixels given to
    /// <c>DnnFeaturizeImage</c>), output <see cref="LogitsOutput"/> [N, classes] whose arg-max is ML.NET's predicted
    /// class (output k is the predicted key k + 1). The trainer's features must be the featurizer's output unchanged.
    /// </summary>
    /// <param name="fittedPipeline">The fitted pipeline (its last linear multiclass predictor is used).</param>
    /// <param name="dnnImageModelsFolder">The <c>DnnImageModels</c> folder the ResNet-18 package copies next to the application; null: that folder under <see cref="AppContext.BaseDirectory"/>.</param>
    /// <exception cref="ArgumentException">The pipeline holds no linear multiclass predictor, or its feature count is not ResNet-18's 512.</exception>
    /// <exception cref="FileNotFoundException">The featurizer's ONNX files are missing.</exception>
    public static OnnxModel ResNet18Classifier(ITransformer fittedPipeline, string? dnnImageModelsFolder = null)
    {
        ArgumentNullException.ThrowIfNull(fittedPipeline);
        var head = FindHead(fittedPipeline)
            ?? throw new ArgumentException("The pipeline holds no linear multiclass predictor (LbfgsMaximumEntropy, SdcaMaximumEntropy, SdcaNonCalibrated…).", nameof(fittedPipeline));
        return ResNet18Classifier(head, dnnImageModelsFolder);
    }

    /// <summary>ResNet-18's preprocessing and network (as <c>DnnFeaturizeImage</c> runs them) followed by <paramref name="head"/>'s weights.</summary>
    /// <param name="head">A trained linear multiclass model over ResNet-18's 512 features.</param>
    /// <param name="dnnImageModelsFolder">The <c>DnnImageModels</c> folder; null: under <see cref="AppContext.BaseDirectory"/>.</param>
    public static OnnxModel ResNet18Classifier(LinearMulticlassModelParametersBase head, string? dnnImageModelsFolder = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        var folder = dnnImageModelsFolder ?? Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        var preprocess = OnnxModel.Load(Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        var network = OnnxModel.Load(Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx"));
        var featurizer = Chain(preprocess, network);
        var (weights, biases) = HeadWeights(head);
        if (weights.Length != biases.Length * 512)
        {
            throw new ArgumentException($"The predictor has {weights.Length / Math.Max(1, biases.Length)} features per class; ResNet-18 gives 512. The trainer's features must be DnnFeaturizeImage's output unchanged.", nameof(head));
        }

        return AppendLinearHead(featurizer, network.OutputNames[0], weights, biases);
    }

    /// <summary>The weights [classes, F] (row-major, dense) and biases of a linear multiclass model.</summary>
    public static (float[] Weights, float[] Biases) HeadWeights(LinearMulticlassModelParametersBase head)
    {
        ArgumentNullException.ThrowIfNull(head);
        VBuffer<float>[] rows = [];
        head.GetWeights(ref rows, out int classes);
        var biases = head.GetBiases().ToArray();
        int features = rows.Length == 0 ? 0 : rows[0].Length;
        var weights = new float[classes * features];
        for (int k = 0; k < classes; k++)
        {
            rows[k].CopyTo(weights.AsSpan(k * features, features));
        }

        return (weights, biases);
    }

    /// <summary>The last linear multiclass predictor of a fitted pipeline, or null.</summary>
    public static LinearMulticlassModelParametersBase? FindHead(ITransformer fittedPipeline)
    {
        LinearMulticlassModelParametersBase? found = null;
        void Visit(ITransformer t)
        {
            if (t is IPredictionTransformer<LinearMulticlassModelParametersBase> predictor)
            {
                found = predictor.Model;
            }
            else if (t is IEnumerable<ITransformer> chain)
            {
                foreach (var inner in chain)
                {
                    Visit(inner);
                }
            }
        }

        Visit(fittedPipeline);
        return found;
    }

    internal static ModelProto Parse(OnnxModel model) => ModelProto.Parser.ParseFrom(model.ToBytes());

    internal static TensorProto FloatTensor(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(dims);
        var bytes = new byte[values.Length * sizeof(float)];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(bytes);
        tensor.RawData = ByteString.CopyFrom(bytes);
        return tensor;
    }

    private static long Opset(ModelProto model) => model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();

    private static ValueInfoProto SingleInput(GraphProto graph, string paramName)
    {
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToArray();
        return inputs.Length == 1 ? inputs[0] : throw new ArgumentException($"The model has {inputs.Length} inputs; chained models need one.", paramName);
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
