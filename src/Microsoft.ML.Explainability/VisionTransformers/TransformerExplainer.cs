using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// Explanations of a vision transformer with global attention (ViT, DeiT) given as an ONNX model: attention rollout, gradient-weighted
/// attention, token Grad-CAM and transformer LRP (<see cref="TransformerMethod"/>). The attention structure is read
/// from the graph once (<see cref="AttentionDiscovery"/>, listed by <see cref="AttentionLayout.Describe"/>). The
/// attention probabilities, token activations and (modified) gradients come from one ONNX Runtime call per batch of
/// <see cref="ExecutionOptions.BatchSize"/> rows — the model extended with its backward graph in standard ONNX ops
/// (<see cref="GradientModel"/>); rollout needs the forward pass only. Sessions are created on first use of each
/// method. Holds ONNX Runtime sessions: dispose it. A model with window attention (Swin) is refused with
/// <see cref="WindowedAttentionException"/>: no attention method is defined the same way for it (see
/// <see cref="AttentionDiscovery"/>); explain it with <see cref="CamExplainer"/> on its final feature map.
/// </summary>
/// <example>
/// <code>
/// using var explainer = new TransformerExplainer(OnnxModel.Load("deit.onnx"));
/// Console.WriteLine(explainer.Attention.Describe());   // blocks, heads, tokens, prefix, grid
/// var result = explainer.Explain(images, TransformerMethod.GradientWeightedAttention);
/// FloatTensor heatmaps = result.Maps;                  // [N, H, W] in [0, 1)
/// </code>
/// </example>
public sealed class TransformerExplainer : IExplainer
{
    private readonly ExplainedModel _model;
    private readonly TransformerOptions _options;
    private readonly ExplainerSessions _sessions;

    /// <summary>Prepares the explainer: measures the model's shapes and reads its attention structure.</summary>
    /// <exception cref="AttentionDiscoveryException">No attention is found, or a discovery override does not fit the graph.</exception>
    /// <exception cref="WindowedAttentionException">The model's attention is windowed (Swin).</exception>
    /// <exception cref="UnknownTensorException">A named tensor (output, token layer, LRP layer, attention) does not exist.</exception>
    /// <exception cref="InputMismatchException">The explained input is not named although the model has several candidates, or is not float32.</exception>
    public TransformerExplainer(OnnxModel model, TransformerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _sessions = new ExplainerSessions(this);
        _options = options ?? new TransformerOptions();
        Validate(_options);
        _model = ExplainedModel.Create(model, _options.Output, _options.ExplainedInput);
        Attention = AttentionDiscovery.Discover(_model.Prepared, _model.Shapes, _options.Discovery ?? new AttentionDiscoveryOptions());
        if (Attention.IsWindowed)
        {
            throw new WindowedAttentionException(Attention);
        }

        if (_options.StartBlock < 0 || _options.StartBlock >= Attention.Blocks.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.StartBlock, $"StartBlock must lie in [0, {Attention.Blocks.Count}): the model has {Attention.Blocks.Count} attention blocks.");
        }

        LrpLayer = _options.LrpLayer ?? _model.Input;
        var lrp = _model.Shapes[LrpLayer];
        bool tokens = lrp.Shape is [< 0, var t, > 0] && t == Attention.Tokens;
        bool image = lrp.Shape is [< 0, > 0, >= 1, >= 1] && lrp.Shape[2] >= Attention.GridHeight && lrp.Shape[3] >= Attention.GridWidth;
        if (!lrp.IsFloatingPoint || !(tokens || image))
        {
            throw new ArgumentException($"The LRP layer '{LrpLayer}' {lrp.ShapeText} is neither tokens [N, {Attention.Tokens}, C] nor an image [N, C, H, W]; name a token tensor in TransformerOptions.LrpLayer.", nameof(options));
        }
    }

    /// <summary>The attention structure read from the graph.</summary>
    public AttentionLayout Attention { get; }

    /// <summary>The method <see cref="Explain(FloatTensor, long[])"/> uses.</summary>
    public TransformerMethod Method => _options.Method;

    /// <summary>The output whose score is explained.</summary>
    public string Output => _model.Output;

    /// <summary>The tensor whose LRP relevance is mapped (the model input unless <see cref="TransformerOptions.LrpLayer"/> names another).</summary>
    public string LrpLayer { get; }

    /// <summary>Explains each row with <see cref="TransformerOptions.Method"/>.</summary>
    /// <param name="batch">Inputs of the model's input shape, finite.</param>
    /// <param name="targets">Class per row, −1 for the predicted class; null: the predicted class for every row.</param>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity.</exception>
    /// <exception cref="InputMismatchException">Wrong input shape, wrong target count, or a class out of range.</exception>
    public TransformerResult Explain(FloatTensor batch, long[]? targets = null) => Explain(batch, _options.Method, targets);

    /// <summary>Explains each row with <paramref name="method"/> (the other options as given).</summary>
    /// <param name="batch">Inputs of the model's input shape, finite.</param>
    /// <param name="method">The method.</param>
    /// <param name="targets">Class per row, −1 for the predicted class; null: the predicted class for every row.</param>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity.</exception>
    /// <exception cref="InputMismatchException">Wrong input shape, wrong target count, or a class out of range.</exception>
    /// <exception cref="AttentionDiscoveryException">Token Grad-CAM was asked for and no token layer was found.</exception>
    public TransformerResult Explain(FloatTensor batch, TransformerMethod method, long[]? targets = null) => Run(batch, method, targets, null);

    private TransformerResult Run(FloatTensor batch, TransformerMethod method, long[]? targets, IReadOnlyDictionary<string, InputTensor>? otherInputs)
    {
        _sessions.ThrowIfDisposed();
        if (!Enum.IsDefined(method))
        {
            throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown transformer method.");
        }

        _model.CheckBatch(batch);
        var checkedTargets = _model.CheckTargets(targets, batch.BatchSize);
        var inputs = _model.CheckInputs(otherInputs, batch.BatchSize);
        var blocks = Attention.Blocks.Skip(_options.StartBlock).ToArray();
        FloatTensor raw;
        long[] resolved;
        FloatTensor outputs;
        FloatTensor? relevance = null;
        if (method == TransformerMethod.Lrp)
        {
            // One LRP: the LrpExplainer's machinery with the transformer composite, seeded with the logit so that
            // Σ R ≈ the target score (minus what biases and ε absorb).
            var result = LrpRunner().Explain(new ExplanationRequest(batch) { Targets = checkedTargets, Inputs = inputs.Values });
            outputs = result.Outputs;
            resolved = result.Targets!;
            relevance = LrpLayer == _model.Input ? result.Relevance : result.LayerRelevances[LrpLayer];
            raw = TransformerLrp.PatchMap(relevance, Attention.Grid);
        }
        else if (method == TransformerMethod.AttentionRollout)
        {
            var result = Forward().Run(batch, inputs);
            outputs = result[_model.Output];
            resolved = ExplainedModel.Resolve(checkedTargets, outputs);
            raw = AttentionRollout.Compute(blocks.Select(b => Probabilities(b, result[b.Tensor])).ToArray(), Attention.Grid, _options.HeadFusion, _options.DiscardRatio, Attention.ClassToken);
        }
        else
        {
            var result = Session(method).Run(inputs.Feeds(batch), checkedTargets);
            outputs = result.Outputs[_model.Output];
            resolved = result.Targets!;
            switch (method)
            {
                case TransformerMethod.GradientWeightedAttention:
                    raw = GradientWeightedAttention.Compute(blocks.Select(b => Probabilities(b, result.Outputs[b.Tensor])).ToArray(), blocks.Select(b => Probabilities(b, result.Gradients[b.Tensor])).ToArray(), Attention.Grid, Attention.ClassToken);
                    break;
                case TransformerMethod.TokenGradCam:
                    var layer = Attention.TokenLayer!;
                    raw = TokenGradCam.Compute(layer, result.Outputs[layer.Name], result.Gradients[layer.Name], _options.CamMethod);
                    break;
                default:
                    throw new InvalidOperationException($"Unhandled transformer method {method}.");
            }
        }

        var scores = ExplainedModel.Scores(outputs, resolved, null);
        var (height, width) = _model.ImageSize;
        var maps = CamMaps.PostProcess(raw, height > 0 ? height : Attention.GridHeight, width > 0 ? width : Attention.GridWidth);
        return new TransformerResult(method, maps, raw, resolved, scores, relevance);
    }

    /// <summary>A block's probabilities (or their gradients) as [N, heads, T, T]: heads folded into the batch ([N·heads, T, T], row n·heads + h) unfolded.</summary>
    private static FloatTensor Probabilities(AttentionBlock block, FloatTensor values) =>
        block.HeadsInBatch ? new FloatTensor(values.Data, values.BatchSize / block.Heads, block.Heads, block.Tokens, block.Tokens) : values;

    private static void Validate(TransformerOptions options)
    {
        if (!Enum.IsDefined(options.Method))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Method, "Unknown transformer method.");
        }

        if (!Enum.IsDefined(options.HeadFusion))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.HeadFusion, "Unknown head fusion.");
        }

        if (!(options.DiscardRatio >= 0 && options.DiscardRatio < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.DiscardRatio, "DiscardRatio must lie in [0, 1).");
        }

        if (!(options.LrpEpsilon >= 0) || double.IsInfinity(options.LrpEpsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.LrpEpsilon, "LrpEpsilon must be finite and non-negative.");
        }

        if (options.CamMethod is null || options.CamMethod.Family != MethodFamily.Cam || options.CamMethod.Needs.HasFlag(MethodNeeds.ForwardPasses))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.CamMethod?.Name, "Token CAM supports the gradient-based CAM methods and Eigen-CAM; for Score-CAM and Ablation-CAM use CamExplainer with the token layer as target.");
        }
    }

    private GradientSession Session(TransformerMethod method) =>
        _sessions.Get(method.ToString(), () =>
        {
            var attention = Attention.Blocks.Skip(_options.StartBlock).Select(b => b.Tensor).ToArray();
            GradientRequest request;
            switch (method)
            {
                case TransformerMethod.GradientWeightedAttention:
                    request = new GradientRequest { Output = _model.Output, WithRespectTo = attention, Activations = [.. attention, _model.Output], Rules = _options.Rules };
                    break;
                case TransformerMethod.TokenGradCam:
                    var layer = Attention.TokenLayer
                        ?? throw new AttentionDiscoveryException("No token layer was found for token Grad-CAM; name one in AttentionDiscoveryOptions.TokenLayer.");
                    request = new GradientRequest { Output = _model.Output, WithRespectTo = [layer.Name], Activations = [layer.Name, _model.Output], Rules = _options.Rules };
                    break;
                default:
                    throw new InvalidOperationException($"{method} has no gradient session.");
            }

            return new GradientSession(GradientModel.Build(_model.Original, request), _options.Execution);
        });

    private LrpExplainer LrpRunner() =>
        _sessions.Get("lrp", () => new LrpExplainer(_model.Original, new LrpOptions
        {
            Composite = _options.LrpComposite ?? LrpComposite.Transformer(_options.LrpEpsilon),
            Seed = LrpSeed.Logit,
            Output = _model.Output,
            ExplainedInput = _model.Input,
            RelevanceOf = LrpLayer == _model.Input ? [] : [LrpLayer],
            Execution = _options.Execution,
        }));

    private ForwardRunner Forward() =>
        _sessions.Get("forward", () => new ForwardRunner(_model.Prepared, [.. Attention.Blocks.Skip(_options.StartBlock).Select(b => b.Tensor), _model.Output], _options.Execution));

    /// <inheritdoc/>
    ExplanationMethod IExplainer.Method => ExplanationMethod.ForMode(_options.Method);

    /// <inheritdoc/>
    Explanation IExplainer.Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Seed is not null)
        {
            throw new InputMismatchException($"{((IExplainer)this).Method.DisplayName} explains class targets; a seed tensor is not supported.");
        }

        request.Cancellation.ThrowIfCancellationRequested();
        var result = Run(request.Batch, _options.Method, request.Targets, request.Inputs);
        return new Explanation(((IExplainer)this).Method, result.Maps, result.Targets, result.TargetScores, $"{Attention.Blocks.Count} attention blocks", result.RawMaps);
    }

    /// <inheritdoc/>
    public void Dispose() => _sessions.Dispose();
}
