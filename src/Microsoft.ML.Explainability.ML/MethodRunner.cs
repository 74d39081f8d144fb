using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// Runs one explanation method of the core library on a batch [N, C, H, W]: the adapter between the ML.NET layer
/// and <see cref="CamExplainer"/>, <see cref="GradientExplainer"/>, <see cref="GuidedGradCam"/>,
/// <see cref="IntegratedGradients"/> and <see cref="LrpExplainer"/>. Thread-safe as those are.
/// </summary>
internal sealed class MethodRunner : IDisposable
{
    private readonly ExplainSettings _settings;
    private readonly Func<FloatTensor, long[], bool, BatchResult> _run;
    private readonly IDisposable _explainer;
    private readonly OnnxModel _model;
    private readonly Lock _gate = new();
    private InferenceSession? _forward;
    private string _output = "";

    public MethodRunner(OnnxModel model, ExplainSettings settings)
    {
        _model = model;
        _settings = settings;
        InputShape = ModelInputShape(model);
        if (settings.InputShape is { } given && !given.SequenceEqual(InputShape))
        {
            throw new InputMismatchException($"InputShape [{string.Join(", ", given)}] was given but the model's input is [{string.Join(", ", InputShape)}].");
        }

        int channels = (int)InputShape[0];
        CheckNormalisation(settings.Mean, channels, nameof(settings.Mean));
        CheckNormalisation(settings.Std, channels, nameof(settings.Std));
        int height = (int)InputShape[1], width = (int)InputShape[2];
        var execution = settings.Execution;

        // The device the sessions will run on: the same decision (and the same fall-back) as every session makes.
        using (SessionOptionsFactory.Create(execution, out var provider, out var fallbackReason))
        {
            ExecutionProvider = provider;
            FallbackReason = fallbackReason;
        }

        if (settings.IsCam)
        {
            var cam = new CamExplainer(model, new CamOptions { Method = settings.CamMethod, TargetLayer = settings.TargetLayer, Output = settings.ModelOutputName, Execution = execution });
            _explainer = cam;
            _output = cam.Output;
            Layer = cam.Layer;
            MapDimensions = [height, width];
            RawDimensions = [cam.Layer.Height, cam.Layer.Width];
            _run = (batch, targets, scores) =>
            {
                var result = cam.Explain(batch, targets);
                var classes = result.Targets!;
                return new BatchResult(result.Maps.Data, result.RawMaps.Data, classes, scores ? ForwardScores(batch, classes) : null);
            };
            return;
        }

        if (settings.RawMapColumnName is not null)
        {
            throw new ArgumentException($"A raw layer map exists only for CAM methods, not for {settings.Method}.", nameof(settings));
        }

        var reduction = settings.EffectiveReduction;
        MapDimensions = reduction == ChannelReduction.None ? [channels, height, width] : [height, width];
        switch (settings.Method)
        {
            case ExplanationMethod.Lrp:
                var lrp = new LrpExplainer(model, new LrpOptions { Composite = settings.LrpComposite, Seed = settings.LrpSeed, Canonize = settings.Canonize, Output = settings.ModelOutputName, Execution = execution });
                _explainer = lrp;
                _run = (batch, targets, _) =>
                {
                    var result = lrp.Explain(batch, targets);
                    return new BatchResult(Reduce(result.Relevance, reduction), null, result.Targets!, result.TargetScores);
                };
                break;
            case ExplanationMethod.GuidedGradCam:
                var guided = new GuidedGradCam(model, new CamOptions { TargetLayer = settings.TargetLayer, Output = settings.ModelOutputName, Execution = execution });
                _explainer = guided;
                Layer = guided.Layer;
                _run = (batch, targets, _) => FromAttribution(guided.Explain(batch, targets), reduction);
                break;
            case ExplanationMethod.IntegratedGradients:
                // Steps were checked against ExplainLimits.MaxSteps (which the caller may have raised) by ExplainSettingsValidator.
                var ig = new IntegratedGradients(model, new IntegratedGradientsOptions { Steps = settings.Steps, MaxSteps = Math.Max(settings.Steps, IntegratedGradientsOptions.DefaultMaxSteps), Output = settings.ModelOutputName, Execution = execution });
                _explainer = ig;
                _run = (batch, targets, _) => FromAttribution(ig.Explain(batch, targets), reduction);
                break;
            default:
                var gradient = new GradientExplainer(model, new GradientOptions
                {
                    Method = GradientMethodOf(settings.Method),
                    Absolute = settings.Absolute,
                    Samples = settings.Samples,
                    NoiseLevel = settings.NoiseLevel,
                    Seed = settings.Seed,
                    Output = settings.ModelOutputName,
                    Execution = execution,
                });
                _explainer = gradient;
                _run = (batch, targets, _) => FromAttribution(gradient.Explain(batch, targets), reduction);
                break;
        }
    }

    /// <summary>The model's input [C, H, W].</summary>
    public long[] InputShape { get; }

    /// <summary>C·H·W.</summary>
    public int InputLength => checked((int)(InputShape[0] * InputShape[1] * InputShape[2]));

    /// <summary>The saliency map's dimensions: [H, W], or [C, H, W] without channel reduction.</summary>
    public int[] MapDimensions { get; }

    /// <summary>The raw layer map's dimensions [h, w] (CAM methods), else null.</summary>
    public int[]? RawDimensions { get; }

    /// <summary>The CAM target layer (CAM methods and Guided Grad-CAM), else null.</summary>
    public TargetLayer? Layer { get; }

    public int MapLength => MapDimensions.Aggregate(1, (a, b) => a * b);

    public int RawLength => RawDimensions?.Aggregate(1, (a, b) => a * b) ?? 0;

    /// <summary>Explains a batch [N, C, H, W] (already normalised) for the given targets (−1: predicted).</summary>
    public BatchResult Run(FloatTensor batch, long[] targets, bool scores) => _run(batch, targets, scores);

    /// <summary>The model's single input [C, H, W] from its declared shape (batch dimension dropped).</summary>
    internal static long[] ModelInputShape(OnnxModel model)
    {
        var proto = Onnx.Protobuf.ModelProto.Parser.ParseFrom(model.ToBytes());
        var initializers = proto.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = proto.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToArray();
        if (inputs.Length != 1)
        {
            throw new InputMismatchException($"Explain transformers take models with one input; this one has {inputs.Length} ({string.Join(", ", inputs.Select(i => i.Name))}).");
        }

        var tensor = inputs[0].Type?.TensorType;
        if (tensor is null || tensor.ElemType != (int)Onnx.Protobuf.TensorProto.Types.DataType.Float)
        {
            throw new InputMismatchException($"Input '{inputs[0].Name}' is not a float tensor; explain transformers need a float image input [N, C, H, W].");
        }

        var dims = tensor.Shape?.Dim.Select(d => d.ValueCase == Onnx.Protobuf.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1).ToArray() ?? [];
        if (dims.Length != 4 || dims.Skip(1).Any(d => d <= 0))
        {
            throw new InputMismatchException($"Input '{inputs[0].Name}' has shape [{string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]; explain transformers need an image input [N, C, H, W] with fixed C, H and W.");
        }

        return dims[1..];
    }

    private static void CheckNormalisation(float[]? values, int channels, string name)
    {
        if (values is not null && values.Length != 1 && values.Length != channels)
        {
            throw new ArgumentException($"{name} has {values.Length} values; the model's input has {channels} channels (give one value per channel, or one for all).", name);
        }
    }

    private static GradientMethod GradientMethodOf(ExplanationMethod method) => method switch
    {
        ExplanationMethod.Saliency => GradientMethod.Saliency,
        ExplanationMethod.InputXGradient => GradientMethod.InputXGradient,
        ExplanationMethod.SmoothGrad => GradientMethod.SmoothGrad,
        ExplanationMethod.SmoothGradSquared => GradientMethod.SmoothGradSquared,
        ExplanationMethod.VarGrad => GradientMethod.VarGrad,
        ExplanationMethod.GuidedBackprop => GradientMethod.GuidedBackprop,
        ExplanationMethod.Deconvnet => GradientMethod.Deconvnet,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown explanation method."),
    };

    private static BatchResult FromAttribution(AttributionResult result, ChannelReduction reduction) =>
        new(Reduce(result.Attributions, reduction), null, result.Targets!, result.TargetScores);

    /// <summary>[N, C, H, W] → [N, H, W] by the reduction (or unchanged for <see cref="ChannelReduction.None"/>).</summary>
    internal static float[] Reduce(FloatTensor attributions, ChannelReduction reduction)
    {
        if (reduction == ChannelReduction.None || attributions.Rank != 4)
        {
            return attributions.Data;
        }

        int n = attributions.BatchSize, c = (int)attributions.Shape[1], plane = (int)(attributions.Shape[2] * attributions.Shape[3]);
        var result = new float[n * plane];
        var data = attributions.Data;
        for (int r = 0; r < n; r++)
        {
            var target = result.AsSpan(r * plane, plane);
            for (int k = 0; k < c; k++)
            {
                var source = data.AsSpan(((r * c) + k) * plane, plane);
                for (int p = 0; p < plane; p++)
                {
                    target[p] = reduction == ChannelReduction.Sum
                        ? target[p] + source[p]
                        : Math.Max(target[p], Math.Abs(source[p]));
                }
            }
        }

        return result;
    }

    /// <summary>
    /// The explained output at each row's class, by a forward-only pass (CAM results carry no scores): only run when
    /// the score column is read.
    /// </summary>
    private float[] ForwardScores(FloatTensor batch, long[] classes)
    {
        InferenceSession session;
        lock (_gate)
        {
            session = _forward ??= CreateForwardSession();
        }

        var inputName = session.InputMetadata.Keys.First();
        using var input = OrtValue.CreateTensorValueFromMemory(batch.Data, batch.Shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [inputName], [input], [_output]);
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        int k = logits.Length / batch.BatchSize;
        var scores = new float[batch.BatchSize];
        for (int r = 0; r < scores.Length; r++)
        {
            scores[r] = logits[(r * k) + (int)classes[r]];
        }

        return scores;
    }

    private InferenceSession CreateForwardSession()
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        if (_settings.IntraOpThreads > 0)
        {
            options.IntraOpNumThreads = _settings.IntraOpThreads;
        }

        if (_settings.GpuDeviceId is { } device)
        {
            try
            {
                options.AppendExecutionProvider_CUDA(device);
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                if (!_settings.FallbackToCpu)
                {
                    throw new ExplainabilityException($"CUDA device {device} was requested but cannot be used ({e.Message}), and FallbackToCpu is false.", e);
                }
            }
        }

        return new InferenceSession(GradientModel.Prepare(_model).ToBytes(), options);
    }

    /// <summary>"CUDAExecutionProvider" or "CPUExecutionProvider".</summary>
    public string ExecutionProvider { get; }

    /// <summary>Why CUDA was not used although asked for, or null.</summary>
    public string? FallbackReason { get; }

    public void Dispose()
    {
        _explainer.Dispose();
        lock (_gate)
        {
            _forward?.Dispose();
        }
    }
}
