using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Compilation;

/// <summary>
/// A gradient model being turned into a compiled explanation: its graph, an emitter, and the steps every method shares
/// (the targets input, tiling rows into the batch, the outputs and metadata).
/// </summary>
internal sealed class CompilationGraph
{
    private readonly ExplainedModel _explained;
    private readonly ModelProto _proto;
    private string? _result;
    private string _class = GradientModel.ResolvedTargetsOutput;
    private bool _targetsTaken;
    private string _shape = "";
    private string _detail = "";

    private CompilationGraph(ExplainedModel explained, ModelProto proto)
    {
        _explained = explained;
        _proto = proto;
        Emitter = new GraphEmitter(proto.Graph, OnnxModel.GetOpset(proto), "xai.compile");
    }

    public GraphEmitter Emitter { get; }

    public GraphProto Graph => _proto.Graph;

    public static CompilationGraph From(ExplainedModel explained, GradientModel gradients) => new(explained, gradients.Model.Proto.Clone());

    /// <summary>Records the explanation tensor, its layout and the detail line.</summary>
    public CompilationGraph Done(string result, string shape, string detail)
    {
        _result = result;
        _shape = shape;
        _detail = detail;
        return this;
    }

    /// <summary>
    /// Runs the model and its backward graph on <paramref name="copies"/> rows per input row in the same call: the batch
    /// becomes [x; copies of row 0; copies of row 1; …]. The clean rows give the original outputs and the predicted
    /// class, which every copy of the row is explained for (as the library does). Returns the copies' input gradients
    /// [N, copies, …]. The model's other inputs are tiled the same way (each copy of a row gets the row's values).
    /// </summary>
    /// <param name="copies">Copies per row.</param>
    /// <param name="makeCopies">(emitter, x, shape [N, copies, …] as an int64 tensor) → the copies [N, copies, …].</param>
    public string Tile(int copies, Func<GraphEmitter, string, string, string> makeCopies)
    {
        var g = Emitter;
        var graph = Graph;
        string input = _explained.Input;
        var batch = g.FreshName("batch");
        var others = _explained.OtherInputs.ToDictionary(o => o, _ => g.FreshName("batch"), StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            Replace(node.Input, input, batch);
            foreach (var (other, tiled) in others)
            {
                Replace(node.Input, other, tiled);
            }
        }

        // Outputs with a batch axis are computed on the tiled batch and sliced back to the clean rows.
        var shapes = _explained.Shapes;
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in _explained.Prepared.OutputNames.Where(o => shapes.Contains(o) && shapes[o].Rank > 0 && shapes[o].Shape[0] < 0))
        {
            var tiledName = g.FreshName("tiled");
            renamed[name] = tiledName;
            foreach (var node in graph.Node)
            {
                Replace(node.Input, name, tiledName);
                Replace(node.Output, name, tiledName);
            }
        }

        var inputShape = g.Shape(input);
        var rows = g.Node("Slice", [inputShape, g.Int64s(0), g.Int64s(1)]);
        var rest = g.Node("Slice", [inputShape, g.Int64s(1), g.Int64s(long.MaxValue)]);
        var copiesShape = g.Node("Concat", [rows, g.Int64s(copies), rest], AttributeValue.Int("axis", 0));
        var copied = makeCopies(g, input, copiesShape);
        var flat = g.Reshape(copied, g.Node("Concat", [g.Int64s(-1), rest], AttributeValue.Int("axis", 0)));
        Rewire(g.Node("Concat", [input, flat], AttributeValue.Int("axis", 0)), batch);
        foreach (var (other, tiled) in others)
        {
            var otherRest = g.Node("Slice", [g.Shape(other), g.Int64s(1), g.Int64s(long.MaxValue)]);
            var otherCopies = g.Node("Expand", [g.Unsqueeze(other, [1]), g.Node("Concat", [rows, g.Int64s(copies), otherRest], AttributeValue.Int("axis", 0))]);
            var otherFlat = g.Reshape(otherCopies, g.Node("Concat", [g.Int64s(-1), otherRest], AttributeValue.Int("axis", 0)));
            Rewire(g.Node("Concat", [other, otherFlat], AttributeValue.Int("axis", 0)), tiled);
        }

        foreach (var (name, tiledName) in renamed)
        {
            Rewire(g.Node("Slice", [tiledName, g.Int64s(0), rows, g.Int64s(0)]), name);
        }

        DeclareTiledBatch(others.Prepend(new KeyValuePair<string, string>(input, batch)));

        // Targets: resolved on the clean rows, then repeated for the copies; the engine's targets input becomes a node.
        var output = renamed.GetValueOrDefault(_explained.Output, _explained.Output);
        var clean = g.Node("Slice", [output, g.Int64s(0), rows, g.Int64s(0)]);
        var given = g.Node("Expand", [ExplanationCompiler.TargetsInput, rows]);
        var predicted = g.Node("ArgMax", [clean], AttributeValue.Int("axis", 1), AttributeValue.Int("keepdims", 0));
        var resolved = g.Where(g.Node("Less", [given, g.Int64Scalar(0)]), predicted, given);
        var repeated = g.Reshape(g.Node("Expand", [g.Unsqueeze(resolved, [1]), g.Node("Concat", [rows, g.Int64s(copies)], AttributeValue.Int("axis", 0))]), g.Int64s(-1));
        var engineTargets = graph.Input.First(i => i.Name == GradientModel.TargetsInput);
        graph.Input.Remove(engineTargets);
        Rewire(g.Node("Concat", [resolved, repeated], AttributeValue.Int("axis", 0)), GradientModel.TargetsInput);
        graph.Input.Add(TargetsInfo());
        _targetsTaken = true;
        _class = resolved;

        var gradient = GradientModel.GradientOutput(input);
        var ofCopies = g.Node("Slice", [gradient, rows, g.Int64s(long.MaxValue), g.Int64s(0)]);
        return g.Reshape(ofCopies, copiesShape);
    }

    /// <summary>
    /// The shapes the backward graph declares (value_info, <see cref="GraphEmitter.DeclareShape"/>) name the batch
    /// dimension "N", the size of the
    /// graph's input batch. Tiled, the gradient model runs on N·(1 + copies) rows: the declared shapes get a batch of
    /// their own, "N_tiled", which the tiled inputs are declared with too, so that shape inference carries it from them
    /// through the forward pass to where declared gradients meet inferred tensors.
    /// </summary>
    private void DeclareTiledBatch(IEnumerable<KeyValuePair<string, string>> tiledInputs)
    {
        const string tiledBatch = "N_tiled";
        foreach (var dimension in Graph.ValueInfo.SelectMany(v => v.Type?.TensorType?.Shape?.Dim ?? []).Where(d => d.DimParam == OnnxModel.BatchDimension))
        {
            dimension.DimParam = tiledBatch;
        }

        foreach (var (source, tiled) in tiledInputs)
        {
            var info = _explained.Shapes[source];
            if (info.Rank == 0 || info.Shape[0] >= 0 || info.Shape.Skip(1).Any(d => d < 0))
            {
                continue;
            }

            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = tiledBatch });
            shape.Dim.AddRange(info.Shape.Skip(1).Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
            Graph.ValueInfo.Add(new ValueInfoProto { Name = tiled, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)info.ElementType, Shape = shape } } });
        }
    }

    /// <summary>The standalone model: the original outputs, the explanation and the explained class; the targets input named and defaulted.</summary>
    public CompiledExplanation Finish(ExplanationMethod method, CompileOptions options)
    {
        var g = Emitter;
        var graph = Graph;
        g.Alias(_result ?? throw new InvalidOperationException("No explanation tensor was recorded."), ExplanationCompiler.ExplanationOutput);
        g.Alias(_class, ExplanationCompiler.ClassOutput);
        if (!_targetsTaken)
        {
            foreach (var node in graph.Node)
            {
                Replace(node.Input, GradientModel.TargetsInput, ExplanationCompiler.TargetsInput);
            }

            graph.Input.Remove(graph.Input.First(i => i.Name == GradientModel.TargetsInput));
            graph.Input.Add(TargetsInfo());
        }

        if (!options.RequiredTargets)
        {
            graph.Input.First(i => i.Name == ExplanationCompiler.TargetsInput).Type.TensorType.Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "targets_count" } } };
            graph.Initializer.Add(new TensorProto { Name = ExplanationCompiler.TargetsInput, DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { -1 } });
        }

        var original = _explained.Prepared.OutputNames;
        graph.Output.Clear();
        foreach (var name in original)
        {
            graph.Output.Add(OnnxModel.ValueInfoFor(_explained.Prepared.Graph, name));
        }

        graph.Output.Add(new ValueInfoProto { Name = ExplanationCompiler.ExplanationOutput, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        graph.Output.Add(new ValueInfoProto { Name = ExplanationCompiler.ClassOutput, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Int64 } } });
        // Keep the declared shapes of intermediate tensors (the backward graph's, for ONNX Runtime's layout choices).
        var produced = graph.Node.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
        var declaredElsewhere = graph.Input.Concat(graph.Output).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in graph.ValueInfo.Where(v => !produced.Contains(v.Name) || declaredElsewhere.Contains(v.Name)).ToArray())
        {
            graph.ValueInfo.Remove(stale);
        }
        ControlFlow.SortTopologically(_proto);
        var targets = options.RequiredTargets ? "int64" : "optional int64";
        _proto.DocString = $"Compiled by Microsoft.ML.Explainability: {method.Name} ({_detail}). Inputs: '{_explained.Input}'{string.Concat(_explained.OtherInputs.Select(o => $", '{o}' (held fixed)"))}, {targets} '{ExplanationCompiler.TargetsInput}' [N] (class per row, -1 = predicted{(options.RequiredTargets ? "" : "; default: predicted")}). Outputs: the model's outputs, '{ExplanationCompiler.ExplanationOutput}' {_shape}, '{ExplanationCompiler.ClassOutput}' [N].";
        _proto.MetadataProps.Add(new StringStringEntryProto { Key = "onnx-xai.method", Value = method.Name });
        _proto.MetadataProps.Add(new StringStringEntryProto { Key = "onnx-xai.saliency.shape", Value = _shape });
        _proto.MetadataProps.Add(new StringStringEntryProto { Key = "onnx-xai.detail", Value = _detail });
        var model = OnnxModel.Load(Google.Protobuf.MessageExtensions.ToByteArray(_proto));
        return new CompiledExplanation(model, method, _explained.Input, _shape, _detail);
    }

    /// <summary>An Identity writing <paramref name="tensor"/> under a name the graph already knows but no node now produces (a renamed output, a removed input).</summary>
    private void Rewire(string tensor, string name) =>
        Graph.Node.Add(new NodeProto { OpType = "Identity", Name = Emitter.FreshName("rewire"), Input = { tensor }, Output = { name } });

    private static ValueInfoProto TargetsInfo() => new()
    {
        Name = ExplanationCompiler.TargetsInput,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Int64, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "N" } } } } },
    };

    private static void Replace(Google.Protobuf.Collections.RepeatedField<string> names, string from, string to)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == from)
            {
                names[i] = to;
            }
        }
    }
}
