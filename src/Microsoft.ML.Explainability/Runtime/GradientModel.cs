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

    /// <summary>Prefix of Hessian-vector product outputs: H·v with respect to tensor T is output "xai.hvp.T".</summary>
    public const string HessianVectorOutputPrefix = "xai.hvp.";

    /// <summary>Prefix of the inputs feeding a caller-given vector v (<see cref="HessianVector.Given"/>): "xai.hvp_vector.T".</summary>
    public const string HessianVectorInputPrefix = "xai.hvp_vector.";

    private GradientModel(OnnxModel model, GradientRequest request, ModelShapes shapes, IReadOnlyList<string> inputs, int classCount)
    {
        HessianVectorInputs = request.HessianVectorProducts.Where(p => p.Vector == HessianVector.Given)
            .ToDictionary(p => HessianVectorInput(p.Tensor), p => p.Tensor, StringComparer.Ordinal);
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

    /// <summary>
    /// The inputs that feed caller-given vectors of Hessian-vector products (<see cref="HessianVector.Given"/>), each
    /// mapped to the tensor it multiplies; the caller passes them with the data inputs, shaped like that tensor.
    /// </summary>
    public IReadOnlyDictionary<string, string> HessianVectorInputs { get; }

    /// <summary>The output name holding the gradient of <paramref name="tensor"/>.</summary>
    public static string GradientOutput(string tensor) => GradientOutputPrefix + tensor;

    /// <summary>The output name holding the Hessian-vector product H·v with respect to <paramref name="tensor"/>.</summary>
    public static string HessianVectorOutput(string tensor) => HessianVectorOutputPrefix + tensor;

    /// <summary>The input name feeding the caller-given vector v of the product with respect to <paramref name="tensor"/>.</summary>
    public static string HessianVectorInput(string tensor) => HessianVectorInputPrefix + tensor;

    /// <summary>Builds the extended model.</summary>
    /// <exception cref="UnknownTensorException">A requested tensor does not exist.</exception>
    /// <exception cref="GradientException">A gradient cannot be built (unsupported operator or control flow — a Loop, Scan or If with a non-constant condition whose subgraph reads a tensor of the path — on the path, integer tensor, no path).</exception>
    /// <exception cref="InvalidOnnxModelException">The model cannot be prepared (a cycle, a node that cannot be upgraded) or run by ONNX Runtime.</exception>
    public static GradientModel Build(OnnxModel model, GradientRequest request)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        if (request.WithRespectTo.Count == 0)
        {
            throw new ArgumentException("At least one tensor must be named in WithRespectTo.", nameof(request));
        }

        ValidateHessianVectorProducts(request);

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

        if (request.HessianVectorProducts.Count > 0)
        {
            AddHessianVectorProducts(proto, emitter, gradients, request);
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
    /// with axes as an input need 16 and 13), its nodes sorted topologically (ONNX Runtime runs graphs listed in any
    /// order; the backward builder, the folding pass and layer discovery walk the list), given a symbolic batch dimension,
    /// constant-folded (<see cref="ConstantFolder"/>: every value computed only from initializers and Constant nodes
    /// becomes an initializer, so rules that need a constant find one however the exporter wrote it), and with every
    /// <c>If</c> whose condition is then a constant replaced by the branch it takes. Plain inference on it is the
    /// reference the engine's costs are measured against.
    /// </summary>
    /// <exception cref="InvalidOnnxModelException">The graph has a cycle, or a node cannot be upgraded.</exception>
    public static OnnxModel Prepare(OnnxModel model)
    {
        var upgraded = OpsetUpgrader.Upgrade(model);
        ControlFlow.SortTopologically(upgraded.Proto);

        // Batch first, so that Shape of a batch-1 input is not folded into a constant 1.
        var folded = ConstantFolder.Fold(upgraded.WithSymbolicBatch());
        if (ControlFlow.InlineConstantIfs(folded.Proto) > 0)
        {
            // An inlined branch may itself hold constant arithmetic, and its nodes stand where the If stood.
            ControlFlow.SortTopologically(folded.Proto);
            folded = ConstantFolder.Fold(folded);
        }

        return folded;
    }

    private static void ValidateHessianVectorProducts(GradientRequest request)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var product in request.HessianVectorProducts)
        {
            ArgumentNullException.ThrowIfNull(product, nameof(request));
            if (!request.WithRespectTo.Contains(product.Tensor))
            {
                throw new ArgumentException($"A Hessian-vector product is asked with respect to '{product.Tensor}', which is not in WithRespectTo: its gradient G is what is differentiated a second time, so list it there too.", nameof(request));
            }

            if (!seen.Add(product.Tensor))
            {
                throw new ArgumentException($"Two Hessian-vector products are asked with respect to '{product.Tensor}'; ask for one per tensor.", nameof(request));
            }

            if (!Enum.IsDefined(product.Vector))
            {
                throw new ArgumentOutOfRangeException(nameof(request), product.Vector, $"Unknown vector kind for the Hessian-vector product with respect to '{product.Tensor}'.");
            }
        }
    }

    /// <summary>
    /// Reverse over reverse: for each requested tensor A with first-order gradient G (already in the graph), appends
    /// the backward graph of ⟨G, v⟩ with respect to A, seeding G with v. The builder needs the shapes of the backward
    /// tensors it now differentiates, so the graph extended so far is probed once (<see cref="ShapeProbe"/>). Each
    /// product gets its own sweep: one sweep seeding several gradients would add the mixed terms ∂⟨G_B, v_B⟩/∂A.
    /// </summary>
    private static void AddHessianVectorProducts(ModelProto proto, GraphEmitter emitter, IReadOnlyDictionary<string, string> gradients, GradientRequest request)
    {
        ModelShapes extended;
        try
        {
            extended = ShapeProbe.Run(new OnnxModel(proto.Clone()), request.InputShapes);
        }
        catch (InvalidOnnxModelException e)
        {
            throw new GradientException($"The first-order backward graph could not be run to measure its tensor shapes for the Hessian-vector products: {e.Message}", e);
        }

        var graph = proto.Graph;
        foreach (var product in request.HessianVectorProducts)
        {
            var gradient = gradients[product.Tensor];
            string vector = product.Tensor;
            if (product.Vector == HessianVector.Given)
            {
                vector = HessianVectorInput(product.Tensor);
                var info = extended[product.Tensor];
                var dims = info.Shape.Select((d, i) => d < 0 ? (object)(i == 0 ? "N" : $"N{i}") : d).ToArray();
                graph.Input.Add(TensorValueInfo(vector, info.ElementType, dims));
            }

            var builder = new BackwardGraphBuilder(graph, extended, request.Rules);
            var result = builder.Build(new Dictionary<string, string> { [gradient] = vector }, [product.Tensor], emitter, zeroWhenUnreached: true);
            emitter.Alias(result[product.Tensor], HessianVectorOutput(product.Tensor));
            graph.Output.Add(new ValueInfoProto { Name = HessianVectorOutput(product.Tensor) });
        }
    }

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
