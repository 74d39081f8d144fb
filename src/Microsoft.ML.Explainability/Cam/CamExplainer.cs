using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Class activation maps of an ONNX image model: Grad-CAM and its family (the CAM entries of <see cref="ExplanationMethods"/>, each a <c>CamWeighting</c>), following
/// pytorch-grad-cam. Activations and gradients at the target layer come from one ONNX Runtime call per batch (the
/// model extended with its backward graph, <see cref="GradientModel"/>); the channel weighting and post-processing
/// run in C#. Holds ONNX Runtime sessions: dispose it.
/// </summary>
/// <example>
/// <code>
/// using var cam = new CamExplainer(OnnxModel.Load("model.onnx"), new CamOptions { Method = ExplanationMethods.GradCam });
/// CamResult result = cam.Explain(images);   // predicted classes
/// FloatTensor heatmaps = result.Maps;       // [N, H, W] in [0, 1]
/// </code>
/// </example>
public sealed class CamExplainer : IExplainer
{
    private readonly ExplainedModel _model;
    private readonly CamOptions _options;
    private readonly CamWeighting _weighting;
    private readonly ExplainerSessions _sessions;
    private readonly string? _read;

    /// <summary>Prepares the explainer: measures the model's shapes and resolves the target layer (sessions are created on first use).</summary>
    /// <exception cref="ArgumentException">The options' method is not a CAM method.</exception>
    /// <exception cref="UnknownTensorException">The target layer or output does not exist.</exception>
    /// <exception cref="TargetLayerException">The target layer has no spatial grid, or none can be found automatically.</exception>
    /// <exception cref="InputMismatchException">The explained input is not named although the model has several candidates, or is not float32.</exception>
    public CamExplainer(OnnxModel model, CamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new CamOptions();
        ArgumentNullException.ThrowIfNull(_options.Method, nameof(options));
        _weighting = _options.Method.CreateWeighting();
        var output = _options.Output;
        if (_weighting.Target is { } own)
        {
            // The method's own score (Finer-CAM) is appended to the model; −1 may mean the arg-max of the output it reads.
            (model, output, _read) = own.Apply(model, output);
        }

        _model = ExplainedModel.Create(model, output, _options.ExplainedInput);
        if (_options.TargetLayer is { } name)
        {
            Layer = TargetLayers.Resolve(_model.Shapes, name, _options.TokenGrid, _options.Layout);
        }
        else
        {
            var automatic = TargetLayers.Automatic(_model);
            Layer = _options.TokenGrid is null && _options.Layout is null ? automatic : TargetLayers.Resolve(_model.Shapes, automatic.Name, _options.TokenGrid, _options.Layout);
        }

        _sessions = new ExplainerSessions(this);
    }

    /// <summary>The target layer.</summary>
    public TargetLayer Layer { get; }

    /// <summary>The CAM method (a CAM entry of <see cref="ExplanationMethods"/>).</summary>
    public ExplanationMethod Method => _options.Method;

    /// <summary>The output whose score is explained.</summary>
    public string Output => _model.Output;

    /// <summary>Explains each row for a class.</summary>
    /// <param name="batch">Input images [N, C, H, W] (the model's input shape), finite.</param>
    /// <param name="targets">Class per row, −1 for the predicted class; null: the predicted class for every row.</param>
    /// <param name="cancellationToken">Checked before every batch of ONNX Runtime calls (and passed to the call under way); cancelling stops the explanation within one batch with an <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity (the exception names the row).</exception>
    /// <exception cref="NonFiniteResultException">A row's model output, gradient or map holds NaN or ±Infinity although its input is finite (the exception names the row and the stage).</exception>
    /// <exception cref="InputMismatchException">Wrong input shape, wrong target count, or a class out of range.</exception>
    public CamResult Explain(FloatTensor batch, long[]? targets = null, CancellationToken cancellationToken = default)
    {
        return Explain(new ExplanationRequest(batch) { Targets = targets, Cancellation = cancellationToken });
    }

    /// <summary>
    /// Explains each row for a caller-given seed: the target score is y = ⟨seed, output⟩ per row (for example a
    /// reference embedding, to explain a similarity), and its gradient is the seed.
    /// </summary>
    /// <param name="batch">Input images, finite.</param>
    /// <param name="seed">A tensor of the output's shape with the batch's row count.</param>
    /// <param name="cancellationToken">Checked before every batch of ONNX Runtime calls (and passed to the call under way); cancelling stops the explanation within one batch with an <see cref="OperationCanceledException"/>.</param>
    public CamResult Explain(FloatTensor batch, FloatTensor seed, CancellationToken cancellationToken = default)
    {
        return Explain(new ExplanationRequest(batch) { Seed = seed, Cancellation = cancellationToken });
    }

    /// <inheritdoc/>
    Explanation IExplainer.Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = Explain(request);
        return new Explanation(Method, result.Maps, result.Targets, result.TargetScores, $"target layer {Layer}", result.RawMaps);
    }

    /// <summary>Explains a request: its batch, class targets or seed, and the model's other inputs (held fixed).</summary>
    internal CamResult Explain(ExplanationRequest request)
    {
        var (targets, seed, inputs) = _model.Check(request);
        return Run(request.Batch, targets, seed, inputs, request.Cancellation);
    }

    private CamResult Run(FloatTensor batch, long[]? targets, FloatTensor? seed, FixedInputs inputs, CancellationToken cancellationToken)
    {
        _sessions.ThrowIfDisposed();
        if (seed is null && _weighting.Target is { PredictsFromOutput: true } && targets!.Any(t => t < 0))
        {
            targets = ExplainedModel.Resolve(targets!, Forward().Run(batch, inputs, cancellationToken)[_read!]);
        }

        float[] a;
        float[]? g = null;
        float[]? hessianTimesActivations = null;
        long[]? resolved;
        FloatTensor outputs;
        if (_weighting.UsesGradients)
        {
            var result = RunGradients(batch, targets, seed, inputs, cancellationToken);
            a = Layer.ToChannelsFirst(result.Outputs[Layer.Name]);
            g = Layer.ToChannelsFirst(result.Gradients[Layer.Name]);
            if (_weighting.UsesSecondOrder)
            {
                hessianTimesActivations = Layer.ToChannelsFirst(result.HessianVectorProducts[Layer.Name]);
            }

            resolved = result.Targets;
            outputs = result.Outputs[_model.Output];
        }
        else
        {
            var result = Forward().Run(batch, inputs, cancellationToken);
            a = Layer.ToChannelsFirst(result[Layer.Name]);
            outputs = result[_model.Output];
            resolved = seed is null ? ExplainedModel.Resolve(targets!, outputs) : null;
        }

        var raw = _weighting.RawMaps(new CamBatch
        {
            Activations = a,
            Gradients = g,
            HessianTimesActivations = hessianTimesActivations,
            Input = batch,
            Inputs = inputs,
            Layer = Layer,
            Model = _model,
            Outputs = outputs,
            Targets = resolved,
            Seed = seed,
            Sessions = _sessions,
            Execution = _options.Execution,
            Options = _options,
            Cancellation = cancellationToken,
            GradientsAt = _weighting.UsesGradients ? (x, others, t, s) =>
            {
                var r = RunGradients(x, t, s, others, cancellationToken);
                return (Layer.ToChannelsFirst(r.Outputs[Layer.Name]), Layer.ToChannelsFirst(r.Gradients[Layer.Name]));
            }
            : null,
        });
        var (height, width) = _model.ImageSize;
        var maps = CamMaps.PostProcess(raw, height > 0 ? height : Layer.Height, width > 0 ? width : Layer.Width);
        return new CamResult(Method, Layer, maps, raw, resolved, ExplainedModel.Scores(outputs, resolved, seed));
    }

    private GradientResult RunGradients(FloatTensor batch, long[]? targets, FloatTensor? seed, FixedInputs inputs, CancellationToken cancellationToken) =>
        Session(seed is not null).Run(inputs.Feeds(batch), targets, seed, cancellationToken);

    private ForwardRunner Forward() =>
        _sessions.Get("forward", () => new ForwardRunner(_model.Prepared, _read is null ? [_model.Output, Layer.Name] : [_model.Output, Layer.Name, _read], _options.Execution));

    private GradientSession Session(bool givenSeed) =>
        _sessions.Get(givenSeed ? "seed" : "class", () => new GradientSession(
            GradientModel.Build(_model.Original, new GradientRequest
            {
                Output = _model.Output,
                Seed = givenSeed ? SeedKind.Given : SeedKind.OneHotTarget,
                WithRespectTo = [Layer.Name],
                Shapes = _model.Shapes,
                Activations = [Layer.Name, _model.Output],
                HessianVectorProducts = _weighting.UsesSecondOrder ? [new HessianVectorProduct(Layer.Name)] : [],
                Rules = _options.Rules,
            }),
            _options.Execution));

    /// <inheritdoc/>
    public void Dispose() => _sessions.Dispose();
}
