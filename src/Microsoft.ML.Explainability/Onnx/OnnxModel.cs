using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// An ONNX model held in memory: read from a file, bytes or a stream, inspected, rewritten (symbolic batch, extra
/// outputs, opset upgrade) and written back. Every rewriting method returns a new model; the instance it is called on
/// and the file it came from are never modified.
/// </summary>
/// <remarks>
/// Models whose tensors are stored as external data are read from a file only, and their external data is inlined on
/// load. Every tensor that can carry it is checked (initializers, sparse initializers, attribute tensors, in subgraphs
/// and function bodies); each location's final target, symbolic links followed, must lie inside the model's folder (or,
/// when the model file is itself a link as in the Hugging Face cache, inside its target's folder), and is read at that
/// file's real length; offset and length are validated without overflow. Opsets 8 to 23 of the default domain are
/// accepted.
/// </remarks>
public sealed class OnnxModel
{
    /// <summary>The lowest default-domain opset this library reads.</summary>
    public const int MinimumOpset = 8;

    /// <summary>The highest default-domain opset this library reads.</summary>
    public const int MaximumOpset = 23;

    internal OnnxModel(ModelProto proto)
    {
        Proto = proto;
    }

    internal ModelProto Proto { get; }

    internal GraphProto Graph => Proto.Graph;

    /// <summary>The version of the default ONNX operator set (domain "" or "ai.onnx") the model imports.</summary>
    public int Opset => GetOpset(Proto);

    /// <summary>The IR version of the file format.</summary>
    public long IrVersion => Proto.IrVersion;

    /// <summary>The tool that wrote the model (for example "pytorch" or "CNTK").</summary>
    public string ProducerName => Proto.ProducerName;

    /// <summary>Names of the graph inputs that are fed at run time (initializers listed as inputs by old exporters are left out).</summary>
    public IReadOnlyList<string> InputNames
    {
        get
        {
            var initializers = Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            return Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name).ToArray();
        }
    }

    /// <summary>Names of the graph outputs.</summary>
    public IReadOnlyList<string> OutputNames => Graph.Output.Select(o => o.Name).ToArray();

    /// <summary>Number of nodes in the main graph.</summary>
    public int NodeCount => Graph.Node.Count;

    /// <summary>The main graph's nodes in stored (topological) order.</summary>
    public IReadOnlyList<OnnxNode> Nodes =>
        Graph.Node.Select((n, i) => new OnnxNode(i, n.Name, n.OpType, n.Domain, n.Input.ToArray(), n.Output.ToArray())).ToArray();

    /// <summary>The inputs fed at run time (<see cref="InputNames"/>) with their declared element types and shapes.</summary>
    public IReadOnlyList<DeclaredTensor> DeclaredInputs
    {
        get
        {
            var names = InputNames.ToHashSet(StringComparer.Ordinal);
            return Graph.Input.Where(i => names.Contains(i.Name)).Select(Declared).ToArray();
        }
    }

    /// <summary>The graph outputs with their declared element types and shapes.</summary>
    public IReadOnlyList<DeclaredTensor> DeclaredOutputs => Graph.Output.Select(Declared).ToArray();

    /// <summary>Names of the initializers of element type float (weights, biases, float constants), in stored order.</summary>
    public IReadOnlyList<string> FloatInitializerNames =>
        Graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float).Select(t => t.Name).ToArray();

    /// <summary>The dimensions and values of the float initializer <paramref name="name"/> (row-major).</summary>
    /// <exception cref="UnknownTensorException">The model has no float initializer of that name.</exception>
    public (IReadOnlyList<long> Dims, float[] Values) GetFloatInitializer(string name)
    {
        var tensor = FloatInitializer(Graph, name);
        return (tensor.Dims.ToArray(), TensorProtos.ToDoubles(tensor).Select(v => (float)v).ToArray());
    }

    /// <summary>
    /// Returns a copy in which each named float initializer holds the given values (same dimensions, row-major).
    /// </summary>
    /// <exception cref="UnknownTensorException">A name is not a float initializer of the model.</exception>
    /// <exception cref="ArgumentException">A value array's length is not the initializer's element count.</exception>
    public OnnxModel WithFloatInitializers(IReadOnlyDictionary<string, float[]> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var copy = Proto.Clone();
        var initializers = copy.Graph.Initializer;
        foreach (var (name, data) in values)
        {
            var original = FloatInitializer(copy.Graph, name);
            long count = TensorProtos.ElementCount(original);
            if (data is null || data.Length != count)
            {
                throw new ArgumentException($"Initializer '{name}' [{string.Join(", ", original.Dims)}] holds {count} values; {data?.Length ?? 0} were given.", nameof(values));
            }

            initializers[initializers.IndexOf(original)] = TensorProtos.Float(name, original.Dims.ToArray(), data);
        }

        return new OnnxModel(copy);
    }

    /// <summary>Reads a model from a file. External data is inlined after its locations are checked.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidOnnxModelException">The file is not a usable ONNX model, or its external data is unsafe or malformed (the message names the tensor).</exception>
    public static OnnxModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"ONNX model file '{fullPath}' does not exist.", fullPath);
        }

        var model = Parse(File.ReadAllBytes(fullPath), fullPath);
        ExternalData.Inline(model.Proto, fullPath, fullPath);
        return model;
    }

    /// <summary>Reads a model from its serialized bytes.</summary>
    /// <exception cref="InvalidOnnxModelException">The bytes are not a usable ONNX model, or it refers to external data (load those from a file).</exception>
    public static OnnxModel Load(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var model = Parse(bytes, "<bytes>");
        ExternalData.RejectWithoutFolder(model.Proto);
        return model;
    }

    /// <summary>Reads a model from a stream (read to its end).</summary>
    /// <exception cref="InvalidOnnxModelException">The stream does not hold a usable ONNX model.</exception>
    public static OnnxModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Load(buffer.ToArray());
    }

    /// <summary>The serialized model.</summary>
    public byte[] ToBytes() => Proto.ToByteArray();

    /// <summary>Writes the serialized model to a file (created or overwritten).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = ToBytes();
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes the serialized model to a stream.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Proto.WriteTo(stream);
    }

    /// <summary>A deep copy.</summary>
    public OnnxModel Clone() => new(Proto.Clone());

    /// <summary>The name <see cref="WithSymbolicBatch"/> gives the batch dimension by default (and the engine's prepared models use).</summary>
    public const string BatchDimension = "N";

    /// <summary>
    /// Returns a copy whose batched inputs have a symbolic first dimension named <paramref name="dimensionName"/>, for
    /// models exported with a fixed batch of 1. An input counts as batched when its first dimension is 1 or already
    /// symbolic; inputs with a fixed first dimension above 1 are left as they are (they are not batched). The outputs'
    /// first dimensions become symbolic too, and intermediate shape annotations are dropped so that ONNX Runtime infers
    /// them again. Reshape targets that hard-code the batch size are not rewritten: such models fail in the shape probe
    /// with ONNX Runtime's message naming the node.
    /// </summary>
    public OnnxModel WithSymbolicBatch(string dimensionName = BatchDimension)
    {
        ArgumentException.ThrowIfNullOrEmpty(dimensionName);
        var copy = Proto.Clone();
        var initializers = copy.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var value in copy.Graph.Input.Where(i => !initializers.Contains(i.Name)))
        {
            var shape = value.Type?.TensorType?.Shape;
            if (shape is { Dim.Count: > 0 } && (shape.Dim[0].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || shape.Dim[0].DimValue == 1))
            {
                shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = dimensionName };
            }
        }

        foreach (var value in copy.Graph.Output)
        {
            var shape = value.Type?.TensorType?.Shape;
            if (shape is { Dim.Count: > 0 } && shape.Dim[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && shape.Dim[0].DimValue == 1)
            {
                shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = dimensionName };
            }
        }

        copy.Graph.ValueInfo.Clear();
        return new OnnxModel(copy);
    }

    /// <summary>
    /// Returns a copy in which the named tensors (any intermediate tensor, input or initializer) are also graph outputs,
    /// after the existing outputs and in the order given. Names that already are outputs are not repeated.
    /// </summary>
    /// <exception cref="UnknownTensorException">A name is not a tensor of the model.</exception>
    public OnnxModel WithOutputs(params string[] tensorNames)
    {
        ArgumentNullException.ThrowIfNull(tensorNames);
        var index = new GraphIndex(Graph);
        var copy = Proto.Clone();
        var existing = copy.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in tensorNames)
        {
            index.RequireTensor(name);
            if (existing.Add(name))
            {
                copy.Graph.Output.Add(ValueInfoFor(copy.Graph, name));
            }
        }

        return new OnnxModel(copy);
    }

    /// <summary>Producers, consumers and kinds of every tensor of the main graph (element types and shapes need <see cref="ShapeProbe"/>).</summary>
    public GraphIndex Index() => new(Graph);

    internal static ValueInfoProto ValueInfoFor(GraphProto graph, string name)
    {
        // Keep a known element type (ONNX Runtime needs it for initializers); omit shapes so they are inferred.
        var known = graph.ValueInfo.Concat(graph.Input).Concat(graph.Output).FirstOrDefault(v => v.Name == name);
        if (known?.Type?.TensorType is { } tensorType)
        {
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = tensorType.ElemType } } };
        }

        var initializer = graph.Initializer.FirstOrDefault(t => t.Name == name);
        if (initializer is not null)
        {
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = initializer.DataType } } };
        }

        return new ValueInfoProto { Name = name };
    }

    private static TensorProto FloatInitializer(GraphProto graph, string name) =>
        graph.Initializer.FirstOrDefault(t => t.Name == name && t.DataType == (int)TensorProto.Types.DataType.Float)
            ?? throw new UnknownTensorException(name, $"The model has no float initializer named '{name}'.");

    private static DeclaredTensor Declared(ValueInfoProto value)
    {
        var tensor = value.Type?.TensorType;
        var type = tensor is null || tensor.ElemType == 0 ? Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.DataTypeMax : (Microsoft.ML.OnnxRuntime.Tensors.TensorElementType)tensor.ElemType;
        var dims = tensor?.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0 ? d.DimValue : -1).ToArray() ?? [];
        return new DeclaredTensor(value.Name, type, dims);
    }

    internal static int GetOpset(ModelProto proto)
    {
        var entry = proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        // A version outside int's range (a corrupt file) reads as −1, which no supported range contains.
        return entry is null ? 0 : entry.Version is < 0 or > int.MaxValue ? -1 : (int)entry.Version;
    }

    private static OnnxModel Parse(byte[] bytes, string origin)
    {
        if (bytes.Length == 0)
        {
            throw new InvalidOnnxModelException($"ONNX model {origin} is empty (0 bytes).");
        }

        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidOnnxModelException($"ONNX model {origin} ({bytes.Length} bytes) is not a valid ONNX protobuf: {e.Message} The file may be truncated or not an ONNX model.", e);
        }

        if (proto.Graph is null || proto.Graph.Node.Count == 0 || proto.IrVersion <= 0)
        {
            throw new InvalidOnnxModelException($"ONNX model {origin} ({bytes.Length} bytes) has no graph, no nodes or no IR version: it is not an ONNX model, or it is truncated.");
        }

        var opset = GetOpset(proto);
        if (opset == 0)
        {
            throw new InvalidOnnxModelException($"ONNX model {origin} imports no default-domain opset.");
        }

        if (opset is < MinimumOpset or > MaximumOpset)
        {
            throw new InvalidOnnxModelException($"ONNX model {origin} uses opset {opset}; opsets {MinimumOpset} to {MaximumOpset} are supported.");
        }

        return new OnnxModel(proto);
    }
}
