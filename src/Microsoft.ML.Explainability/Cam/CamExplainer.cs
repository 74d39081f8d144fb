using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Class activation maps of an ONNX image model: Grad-CAM and its family (<see cref="CamMethod"/>), following
/// pytorch-grad-cam. Activations and gradients at the target layer come from one ONNX Runtime call per batch (the
/// model extended with its backward graph, <see cref="GradientModel"/>); the channel weighting and post-processing
/// run in C#. Holds ONNX Runtime sessions: dispose it.
/// </summary>
/// <example>
/// <code>
/// using var cam = new CamExplainer(OnnxModel.Load("model.onnx"), new CamOptions { Method = CamMethod.GradCam });
/// CamResult result = cam.Explain(images);   // predicted classes
/// FloatTensor heatmaps = result.Maps;       // [N, H, W] in [0, 1]
/// </code>
/// </example>
public sealed class CamExplainer : IDisposable
{
    private readonly ExplainedModel _model;
    private readonly CamOptions _options;
    private readonly CamWeighting? _weighting;
    private readonly Lock _gate = new();
    private GradientSession? _classSession;
    private GradientSession? _seedSession;
    private ForwardRunner? _forward;
    private ForwardRunner? _ablation;
    private bool _disposed;

    /// <summary>Prepares the explainer: measures the model's shapes and resolves the target layer (sessions are created on first use).</summary>
    /// <exception cref="UnknownTensorException">The target layer or output does not exist.</exception>
    /// <exception cref="TargetLayerException">The target layer has no spatial grid, or none can be found automatically.</exception>
    /// <exception cref="InputMismatchException">The model has more than one input, or a non-float input.</exception>
    public CamExplainer(OnnxModel model, CamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new CamOptions();
        if (!Enum.IsDefined(_options.Method))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.Method, "Unknown CAM method.");
        }

        _model = ExplainedModel.Create(model, _options.Output);
        if (_options.TargetLayer is { } name)
        {
            Layer = TargetLayers.Resolve(_model.Shapes, name, _options.TokenGrid, _options.Layout);
        }
        else
        {
            var automatic = TargetLayers.Automatic(_model);
            Layer = _options.TokenGrid is null && _options.Layout is null ? automatic : TargetLayers.Resolve(_model.Shapes, automatic.Name, _options.TokenGrid, _options.Layout);
        }

        _weighting = _options.Method is CamMethod.ScoreCam or CamMethod.AblationCam ? null : CamWeighting.For(_options.Method);
    }

    /// <summary>The target layer.</summary>
    public TargetLayer Layer { get; }

    /// <summary>The method.</summary>
    public CamMethod Method => _options.Method;

    /// <summary>The output whose score is explained.</summary>
    public string Output => _model.Output;

    /// <summary>Explains each row for a class.</summary>
    /// <param name="batch">Input images [N, C, H, W] (the model's input shape), finite.</param>
    /// <param name="targets">Class per row, −1 for the predicted class; null: the predicted class for every row.</param>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity (the exception names the row).</exception>
    /// <exception cref="NonFiniteResultException">A row's model output, gradient or map holds NaN or ±Infinity although its input is finite (the exception names the row and the stage).</exception>
    /// <exception cref="InputMismatchException">Wrong input shape, wrong target count, or a class out of range.</exception>
    /// <param name="cancellationToken">Checked before every batch of ONNX Runtime calls (and passed to the call under way); cancelling stops the explanation within one batch with an <see cref="OperationCanceledException"/>.</param>
    public CamResult Explain(FloatTensor batch, long[]? targets = null, CancellationToken cancellationToken = default)
    {
        return Run(batch, _model.CheckRequest(batch, targets), null, cancellationToken);
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
        return Run(batch, null, _model.CheckRequest(batch, seed), cancellationToken);
    }

    private CamResult Run(FloatTensor batch, long[]? targets, FloatTensor? seed, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int n = batch.BatchSize;
        float[] a;
        float[]? g = null;
        long[]? resolved;
        FloatTensor outputs;
        if (_weighting is { UsesGradients: true })
        {
            var session = Session(seed is not null);
            var result = seed is null ? session.Run(batch, targets, cancellationToken) : session.Run(new Dictionary<string, FloatTensor> { [_model.Input] = batch }, null, seed, cancellationToken);
            a = Layer.ToChannelsFirst(result.Outputs[Layer.Name]);
            g = Layer.ToChannelsFirst(result.Gradients[Layer.Name]);
            resolved = result.Targets;
            outputs = result.Outputs[_model.Output];
        }
        else
        {
            var result = Forward().Run(batch, cancellationToken);
            a = Layer.ToChannelsFirst(result[Layer.Name]);
            outputs = result[_model.Output];
            resolved = seed is null ? ExplainedModel.Resolve(targets!, outputs) : null;
        }

        int c = Layer.Channels, h = Layer.Height, w = Layer.Width;
        FloatTensor raw;
        if (_weighting is not null)
        {
            raw = CamMaps.RawMaps(_weighting, a, g, n, c, h, w);
        }
        else
        {
            int rowsPerCall = _options.Execution.BatchSize;
            var weights = _options.Method == CamMethod.ScoreCam
                ? ScoreCamWeights.Compute(Forward(), _model.Output, batch, a, Layer, resolved, seed, rowsPerCall, cancellationToken)
                : AblationCamWeights.Compute(Ablation(), _model.Input, _model.Output, batch, Layer, ExplainedModel.Scores(outputs, resolved, seed), resolved, seed, rowsPerCall, cancellationToken);
            var data = new float[n * h * w];
            for (int r = 0; r < n; r++)
            {
                CamWeighting.WeightedSum(a.AsSpan(r * c * h * w, c * h * w), weights.AsSpan(r * c, c), c, h * w, data.AsSpan(r * h * w, h * w));
            }

            raw = new FloatTensor(data, n, h, w);
        }

        var (height, width) = _model.ImageSize;
        var maps = CamMaps.PostProcess(raw, height > 0 ? height : h, width > 0 ? width : w);
        return new CamResult(Method, Layer, maps, raw, resolved);
    }

    private GradientSession Session(bool givenSeed)
    {
        lock (_gate)
        {
            ref var session = ref givenSeed ? ref _seedSession : ref _classSession;
            if (session is null)
            {
                var model = GradientModel.Build(_model.Original, new GradientRequest
                {
                    Output = _model.Output,
                    Seed = givenSeed ? SeedKind.Given : SeedKind.OneHotTarget,
                    WithRespectTo = [Layer.Name],
                    Shapes = _model.Shapes,
                    Activations = [Layer.Name, _model.Output],
                    Rules = _options.Rules,
                });
                session = new GradientSession(model, _options.Execution);
            }

            return session;
        }
    }

    private ForwardRunner Forward()
    {
        lock (_gate)
        {
            return _forward ??= new ForwardRunner(_model.Prepared, [_model.Output, Layer.Name], _options.Execution);
        }
    }

    private ForwardRunner Ablation()
    {
        lock (_gate)
        {
            return _ablation ??= new ForwardRunner(AblationCamWeights.BuildModel(_model.Prepared, Layer), [_model.Output], _options.Execution);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _classSession?.Dispose();
            _seedSession?.Dispose();
            _forward?.Dispose();
            _ablation?.Dispose();
        }
    }
}
