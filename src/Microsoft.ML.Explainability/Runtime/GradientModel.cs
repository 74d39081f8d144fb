using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Runtime;

/// <summary>
/// A model extended with its backward graph: standard ONNX ops only, so that one ONNX Runtime call returns the
/// original outputs, the requested activations and the requested gradients for a whole batch. The model is brought
/// to opset ≥ 17 and given a symbolic batch dimension first; the caller's model is not modified.
/// </summary>
public sealed class GradientModel
{
    /// <summary>Name of the int64 [N] targets input (for <see cref="SeedKind.OneHotTarget"/>).</summary>
    public const string TargetsInput = "xai.targets";

    /// <summary>Name of the seed-gradient input (for <see cref="SeedKind.Given"/>).</summary>
    public const string SeedInput = "xai.seed";

    /// <summary>Output holding the class each row was explained for (int64 [N]; <see cref="SeedKind.OneHotTarget"/> only).</summary>
    public const string ResolvedTargetsOutput = "xai.targets.resolved";

    /// <summary>Output holding the seeded output's value for the target class (float [N]; <see cref="SeedKind.OneHotTarget"/> only).</summary>
    public const string TargetScoreOutput = "xai.target.score";

    /// <summary>Prefix of gradient outputs: the gradient of tensor T is output "xai.grad.T".</summary>
    public const string GradientOutputPrefix = "xai.grad.";

    private GradientModel(OnnxModel model, GradientRequest request, ModelShapes shapes, IReadOnlyList<string> inputs, int classCount)
    {
        Model = model;
        Request = request;
        Shapes = shapes;
        DataInputs = inputs;
        ClassCount = classCount;
    }

    /// <summary>The extended model (self-contained: it runs in any ONNX runtime without this library).</summary>
    public OnnxModel Model { get; }

    /// <summary>The request it was built for.</summary>
    public GradientRequest Request { get; }

    /// <summary>Shapes and types of the forward tensors (batch-dependent dimensions are −1).</summary>
    public ModelShapes Shapes { get; }

    /// <summary>The model's own inputs (fed by the caller), excluding targets and seed.</summary>
    public IReadOnlyList<string> DataInputs { get; }

    /// <summary>Number of classes of the seeded output (its last dimension).</summary>
    public int ClassCount { get; }

    /// <summary>The output name holding the gradient of <paramref name="tensor"/>.</summary>
    public static string GradientOutput(string tensor) => GradientOutputPrefix + tensor;

    /// <summary>Builds the extended model.</summary>
    /// <exception cref="UnknownTensorException">A requested tensor does not exist.</exception>
    /// <exception cref="GradientException">A gradient cannot be built (unsupported operator on the path, integer tensor, no path).</exception>
    /// <exception cref="InvalidOnnxModelException">The model cannot be prepared or run by ONNX Runtime.</exception>
    public static GradientModel Build(OnnxModel model, GradientRequest request)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        if (request.WithRespectTo.Count == 0)
        {
            throw new ArgumentException("At least one tensor must be named in WithRespectTo.", nameof(request));
        }

        var prepared = Prepare(model);
        var index = prepared.Index();
        foreach (var name in request.WithRespectTo.Append(request.Output).Concat(request.Activations))
        {
            index.RequireTensor(name);
        }

        var shapes = request.Shapes ?? ShapeProbe.Run(prepared, request.InputShapes);
        if (request.Shapes is not null && prepared.InputNames.Concat(prepared.OutputNames).Any(name => !shapes.Contains(name)))
        {
            throw new ArgumentException("The given Shapes were not measured on GradientModel.Prepare(model): an input or output of the prepared model is missing from them.", nameof(request));
        }
        var proto = prepared.Proto.Clone();
        var graph = proto.Graph;
        var emitter = new GraphEmitter(graph, prepared.Opset, "xai");
        var output = shapes[request.Output];
        if (!output.IsFloatingPoint)
        {
            throw new GradientException($"Seeded output '{request.Output}' has element type {output.ElementType}; it must be floating-point.");
        }

        int classCount = output.Rank == 0 ? 1 : checked((int)output.Shape[^1]);
        string seed = request.Seed switch
        {
            SeedKind.OneHotTarget => AddOneHotSeed(graph, emitter, output),
            SeedKind.Given => AddGivenSeed(graph, output),
            _ => throw new ArgumentOutOfRangeException(nameof(request), request.Seed, "Unknown seed kind."),
        };

        var builder = new BackwardGraphBuilder(graph, shapes, request.Rules);
        var gradients = builder.Build(new Dictionary<string, string> { [request.Output] = seed }, request.WithRespectTo, emitter);
        foreach (var name in request.WithRespectTo)
        {
            emitter.Alias(gradients[name], GradientOutput(name));
            graph.Output.Add(new ValueInfoProto { Name = GradientOutput(name) });
        }

        var existing = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in request.Activations.Where(existing.Add))
        {
            graph.Output.Add(OnnxModel.ValueInfoFor(graph, name));
        }

        return new GradientModel(new OnnxModel(proto), request, shapes, prepared.InputNames, classCount);
    }

    /// <summary>
    /// The forward model the engine extends: upgraded to opset ≥ 17 (ScatterElements with reduction "add" and ReduceSum
    /// with axes as an input need 16 and 13), given a symbolic batch dimension, and constant-folded
    /// (<see cref="ConstantFolder"/>: every value computed only from initializers and Constant nodes becomes an
    /// initializer, so rules that need a constant find one however the exporter wrote it). Plain inference on it is the
    /// reference the engine's costs are measured against.
    /// </summary>
    public static OnnxModel Prepare(OnnxModel model) => ConstantFolder.Fold(OpsetUpgrader.Upgrade(model).WithSymbolicBatch());

    private static string AddOneHotSeed(GraphProto graph, GraphEmitter g, TensorInfo output)
    {
        if (output.Rank != 2)
        {
            throw new GradientException($"A one-hot target seed needs a [batch, classes] output; '{output.Name}' has shape {output.ShapeText}. Use SeedKind.Given with a gradient tensor of that shape.");
        }

        graph.Input.Add(TensorValueInfo(TargetsInput, TensorElementType.Int64, ["N"]));
        var predicted = g.Node("ArgMax", [output.Name], AttributeValue.Int("axis", 1), AttributeValue.Int("keepdims", 0));
        var useArgMax = g.Node("Less", [TargetsInput, g.Int64Scalar(0)]);
        var resolved = g.Where(useArgMax, predicted, TargetsInput);
        var depth = g.Int64Scalar(output.Shape[1]);
        var values = g.Constant(output.ElementType, [2], [0.0, 1.0]);
        var oneHot = g.Node("OneHot", [resolved, depth, values], AttributeValue.Int("axis", -1));
        var score = g.ReduceSum(g.Mul(output.Name, oneHot), [1], keepDims: false);
        g.Alias(resolved, ResolvedTargetsOutput);
        g.Alias(score, TargetScoreOutput);
        graph.Output.Add(new ValueInfoProto { Name = ResolvedTargetsOutput });
        graph.Output.Add(new ValueInfoProto { Name = TargetScoreOutput });
        return oneHot;
    }

    private static string AddGivenSeed(GraphProto graph, TensorInfo output)
    {
        var dims = output.Shape.Select((d, i) => d < 0 ? (object)(i == 0 ? "N" : $"N{i}") : d).ToArray();
        graph.Input.Add(TensorValueInfo(SeedInput, output.ElementType, dims));
        return SeedInput;
    }

    private static ValueInfoProto TensorValueInfo(string name, TensorElementType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = (long)d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
