using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// What is explained: a scalar score per row computed from the model's outputs, as pytorch-grad-cam's model targets
/// (<c>pytorch_grad_cam/utils/model_targets.py</c>). Every kind is declared once in <see cref="ExplanationTargets"/>.
/// A target is compiled into the graph: its score is written as ONNX nodes after the model's outputs, giving a new
/// output <c>target_scores</c> of shape [N, K] — one column per value of the row's class parameter (K = 1 for targets
/// without one) — and that output is what every method explains (<see cref="MethodSettings.Target"/>): gradient methods
/// differentiate the score through the appended nodes (so a softmax probability or a cosine similarity is explained by
/// its exact gradient at every evaluated point, integrated-gradients path points included), forward-only methods
/// (Score-CAM, Ablation-CAM, occlusion, RISE) read the same score, and the explanation compiler writes it into the
/// compiled graph. The class of each row is chosen as for a classifier (<see cref="ExplanationRequest.Targets"/>, −1
/// for the column with the largest score). The target's parameters (mask, boxes, concept) are shared by every row of
/// the explained batches.
/// </summary>
public abstract class ExplanationTarget
{
    /// <summary>The name of the explained output the target appends, [N, K].</summary>
    public const string ScoresOutput = "target_scores";

    private protected ExplanationTarget()
    {
    }

    /// <summary>The stable name of its kind in <see cref="ExplanationTargets"/>, e.g. <c>softmax</c>.</summary>
    public string Name => Kind.Name;

    /// <summary>Its kind's registry entry.</summary>
    public abstract ExplanationTargetKind Kind { get; }

    /// <summary>
    /// Why relevance propagation (LRP, transformer LRP) does not apply to this target, or null when it does: LRP
    /// distributes a score that is a sum of contributions; a probability, a sign-flipped logit pair or a cosine is not.
    /// </summary>
    internal virtual string? NotForRelevancePropagation => null;

    /// <summary>Whether the target leaves the model unchanged (the class logit, the default).</summary>
    internal virtual bool IsIdentity => false;

    /// <summary>Appends the score nodes and returns the name of the [N, K] score tensor.</summary>
    internal abstract string EmitScores(TargetGraph graph);

    /// <summary>
    /// Whether a row's class −1 means the arg-max of the output the target reads rather than of the target's columns
    /// (Finer: pytorch-grad-cam's FinerCAM explains the top logit's class).
    /// </summary>
    internal virtual bool PredictsFromOutput => false;

    /// <summary>Checks an explanation of the target (a detector target refuses rows without a matching box).</summary>
    internal virtual void Check(Explanation explanation)
    {
    }

    /// <summary>
    /// The model with the target's score appended as output <see cref="ScoresOutput"/> (renamed when the model
    /// already has a tensor of that name), prepared for explanation (<see cref="GradientModel.Prepare"/>).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="output">The output the target reads; null: the first [N, classes] float output, else the first float output.</param>
    /// <exception cref="ExplanationTargetException">The output does not have the shape the target needs, or a parameter does not fit it.</exception>
    /// <exception cref="UnknownTensorException">The named output does not exist.</exception>
    internal (OnnxModel Model, string Output, string Read) Apply(OnnxModel model, string? output)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prepared = GradientModel.Prepare(model);
        var shapes = ShapeProbe.Run(prepared);
        output = ExplainedOutput.Resolve(prepared, shapes, output);
        var proto = prepared.Proto.Clone();
        var emitter = new GraphEmitter(proto.Graph, prepared.Opset, "xai.target");
        var scores = EmitScores(new TargetGraph(emitter, shapes, output, this));
        var used = proto.Graph.Node.SelectMany(n => n.Output).Concat(proto.Graph.Input.Select(i => i.Name)).Concat(proto.Graph.Initializer.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        var name = ScoresOutput;
        for (int i = 1; used.Contains(name); i++)
        {
            name = $"{ScoresOutput}_{i}";
        }

        emitter.Alias(scores, name);
        proto.Graph.Output.Add(new ValueInfoProto { Name = name });
        return (new OnnxModel(proto), name, output);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>What a target's nodes are appended to: the emitter, the measured shapes and the explained output.</summary>
internal sealed class TargetGraph(GraphEmitter emitter, ModelShapes shapes, string output, ExplanationTarget target)
{
    public GraphEmitter Emitter { get; } = emitter;

    public ModelShapes Shapes { get; } = shapes;

    /// <summary>The explained output the target reads (detector targets read their own outputs by name).</summary>
    public string Output { get; } = output;

    public TensorInfo OutputInfo => Shapes[Output];

    /// <summary>An exception naming the target kind and the output.</summary>
    public ExplanationTargetException Error(string message) => new(target.Name, $"Target '{target.Name}' on output '{Output}' {OutputInfo.ShapeText}: {message}");

    /// <summary>The named output, which must exist.</summary>
    public TensorInfo Require(string name) => Shapes.Contains(name)
        ? Shapes[name]
        : throw new ExplanationTargetException(target.Name, $"Target '{target.Name}' reads output '{name}', which the model does not have (outputs: {string.Join(", ", Shapes.Model?.OutputNames ?? [])}).");
}
