using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Canonizers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// Layer-wise Relevance Propagation on an ONNX model, in Zennit's formulation: the composite's rules replace the
/// backward rules of the differentiation engine, the seed R_out (one-hot or logit at the target class) is the
/// "gradient" put on the output, and the relevance of the input is the "gradient" the engine returns there. The
/// model is prepared (opset ≥ 17, symbolic batch, constants folded) and canonized by the composite's canonizers
/// (<see cref="LrpComposite.Canonizers"/>; BatchNormalization folded) on a copy; one ONNX
/// Runtime call per batch computes outputs and relevances. Holds ONNX Runtime sessions: dispose it.
/// </summary>
/// <example>
/// <code>
/// using var lrp = new LrpExplainer(OnnxModel.Load("model.onnx"), new LrpOptions { Composite = LrpComposite.EpsilonPlus() });
/// LrpResult result = lrp.Explain(images);     // predicted classes, one-hot seed
/// FloatTensor relevance = result.Relevance;   // [N, C, H, W]
/// </code>
/// </example>
public sealed class LrpExplainer : IExplainer
{
    /// <summary>The node appended after the explained output, through which the seed enters (and is scaled by the logit for <see cref="LrpSeed.Logit"/>).</summary>
    internal const string SeedNode = "xai.lrp.seed";

    /// <summary>The copy of the explained output on which the seed is put.</summary>
    internal const string SeedTensor = "xai.lrp.output";

    private readonly ExplainedModel _model;
    private readonly LrpOptions _options;
    private readonly OnnxModel _working;
    private readonly GradientRuleRegistry _rules;
    private readonly ExplainerSessions _sessions;

    /// <summary>Prepares the explainer: canonizes a copy of the model and assigns the composite's rules (sessions are created on first use).</summary>
    /// <exception cref="InputMismatchException">The explained input is not named although the model has several candidates, or is not float32.</exception>
    /// <exception cref="UnknownTensorException">The output or a tensor of <see cref="LrpOptions.RelevanceOf"/> does not exist.</exception>
    /// <exception cref="LrpRuleException">A node rule names a missing node or a node it does not apply to.</exception>
    public LrpExplainer(OnnxModel model, LrpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _sessions = new ExplainerSessions(this);
        _options = options ?? new LrpOptions();
        ArgumentNullException.ThrowIfNull(_options.Composite, nameof(options));
        if (!Enum.IsDefined(_options.Seed))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.Seed, "Unknown LRP seed.");
        }

        _model = ExplainedModel.Create(model, _options.Output, _options.ExplainedInput);
        (_working, _rules, CanonizerChanges) = Working(_model.Prepared, _model.Output, _options.Composite, _options.Seed, _options.Canonize);
        FoldedBatchNormalizations = _model.Prepared.NodeCount - (_working.NodeCount - 1);
        var index = _working.Index();
        foreach (var name in _options.RelevanceOf)
        {
            index.RequireTensor(name);
        }
    }

    /// <summary>
    /// The model LRP differentiates and its rules, shared by this explainer and by compiled explanation models
    /// (<c>onnx-xai compile</c>): <paramref name="prepared"/> (from <see cref="GradientModel.Prepare"/>) canonized by the
    /// composite's canonizers (unless <paramref name="canonize"/> is false), its nodes named uniquely, and an
    /// Identity(output) → <see cref="SeedTensor"/> node through which the seed enters: passed as is
    /// (<see cref="LrpSeed.OneHot"/>) or multiplied by the output (<see cref="LrpSeed.Logit"/>). Differentiate
    /// <see cref="SeedTensor"/> with the returned rules.
    /// </summary>
    internal static (OnnxModel Working, GradientRuleRegistry Rules, int CanonizerChanges) Working(OnnxModel prepared, string output, LrpComposite composite, LrpSeed seed, bool canonize = true)
    {
        var (canonized, changes) = canonize ? composite.Canonize(prepared) : (prepared, 0);
        var working = WithSeedNode(LrpCanonizers.NameNodes(canonized), output);
        var rules = composite.CreateRegistry(working).WithNodeRule(SeedNode, seed == LrpSeed.Logit ? ScaleByOutput : PassSeed);
        return (working, rules, changes);
    }

    /// <summary>The composite in use.</summary>
    public LrpComposite Composite => _options.Composite;

    /// <summary>The output whose relevance is explained.</summary>
    public string Output => _model.Output;

    /// <summary>How many nodes the canonizers removed (BatchNormalization and affine nodes folded into a layer).</summary>
    public int FoldedBatchNormalizations { get; }

    /// <summary>How many rewrites the composite's canonizers made.</summary>
    public int CanonizerChanges { get; }

    /// <summary>Explains each row for a class.</summary>
    /// <param name="batch">Input images [N, C, H, W] (the model's input shape), finite.</param>
    /// <param name="targets">Class per row, −1 for the predicted class; null: the predicted class for every row.</param>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity.</exception>
    /// <exception cref="InputMismatchException">Wrong input shape, wrong target count, a class out of range, or an output that is not [N, classes].</exception>
    public LrpResult Explain(FloatTensor batch, long[]? targets = null)
    {
        return Explain(new ExplanationRequest(batch) { Targets = targets });
    }

    /// <summary>
    /// Explains each row for a caller-given output relevance: R_out = <paramref name="seed"/> (<see cref="LrpSeed.OneHot"/>)
    /// or seed ⊙ output (<see cref="LrpSeed.Logit"/>); for outputs that are not [N, classes], such as embeddings.
    /// </summary>
    /// <param name="batch">Input images, finite.</param>
    /// <param name="seed">A tensor of the output's shape with the batch's row count.</param>
    public LrpResult Explain(FloatTensor batch, FloatTensor seed)
    {
        return Explain(new ExplanationRequest(batch) { Seed = seed });
    }

    /// <summary>Explains a request: its batch, class targets or seed, and the model's other inputs (held fixed).</summary>
    internal LrpResult Explain(ExplanationRequest request)
    {
        var (targets, seed, inputs) = _model.Check(request);
        return Run(request.Batch, targets, seed, inputs);
    }

    private LrpResult Run(FloatTensor batch, long[]? targets, FloatTensor? seed, FixedInputs inputs)
    {
        _sessions.ThrowIfDisposed();
        var session = Session(seed is not null);
        var result = session.Run(inputs.Feeds(batch), targets, seed);
        var layers = _options.RelevanceOf.ToDictionary(n => n, n => result.Gradients[n], StringComparer.Ordinal);
        return new LrpResult(result.Gradients[_model.Input], result.Outputs[_model.Output], result.Targets, result.TargetScores, layers);
    }

    private GradientSession Session(bool givenSeed) =>
        _sessions.Get(givenSeed ? "seed" : "class", () =>
        {
            var model = GradientModel.Build(_working, new GradientRequest
            {
                Output = SeedTensor,
                Seed = givenSeed ? SeedKind.Given : SeedKind.OneHotTarget,
                WithRespectTo = [_model.Input, .. _options.RelevanceOf.Where(n => n != _model.Input)],
                Activations = [_model.Output],
                Rules = _rules,
            });
            return new GradientSession(model, _options.Execution);
        });

    /// <summary>Appends Identity(output) → <see cref="SeedTensor"/>: the seed is put on this copy of the output.</summary>
    private static OnnxModel WithSeedNode(OnnxModel model, string output)
    {
        var proto = model.Proto.Clone();
        proto.Graph.Node.Add(new NodeProto { OpType = "Identity", Name = SeedNode, Input = { output }, Output = { SeedTensor } });
        return new OnnxModel(proto);
    }

    private static void PassSeed(GradientContext c) => c.SetInputGradient(0, c.OutputGradient(0)!);

    /// <summary>R_out = seed ⊙ output (the logit at the target for a one-hot seed).</summary>
    private static void ScaleByOutput(GradientContext c) => c.SetInputGradient(0, c.Graph.Mul(c.OutputGradient(0)!, c.Input(0)));

    /// <inheritdoc/>
    public ExplanationMethod Method => ExplanationMethods.Lrp;

    /// <inheritdoc/>
    Explanation IExplainer.Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = Explain(request);
        return new Explanation(Method, result.Relevance, result.Targets, result.TargetScores, $"composite {_options.Composite.Name}", extras: result.LayerRelevances);
    }

    /// <inheritdoc/>
    public void Dispose() => _sessions.Dispose();
}
