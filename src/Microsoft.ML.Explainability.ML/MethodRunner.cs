using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

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
        InputShape = ModelInputShape(model);
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

    /// <summary>The model's input [C, H, W].</summary>
    public long[] InputShape { get; }

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

    /// <summary>Explains a batch [N, C, H, W] (already normalised) for the given targets (−1: predicted).</summary>
    /// <exception cref="InvalidOperationException">The score column is read but the method reports no target scores.</exception>
    public BatchResult Run(FloatTensor batch, long[] targets, bool scores)
    {
        var explanation = _explainer.Explain(new ExplanationRequest(batch) { Targets = targets });
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

    /// <summary>The model's single input [C, H, W] from its declared shape (batch dimension dropped).</summary>
    internal static long[] ModelInputShape(OnnxModel model)
    {
        var inputs = model.DeclaredInputs;
        if (inputs.Count != 1)
        {
            throw new InputMismatchException($"Explain transformers take models with one input; this one has {inputs.Count} ({string.Join(", ", inputs.Select(i => i.Name))}).");
        }

        if (inputs[0].ElementType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
        {
            throw new InputMismatchException($"Input '{inputs[0].Name}' is not a float tensor; explain transformers need a float image input [N, C, H, W].");
        }

        var dims = inputs[0].Shape.ToArray();
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
        var layerMaps = _explainer.Explain(new ExplanationRequest(probe)).LayerMaps
            ?? throw new ArgumentException($"A raw layer map exists only for methods that compute one at a layer's resolution (CAM, FullGrad, attention methods); '{Method.Name}' does not.");
        return [(int)layerMaps.Shape[^2], (int)layerMaps.Shape[^1]];
    }
}
