using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// What every explain estimator shares: the columns, the ONNX model, the input normalisation, the optional outputs and
/// how ONNX Runtime runs (batch size, CUDA device, fall-back to the CPU).
/// </summary>
public abstract class ExplainOptionsBase
{
    /// <summary>The saliency column written: <c>Vector&lt;Single&gt;</c> with its [H, W] shape (or [C, H, W] without channel reduction) in the column type. Default "Saliency".</summary>
    public string OutputColumnName { get; set; } = "Saliency";

    /// <summary>
    /// The input column: a known-size <c>Vector&lt;Single&gt;</c> holding one image as [C, H, W] (planar, as
    /// <c>ExtractPixels</c> makes it with its default <c>interleavePixelColors: false</c>). Default "Pixels".
    /// </summary>
    public string InputColumnName { get; set; } = "Pixels";

    /// <summary>Path of the ONNX model (single float input [N, C, H, W], an output [N, classes]). Either this or <see cref="Model"/>.</summary>
    public string? ModelFile { get; set; }

    /// <summary>The ONNX model in memory (for example one composed by <see cref="Composition.OnnxComposition"/>); takes precedence over <see cref="ModelFile"/>.</summary>
    public OnnxModel? Model { get; set; }

    /// <summary>
    /// The model's input shape [C, H, W] as the caller expects it; null (the default) takes it from the model. When
    /// given it must agree with the model (a check, not a conversion).
    /// </summary>
#pragma warning disable CA1819 // Options in ML.NET's idiom: plain arrays.
    public long[]? InputShape { get; set; }

    /// <summary>
    /// Per-channel means subtracted before the model (x − mean[c]) / std[c]: one value per channel, or one for all; null:
    /// no normalisation. The saliency is still over the column's (unnormalised) pixels.
    /// </summary>
    public float[]? Mean { get; set; }

    /// <summary>Per-channel standard deviations of the normalisation (one per channel, or one for all; positive); null: 1.</summary>
    public float[]? Std { get; set; }
#pragma warning restore CA1819

    /// <summary>
    /// Optional column holding the class to explain per row: an integer (negative: the predicted class) or a key
    /// (key k is class k − 1; a missing key explains the predicted class). Null (the default): the predicted class.
    /// </summary>
    public string? TargetColumnName { get; set; }

    /// <summary>The model output explained; null (the default) takes the model's first [N, classes] float output.</summary>
    public string? ModelOutputName { get; set; }

    /// <summary>Optional column with the class each row was explained for (<c>Int32</c>, 0-based index of the model's output): the target, else the predicted class.</summary>
    public string? ClassColumnName { get; set; }

    /// <summary>Optional column with the explained output's value (logit) at that class (<c>Single</c>).</summary>
    public string? ScoreColumnName { get; set; }

    /// <summary>Rows read ahead and explained in one ONNX Runtime call. Default 32; 1 to <see cref="ExplainLimits.MaxBatchSize"/> of <see cref="Limits"/>. Memory is bounded by one batch.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>CUDA device to run on (with the <c>Microsoft.ML.OnnxRuntime.Gpu</c> package); null (the default): the CPU.</summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>When CUDA was asked for but cannot be used, run on the CPU instead of throwing. Default false, as in ML.NET's <c>ApplyOnnxModel</c>: a GPU request fails loudly rather than silently running on the CPU.</summary>
    public bool FallbackToCpu { get; set; }

    /// <summary>Threads inside one ONNX Runtime operator; 0 (the default) lets ONNX Runtime choose; at most <see cref="ExplainLimits.MaxIntraOpThreads"/> of <see cref="Limits"/>.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// The bounds the settings must respect (batch size, threads, steps, samples), checked when the estimator is made
    /// and again when a saved pipeline is loaded. Default <see cref="ExplainLimits.Default"/>; raise a bound explicitly
    /// with a copy, e.g. <c>ExplainLimits.Default with { MaxBatchSize = 16_384 }</c>.
    /// </summary>
    public ExplainLimits Limits { get; set; } = ExplainLimits.Default;

    /// <summary>Copies the options into the settings an explain transformer stores (checked by <see cref="ExplainSettingsValidator"/>).</summary>
    internal ExplainSettings ToSettings(string kind, ExplanationMethod method)
    {
        ArgumentNullException.ThrowIfNull(method, "options.Method");
        return new ExplainSettings
        {
            Kind = kind,
            Method = method.Name,
            OutputColumnName = OutputColumnName,
            InputColumnName = InputColumnName,
            InputShape = InputShape?.ToArray(),
            Mean = Mean?.ToArray(),
            Std = Std?.ToArray(),
            TargetColumnName = TargetColumnName,
            ModelOutputName = ModelOutputName,
            ClassColumnName = ClassColumnName,
            ScoreColumnName = ScoreColumnName,
            RawMapColumnName = RawColumnName,
            BatchSize = BatchSize,
            GpuDeviceId = GpuDeviceId,
            FallbackToCpu = FallbackToCpu,
            IntraOpThreads = IntraOpThreads,
        };
    }

    /// <summary>The raw layer-map column of methods with a layer-resolution map (null for the others).</summary>
    private protected virtual string? RawColumnName => null;

    /// <summary>The model: <see cref="Model"/>, else loaded from <see cref="ModelFile"/>.</summary>
    /// <exception cref="ArgumentException">Neither is given.</exception>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidOnnxModelException">The file is not a usable ONNX model.</exception>
    internal OnnxModel LoadModel()
    {
        if (Model is not null)
        {
            return Model;
        }

        if (string.IsNullOrWhiteSpace(ModelFile))
        {
            throw new ArgumentException("Give the ONNX model: set ModelFile (a path) or Model.", "options");
        }

        return OnnxModel.Load(ModelFile);
    }
}
