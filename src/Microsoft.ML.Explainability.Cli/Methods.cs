using System.Globalization;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>
/// The methods of <c>methods</c>, <c>explain</c>, <c>evaluate</c> and <c>ablate</c>: the core registry
/// (<see cref="ExplanationMethods.All"/>) by its stable names, and one generic way to run any of them
/// (<see cref="ExplanationMethod.CreateExplainer"/> + <see cref="IExplainer.Explain"/>). Nothing here lists methods.
/// </summary>
internal static class Methods
{
    /// <summary>Every method, in the registry's help order.</summary>
    public static IReadOnlyList<ExplanationMethod> All => ExplanationMethods.All;

    /// <summary>The CAM methods by command-line name (derived from the registry's CAM family).</summary>
    public static IReadOnlyDictionary<string, ExplanationMethod> CamMethods { get; } =
        ExplanationMethods.All.Where(m => m.Family == MethodFamily.Cam).ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The LRP composites of <c>--composite</c> (<see cref="LrpComposites.All"/>).</summary>
    public static IReadOnlyList<string> Composites { get; } = LrpComposites.All.Select(c => c.Name).ToArray();

    /// <summary>The method named <paramref name="name"/>, or a usage error listing the names.</summary>
    public static ExplanationMethod Find(string? name) =>
        ExplanationMethods.TryFind(name) ?? throw new CliException(ExitCodes.Usage, $"Unknown method '{name}'. Methods: {string.Join(", ", All.Select(m => m.Name))}.");

    /// <summary>The method named <paramref name="name"/> (every registry method is implemented).</summary>
    public static ExplanationMethod Require(string? name) => Find(name);

    /// <summary>The composite named by <c>--composite</c> (and, for one that needs bounds, --low/--high or the batch's range).</summary>
    public static LrpComposite Composite(MethodOptions options, FloatTensor batch) =>
        CompositeEntry(options).Create(new LrpCompositeSettings { Low = Bounds(options.Low, batch, low: true), High = Bounds(options.High, batch, low: false) });

    /// <summary>
    /// Runs <paramref name="method"/> through the registry's explainer, observing <see cref="MethodOptions.Cancellation"/>,
    /// and refuses a result holding NaN or ±∞ (an input the model cannot score, such as pixels near float's maximum):
    /// such values must never be written as if they were an explanation. With <see cref="MethodOptions.Raw"/>, the
    /// values are <see cref="Explanation.LayerMaps"/>.
    /// </summary>
    /// <exception cref="CliException">--raw for a method without a layer-resolution map, or a non-finite result.</exception>
    /// <exception cref="OperationCanceledException">The run was cancelled.</exception>
    public static MethodResult Compute(ExplanationMethod method, OnnxModel model, FloatTensor batch, long[]? targets, MethodOptions options)
    {
        options.Cancellation.ThrowIfCancellationRequested();
        if (options.Raw && method.Layout != ExplanationLayout.Map)
        {
            throw RawRefused(method);
        }

        if (options.Raw && options.Layers.Count > 1)
        {
            throw new CliException(ExitCodes.Usage, $"--raw writes one layer-resolution map per row; with {options.Layers.Count} --layer options the layers' maps differ in size. Give one --layer with --raw.");
        }

        Explanation explanation;
        using (var explainer = method.CreateExplainer(model, options.ToSettings(method, batch)))
        {
            explanation = explainer.Explain(new ExplanationRequest(batch) { Targets = targets, Inputs = options.OtherInputs, Cancellation = options.Cancellation });
        }

        options.Cancellation.ThrowIfCancellationRequested();
        var values = options.Raw ? explanation.LayerMaps ?? throw RawRefused(method) : explanation.Values;
        var scores = explanation.TargetScores;
        for (int row = 0; row < (scores?.Length ?? 0); row++)
        {
            if (!float.IsFinite(scores![row]))
            {
                throw new CliException(ExitCodes.ModelError, string.Create(CultureInfo.InvariantCulture, $"The model's output for row {row} is {scores[row]} at the explained class (forward output, method '{method.Name}'): this input cannot be scored (for example pixel values far outside the range the model was trained on). Nothing was written."));
            }
        }

        RequireFinite(method, values);
        return new MethodResult(values, explanation.Targets, Detail(explanation), scores);
    }

    /// <summary>The result's detail plus the largest |·| of each per-row extra (e.g. integrated gradients' convergence delta).</summary>
    private static string Detail(Explanation explanation)
    {
        var extras = explanation.Extras
            .Where(e => e.Value.Rank == 1 && e.Value.Data.Length > 0)
            .Select(e => string.Create(CultureInfo.InvariantCulture, $"max |{e.Key.Replace('_', ' ')}| {e.Value.Data.Max(MathF.Abs):G3}"));
        return string.Join(", ", new[] { explanation.Detail }.Concat(extras).Where(s => s.Length > 0));
    }

    private static CliException RawRefused(ExplanationMethod method) =>
        new(ExitCodes.Usage, $"--raw applies to methods with a layer-resolution map (CAM, FullGrad and attention methods); '{method.Name}' has none ({(method.Layout == ExplanationLayout.Map ? "N×H×W maps" : "N×C×H×W attributions")} only).");

    private static LrpCompositeDescriptor CompositeEntry(MethodOptions options) =>
        LrpComposites.All.FirstOrDefault(c => string.Equals(c.Name, options.Composite.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new CliException(ExitCodes.Usage, $"Unknown LRP composite '{options.Composite}'. Composites: {string.Join(", ", Composites)}.");

    /// <summary>--low/--high, else the batch's minimum/maximum (what the input can hold).</summary>
    private static double[] Bounds(IReadOnlyList<float>? given, FloatTensor batch, bool low) =>
        given?.Select(v => (double)v).ToArray() ?? [low ? batch.Data.Min() : batch.Data.Max()];

    /// <summary>The settings of <paramref name="options"/> for <paramref name="method"/> and <paramref name="batch"/> (bounds and baselines need the batch).</summary>
    internal static MethodSettings Settings(MethodOptions options, ExplanationMethod method, FloatTensor batch)
    {
        var composite = method.Family == MethodFamily.Lrp ? CompositeEntry(options) : null;
        var (baseline, baselineValue) = Baseline(options.Baseline, batch);
        return new MethodSettings
        {
            TargetLayer = options.Layers.Count == 1 ? options.Layers[0] : null,
            TargetLayers = options.Layers.Count > 1 ? options.Layers : null,
            EigenSmooth = options.EigenSmooth ? true : null,
            AugSmooth = options.AugSmooth ? true : null,
            Layout = options.Layout,
            ExplainedInput = options.ExplainedInput,
            AblationFill = options.AblationFill,
            GuidedGradCamConvention = options.GuidedGradCamConvention,
            Target = options.Target,
            Execution = options.Execution,
            Steps = options.Steps,
            Baseline = baseline,
            BaselineValue = baselineValue,
            Samples = options.Samples,
            NoiseLevel = options.Noise,
            Seed = options.Seed,
            Masks = options.Masks,
            Window = Pair(options.Window, "--window"),
            Stride = Pair(options.Stride, "--stride"),
            Composite = composite?.Name,
            Low = composite is { NeedsBounds: true } ? Bounds(options.Low, batch, low: true) : null,
            High = composite is { NeedsBounds: true } ? Bounds(options.High, batch, low: false) : null,
        };
    }

    /// <summary>--baseline: 'zero' (null: the methods' default), a number (one constant row), or a .npy of one row or N rows.</summary>
    private static (FloatTensor? Tensor, float? Value) Baseline(string? text, FloatTensor batch)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Equals("zero", StringComparison.OrdinalIgnoreCase) || text.Equals("zeros", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null);
        }

        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            if (!float.IsFinite(value))
            {
                throw new CliException(ExitCodes.Usage, $"--baseline {text} is not finite.");
            }

            long[] shape = [1, .. batch.Shape.Skip(1)];
            return (new FloatTensor(Enumerable.Repeat(value, batch.RowLength).ToArray(), shape), value);
        }

        var path = Path.GetFullPath(text);
        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.BadInput, $"--baseline '{text}' is neither 'zero', a number, nor an existing .npy file.");
        }

        return (Inputs.InputLoader.ReadBatch(path, batch.Rank), null);
    }

    /// <summary>Parses "H" or "HxW" (a positive size pair); null keeps the method's default.</summary>
    private static (int, int)? Pair(string? text, string option) =>
        string.IsNullOrWhiteSpace(text) ? null : Inputs.ImageOptions.ParseSize(text, option);

    private static void RequireFinite(ExplanationMethod method, FloatTensor values)
    {
        var data = values.Data;
        int rowLength = Math.Max(1, values.RowLength);
        for (int i = 0; i < data.Length; i++)
        {
            if (!float.IsFinite(data[i]))
            {
                throw new CliException(ExitCodes.ModelError, string.Create(CultureInfo.InvariantCulture, $"Method '{method.Name}' produced {data[i]} for row {i / rowLength} (element {i % rowLength}): the model's output or gradient is not finite for this input (for example pixel values far outside the range the model was trained on). Nothing was written."));
            }
        }
    }
}
