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

    /// <summary>Prepares the explainer: measures the model's shapes and resolves the target layers (sessions are created on first use).</summary>
    /// <exception cref="ArgumentException">The options' method is not a CAM method, both <see cref="CamOptions.TargetLayer"/> and <see cref="CamOptions.TargetLayers"/> are given, a layer is listed twice, or <see cref="CamOptions.EigenSmooth"/> is set for a method it does not apply to.</exception>
    /// <exception cref="UnknownTensorException">A target layer or the output does not exist.</exception>
    /// <exception cref="TargetLayerException">A target layer has no spatial grid, or none can be found automatically.</exception>
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

        if (_options.EigenSmooth)
        {
            if (!_weighting.SupportsEigenSmooth)
            {
                throw new ArgumentException($"EigenSmooth does not apply to {_options.Method.DisplayName}: its map is not a sum of weighted activations over channels (pytorch-grad-cam ignores eigen_smooth for it). Methods that take it: {string.Join(", ", ExplanationMethods.All.Where(m => m.IsCamWeighting && m.CreateWeighting().SupportsEigenSmooth).Select(m => m.Name))}.", nameof(options));
            }

            _weighting.EigenSmooth = true;
        }

        var names = TargetLayers.Names(_options.TargetLayer, _options.TargetLayers);
        _model = ExplainedModel.Create(model, output, _options.ExplainedInput);
        Layers = TargetLayers.Resolve(_model, names, _options.TokenGrid, _options.Layout);
        _sessions = new ExplainerSessions(this);
    }

    /// <summary>The target layer (the first of <see cref="Layers"/>).</summary>
    public TargetLayer Layer => Layers[0];

    /// <summary>Every target layer, in the order given (one when chosen automatically).</summary>
    public IReadOnlyList<TargetLayer> Layers { get; }

    /// <summary>
    /// The prefix of the <see cref="Explanation.Extras"/> key holding one target layer's raw maps [N, hₗ, wₗ] when there
    /// are several: <c>layer_map:</c> followed by the layer's tensor name. <see cref="Explanation.LayerMaps"/> holds the first's.
    /// </summary>
    public const string LayerMapExtra = "layer_map:";

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
        var detail = Layers.Count == 1 ? $"target layer {Layer}" : $"target layers {string.Join("; ", Layers)} ({_weighting.Aggregation.ToString().ToLowerInvariant()} of the layer maps)";
        var perLayer = Layers.Count == 1 ? null : Layers.Select((l, i) => (Key: LayerMapExtra + l.Name, Map: result.LayerRawMaps[i])).ToDictionary(e => e.Key, e => e.Map);
        return new Explanation(Method, result.Maps, result.Targets, result.TargetScores, detail + (_options.EigenSmooth ? ", eigen smooth" : "") + (_options.AugSmooth ? ", aug smooth" : ""), result.RawMaps, perLayer);
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

        return _options.AugSmooth ? RunAugmented(batch, targets, seed, inputs, cancellationToken) : RunOnce(batch, targets, seed, inputs, cancellationToken);
    }

    /// <summary>
    /// pytorch-grad-cam's <c>forward_augmentation_smoothing</c> with its default <c>ttach</c> transforms: for each
    /// (horizontal flip ∈ {no, yes}) × (factor ∈ {0.9, 1, 1.1}) the image is flipped, then multiplied; its CAM is computed
    /// (targets as given, so −1 is each copy's own prediction); the flip is undone on the map (multiplication needs no
    /// inverse); the 6 maps are averaged without a new normalisation. The copies run as one batch of 6·N rows. Targets,
    /// scores and raw maps reported are those of the unaugmented copy.
    /// </summary>
    private CamResult RunAugmented(FloatTensor batch, long[]? targets, FloatTensor? seed, FixedInputs inputs, CancellationToken cancellationToken)
    {
        if (batch.Rank != 4)
        {
            throw new InputMismatchException($"AugSmooth flips images horizontally; it needs an image input [N, C, H, W], not {batch.ShapeText}.");
        }

        var augmentations = Augmentations;
        int n = batch.BatchSize, copies = augmentations.Length;
        var stacked = new float[copies * batch.Data.Length];
        for (int t = 0; t < copies; t++)
        {
            ImageOps.Augment(batch, augmentations[t].Flip, augmentations[t].Factor, stacked.AsSpan(t * batch.Data.Length, batch.Data.Length));
        }

        var all = RunOnce(
            new FloatTensor(stacked, [copies * n, .. batch.Shape.Skip(1)]),
            targets is null ? null : [.. Enumerable.Range(0, copies).SelectMany(_ => targets)],
            seed is null ? null : new FloatTensor([.. Enumerable.Range(0, copies).SelectMany(_ => seed.Data)], [copies * n, .. seed.Shape.Skip(1)]),
            inputs.Tile(copies),
            cancellationToken);

        int height = (int)all.Maps.Shape[1], width = (int)all.Maps.Shape[2], plane = height * width;
        var sum = new double[n * plane];
        for (int t = 0; t < copies; t++)
        {
            for (int r = 0; r < n; r++)
            {
                var map = all.Maps.Row((t * n) + r);
                for (int y = 0; y < height; y++)
                {
                    for (int x = 0; x < width; x++)
                    {
                        int source = (y * width) + (augmentations[t].Flip ? width - 1 - x : x);
                        sum[(r * plane) + (y * width) + x] += map[source];
                    }
                }
            }
        }

        var mean = new FloatTensor([.. sum.Select(v => (float)(v / copies))], n, height, width);
        int identity = Array.FindIndex(augmentations, a => !a.Flip && a.Factor == 1f);
        return new CamResult(
            Method,
            all.Layers,
            mean,
            [.. all.LayerRawMaps.Select(raw => Rows(raw, identity * n, n))],
            all.Targets?[(identity * n)..((identity + 1) * n)],
            all.TargetScores[(identity * n)..((identity + 1) * n)]);
    }

    /// <summary>pytorch-grad-cam's default <c>tta_transforms</c>: ttach's HorizontalFlip × Multiply(0.9, 1, 1.1), in ttach's order.</summary>
    internal static readonly (bool Flip, float Factor)[] Augmentations = [(false, 0.9f), (false, 1f), (false, 1.1f), (true, 0.9f), (true, 1f), (true, 1.1f)];

    private static FloatTensor Rows(FloatTensor tensor, int start, int count)
    {
        int length = tensor.RowLength;
        return new FloatTensor(tensor.Data.AsSpan(start * length, count * length).ToArray(), [count, .. tensor.Shape.Skip(1)]);
    }

    private CamResult RunOnce(FloatTensor batch, long[]? targets, FloatTensor? seed, FixedInputs inputs, CancellationToken cancellationToken)
    {
        Dictionary<string, FloatTensor> values;
        IReadOnlyDictionary<string, FloatTensor>? gradients = null;
        IReadOnlyDictionary<string, FloatTensor>? hessianVectorProducts = null;
        long[]? resolved;
        FloatTensor outputs;
        if (_weighting.UsesGradients)
        {
            var result = RunGradients(batch, targets, seed, inputs, cancellationToken);
            (values, gradients) = (new(result.Outputs), result.Gradients);
            hessianVectorProducts = _weighting.UsesSecondOrder ? result.HessianVectorProducts : null;
            resolved = result.Targets;
            outputs = result.Outputs[_model.Output];
        }
        else
        {
            values = Forward().Run(batch, inputs, cancellationToken);
            outputs = values[_model.Output];
            resolved = seed is null ? ExplainedModel.Resolve(targets!, outputs) : null;
        }

        var raw = new FloatTensor[Layers.Count];
        for (int i = 0; i < Layers.Count; i++)
        {
            var layer = Layers[i];
            raw[i] = _weighting.RawMaps(new CamBatch
            {
                Activations = layer.ToChannelsFirst(values[layer.Name]),
                Gradients = gradients is null ? null : layer.ToChannelsFirst(gradients[layer.Name]),
                HessianTimesActivations = hessianVectorProducts is null ? null : layer.ToChannelsFirst(hessianVectorProducts[layer.Name]),
                Input = batch,
                Inputs = inputs,
                Layer = layer,
                Model = _model,
                Outputs = outputs,
                Targets = resolved,
                Seed = seed,
                Sessions = _sessions,
                Execution = _options.Execution,
                Options = _options,
                Cancellation = cancellationToken,
                Forward = Forward,
                GradientsAt = _weighting.UsesGradients ? (x, others, t, s) =>
                {
                    var r = RunGradients(x, t, s, others, cancellationToken);
                    return (layer.ToChannelsFirst(r.Outputs[layer.Name]), layer.ToChannelsFirst(r.Gradients[layer.Name]));
                }
                : null,
            });
        }

        var (height, width) = _model.ImageSize;
        var maps = CamMaps.Aggregate(raw, height > 0 ? height : Layer.Height, width > 0 ? width : Layer.Width, _weighting.Aggregation);
        return new CamResult(Method, Layers, maps, raw, resolved, ExplainedModel.Scores(outputs, resolved, seed));
    }

    private GradientResult RunGradients(FloatTensor batch, long[]? targets, FloatTensor? seed, FixedInputs inputs, CancellationToken cancellationToken) =>
        Session(seed is not null).Run(inputs.Feeds(batch), targets, seed, cancellationToken);

    private ForwardRunner Forward() =>
        _sessions.Get("forward", () => new ForwardRunner(_model.Prepared, [_model.Output, .. Layers.Select(l => l.Name), .. (_read is null ? Array.Empty<string>() : [_read])], _options.Execution));

    /// <summary>One session computes every layer's activations, gradients (and H·A) in one forward and backward pass.</summary>
    private GradientSession Session(bool givenSeed) =>
        _sessions.Get(givenSeed ? "seed" : "class", () => new GradientSession(
            GradientModel.Build(_model.Original, new GradientRequest
            {
                Output = _model.Output,
                Seed = givenSeed ? SeedKind.Given : SeedKind.OneHotTarget,
                WithRespectTo = [.. Layers.Select(l => l.Name)],
                Shapes = _model.Shapes,
                Activations = [.. Layers.Select(l => l.Name), _model.Output],
                HessianVectorProducts = _weighting.UsesSecondOrder ? [.. Layers.Select(l => new HessianVectorProduct(l.Name))] : [],
                Rules = _options.Rules,
            }),
            _options.Execution));

    /// <inheritdoc/>
    public void Dispose() => _sessions.Dispose();
}
