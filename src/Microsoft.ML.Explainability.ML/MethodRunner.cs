using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// Runs one registry method (<see cref="ExplanationMethods"/>) on a batch [N, C, H, W]: the explainer comes from
/// <see cref="Explainers.ExplanationMethod.CreateExplainer"/> and every batch goes through
/// <see cref="IExplainer.Explain"/>, so there is no per-method code here. Maps (<see cref="ExplanationLayout.Map"/>)
/// are taken as they are; input attributions are reduced over channels (<see cref="ChannelReduction"/>).
/// Thread-safe as the explainers are.
/// </summary>
internal sealed class MethodRunner : IDisposable
{
    private readonly IExplainer _explainer;
    private readonly ChannelReduction _reduction;

    /// <exception cref="ExecutionDeviceUnavailableException">CUDA was asked for, cannot be used, and FallbackToCpu is false.</exception>
    /// <exception cref="ArgumentException">A raw layer-map column was asked of a method that has no layer-resolution map.</exception>
    public MethodRunner(OnnxModel model, ExplainSettings settings)
    {
        Method = settings.Entry;
        (ExplainedInput, InputShape, OtherInputs) = ModelInputs(model, settings.ExplainedInput);
        var columns = settings.ExtraInputColumns ?? [];
        foreach (var input in columns.Keys.Where(k => !OtherInputs.ContainsKey(k)))
        {
            throw new ArgumentException(input == ExplainedInput
                ? $"ExtraInputColumns maps '{input}', the explained input; it is fed from the input column '{settings.InputColumnName}'."
                : $"ExtraInputColumns maps '{input}', which is not an input of the model; its other inputs are [{string.Join(", ", OtherInputs.Keys)}].", nameof(settings));
        }

        if (OtherInputs.Keys.FirstOrDefault(k => !columns.ContainsKey(k)) is { } unfed)
        {
            throw new ArgumentException($"The model explains '{ExplainedInput}' with its other inputs held fixed; model input '{unfed}' ({OtherInputs[unfed].Type} [N, {string.Join(", ", OtherInputs[unfed].Dims)}]) has no column: map it in ExtraInputColumns.", nameof(settings));
        }

        if (settings.InputShape is { } given && !given.SequenceEqual(InputShape))
        {
            throw new InputMismatchException($"InputShape [{string.Join(", ", given)}] was given but the model's input is [{string.Join(", ", InputShape)}].");
        }

        int channels = (int)InputShape[0];
        CheckNormalisation(settings.Mean, channels, nameof(settings.Mean));
        CheckNormalisation(settings.Std, channels, nameof(settings.Std));
        int height = (int)InputShape[1], width = (int)InputShape[2];
        var methodSettings = settings.MethodSettings;
        if (Method.Layout != ExplanationLayout.Map && settings.RawMapColumnName is not null)
        {
            throw new ArgumentException($"A raw layer map exists only for methods whose result is a map at a layer's resolution (CAM, FullGrad, attention methods), not for '{Method.Name}'.", nameof(settings));
        }

        // The device the sessions will run on: the same decision (and the same fall-back) every session makes.
        using (SessionOptionsFactory.Create(methodSettings.Execution, out var provider, out var fallbackReason))
        {
            ExecutionProvider = provider;
            FallbackReason = fallbackReason;
        }

        _explainer = Method.CreateExplainer(model, methodSettings);
        try
        {
            Layer = _explainer switch
            {
                CamExplainer cam => cam.Layer,
                GuidedGradCam guided => guided.Layer,
                _ => null,
            };
            _reduction = settings.EffectiveReduction;
            MapDimensions = Method.Layout == ExplanationLayout.Map || _reduction != ChannelReduction.None ? [height, width] : [channels, height, width];
            if (settings.RawMapColumnName is not null)
            {
                RawDimensions = RawMapDimensions(height, width);
            }
        }
        catch
        {
            _explainer.Dispose();
            throw;
        }
    }

    /// <summary>The registry entry run.</summary>
    public Explainers.ExplanationMethod Method { get; }

    /// <summary>The model's explained input [C, H, W].</summary>
    public long[] InputShape { get; }

    /// <summary>The explained model input's name.</summary>
    public string ExplainedInput { get; }

    /// <summary>The model's other inputs (each fed from a column) with their element types and per-row dimensions.</summary>
    public IReadOnlyDictionary<string, (TensorElementType Type, long[] Dims)> OtherInputs { get; }

    /// <summary>C·H·W.</summary>
    public int InputLength => checked((int)(InputShape[0] * InputShape[1] * InputShape[2]));

    /// <summary>The saliency map's dimensions: [H, W], or [C, H, W] without channel reduction.</summary>
    public int[] MapDimensions { get; }

    /// <summary>The raw layer map's dimensions [h, w] when a raw column is asked for, else null.</summary>
    public int[]? RawDimensions { get; }

    /// <summary>The CAM target layer (CAM methods and Guided Grad-CAM), else null.</summary>
    public TargetLayer? Layer { get; }

    public int MapLength => MapDimensions.Aggregate(1, (a, b) => a * b);

    public int RawLength => RawDimensions?.Aggregate(1, (a, b) => a * b) ?? 0;

    /// <summary>"CUDAExecutionProvider" or "CPUExecutionProvider".</summary>
    public string ExecutionProvider { get; }

    /// <summary>Why CUDA was not used although asked for, or null.</summary>
    public string? FallbackReason { get; }

    /// <summary>Explains a batch [N, C, H, W] (already normalised) for the given targets (−1: predicted), the model's other inputs held fixed.</summary>
    /// <exception cref="InvalidOperationException">The score column is read but the method reports no target scores.</exception>
    public BatchResult Run(FloatTensor batch, long[] targets, bool scores, IReadOnlyDictionary<string, InputTensor>? others = null)
    {
        var explanation = _explainer.Explain(new ExplanationRequest(batch) { Targets = targets, Inputs = others });
        var maps = Method.Layout == ExplanationLayout.Map ? explanation.Values.Data : Reduce(explanation.Values, _reduction);
        float[]? raw = null;
        if (RawDimensions is not null)
        {
            raw = explanation.LayerMaps?.Data ?? throw new InvalidOperationException($"Method '{Method.Name}' returned no layer-resolution map.");
        }

        var classes = explanation.Targets ?? throw new InvalidOperationException($"Method '{Method.Name}' did not report the class it explained.");
        if (scores && explanation.TargetScores is null)
        {
            throw new InvalidOperationException($"Method '{Method.Name}' does not report target scores, so the score column cannot be filled; leave ScoreColumnName null.");
        }

        return new BatchResult(maps, raw, classes, explanation.TargetScores);
    }

    /// <summary>
    /// The explained input [C, H, W] (batch dimension dropped) and the model's other inputs with their element types and
    /// per-row dimensions, from the declared inputs; the explained input is chosen by the core's rule
    /// (<see cref="Explainers.ExplainedInput.Choose"/>) and must be an image with fixed C, H and W.
    /// </summary>
    internal static (string Name, long[] Shape, IReadOnlyDictionary<string, (TensorElementType Type, long[] Dims)> Others) ModelInputs(OnnxModel model, string? explainedInput)
    {
        var inputs = model.DeclaredInputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        long[] Dims(string name) => inputs[name].Shape.ToArray();
        TensorElementType Type(string name) => inputs[name].ElementType;
        string Text(long[] dims) => "[" + string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
        var name = Explainers.ExplainedInput.Choose(inputs.Keys.ToArray(), n => (Type(n), Dims(n).Length, Text(Dims(n))), explainedInput);
        var dims = Dims(name);
        if (dims.Length != 4 || dims.Skip(1).Any(d => d <= 0))
        {
            throw new InputMismatchException($"Input '{name}' has shape {Text(dims)}; explain transformers need an image input [N, C, H, W] with fixed C, H and W.", name);
        }

        var others = new Dictionary<string, (TensorElementType, long[])>(StringComparer.Ordinal);
        foreach (var other in inputs.Keys.Where(i => i != name))
        {
            var otherDims = Dims(other);
            if (otherDims.Length == 0 || otherDims.Skip(1).Any(d => d <= 0))
            {
                throw new InputMismatchException($"Input '{other}' has shape {Text(otherDims)}; an input fed from a column needs a batch dimension and fixed other dimensions.", other);
            }

            others[other] = (Type(other), otherDims[1..]);
        }

        return (name, dims[1..], others);
    }

    private static void CheckNormalisation(float[]? values, int channels, string name)
    {
        if (values is not null && values.Length != 1 && values.Length != channels)
        {
            throw new ArgumentException($"{name} has {values.Length} values; the model's input has {channels} channels (give one value per channel, or one for all).", name);
        }
    }

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

    public void Dispose() => _explainer.Dispose();

    /// <summary>
    /// The layer-resolution map's [h, w]: the target layer's grid for CAM methods, else read from one explanation of
    /// a zero image (FullGrad and attention methods report it only with a result).
    /// </summary>
    private int[] RawMapDimensions(int height, int width)
    {
        if (_explainer is CamExplainer cam)
        {
            return [cam.Layer.Height, cam.Layer.Width];
        }

        var probe = new FloatTensor(new float[InputLength], 1, InputShape[0], height, width);
        var layerMaps = _explainer.Explain(new ExplanationRequest(probe) { Inputs = OtherInputs.ToDictionary(o => o.Key, o => Zeros(o.Value.Type, o.Value.Dims), StringComparer.Ordinal) }).LayerMaps
            ?? throw new ArgumentException($"A raw layer map exists only for methods that compute one at a layer's resolution (CAM, FullGrad, attention methods); '{Method.Name}' does not.");
        return [(int)layerMaps.Shape[^2], (int)layerMaps.Shape[^1]];
    }

    /// <summary>One row of zeros of an input's type (the probe of <see cref="RawMapDimensions"/>).</summary>
    private static InputTensor Zeros(TensorElementType type, long[] dims)
    {
        int length = checked((int)dims.Aggregate(1L, (a, b) => a * b));
        long[] shape = [1, .. dims];
        return type switch
        {
            TensorElementType.Int64 => InputTensor.Int64(new long[length], shape),
            TensorElementType.Int32 => InputTensor.Int32(new int[length], shape),
            TensorElementType.Double => InputTensor.Double(new double[length], shape),
            _ => InputTensor.Float(new FloatTensor(new float[length], shape)),
        };
    }
}
