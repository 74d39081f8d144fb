using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// Everything an explain transformer needs besides the ONNX model, flat and JSON-serialisable: what
/// <see cref="ExplainModelStore"/> writes as <c>settings.json</c> (with <see cref="Version"/>).
/// </summary>
/// <remarks>
/// Version 2 stores the method's stable registry name (<see cref="Explainers.ExplanationMethod.Name"/>, e.g.
/// "grad-cam") and the composite's name in <see cref="LrpComposites"/> (e.g. "epsilon-plus"). Version 1 stored the
/// member names of the former ML-only enumerations ("GradCam", "IntegratedGradients"; "EpsilonPlus"), which are the
/// field names of <see cref="ExplanationMethods"/> and <see cref="LrpComposites"/>: <see cref="FromJson"/> maps them
/// through those fields, so the registries stay the only list.
/// </remarks>
internal sealed class ExplainSettings
{
    public const int CurrentVersion = 2;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int Version { get; set; } = CurrentVersion;

    /// <summary>"GradCam", "Lrp", "GuidedBackprop" or "Explain": which transformer class is rebuilt.</summary>
    public string Kind { get; set; } = "Explain";

    /// <summary>The method's stable name in <see cref="ExplanationMethods"/> (version 1: its field name there).</summary>
    public string Method { get; set; } = ExplanationMethods.GradCam.Name;

    public string OutputColumnName { get; set; } = "Saliency";

    public string InputColumnName { get; set; } = "Pixels";

#pragma warning disable CA1819 // A JSON settings bag.
    public long[]? InputShape { get; set; }

    public float[]? Mean { get; set; }

    public float[]? Std { get; set; }

    public double[]? Low { get; set; }

    public double[]? High { get; set; }

    /// <summary>CAM: several target layers (null: <see cref="TargetLayer"/>).</summary>
    public string[]? TargetLayers { get; set; }
#pragma warning restore CA1819

    public string? TargetColumnName { get; set; }

    public string? ModelOutputName { get; set; }

    public string? ClassColumnName { get; set; }

    public string? ScoreColumnName { get; set; }

    public string? RawMapColumnName { get; set; }

    public string? TargetLayer { get; set; }

    /// <summary>Multi-input models: the model input explained (fed from <see cref="InputColumnName"/>); null: the core's default choice.</summary>
    public string? ExplainedInput { get; set; }

    /// <summary>Multi-input models: each other model input and the column feeding it (held fixed for the row).</summary>
#pragma warning disable CA2227 // A JSON settings bag.
    public Dictionary<string, string>? ExtraInputColumns { get; set; }
#pragma warning restore CA2227

    /// <summary>Ablation-CAM's fill; null: the method's default.</summary>
    public Cam.AblationFill? AblationFill { get; set; }

    /// <summary>Guided Grad-CAM's convention; null: the method's default (pytorch-grad-cam's).</summary>
    public Cam.GuidedGradCamConvention? GuidedGradCamConvention { get; set; }

    /// <summary>CAM: pytorch-grad-cam's eigen_smooth.</summary>
    public bool EigenSmooth { get; set; }

    /// <summary>CAM: pytorch-grad-cam's aug_smooth.</summary>
    public bool AugSmooth { get; set; }

    public ChannelReduction? Reduction { get; set; }

    /// <summary>Null: the method's default (|·| for saliency, signed for "gradient").</summary>
    public bool? Absolute { get; set; }

    public int Samples { get; set; } = 50;

    public double NoiseLevel { get; set; } = 0.15;

    public int Seed { get; set; }

    public int Steps { get; set; } = 50;

    /// <summary>RISE: random masks; null: the method's default.</summary>
    public int? Masks { get; set; }

    /// <summary>Occlusion: the square window's side; null: the method's default.</summary>
    public int? Window { get; set; }

    /// <summary>Occlusion: the stride along y and x; null: the method's default.</summary>
    public int? Stride { get; set; }

    /// <summary>Occlusion: the value an occluded window is filled with; null: the method's default.</summary>
    public float? BaselineValue { get; set; }

    /// <summary>The composite's name in <see cref="LrpComposites"/> (version 1: its field name there).</summary>
    public string Composite { get; set; } = LrpComposites.EpsilonPlus.Name;

    public double Epsilon { get; set; } = Explainability.Lrp.Rules.LrpRules.DefaultEpsilon;

    public LrpSeed LrpSeed { get; set; }

    public bool Canonize { get; set; } = true;

    public int BatchSize { get; set; } = 32;

    /// <summary>The target kind's stable name in <see cref="Targets.ExplanationTargets"/>; null: the class logit.</summary>
    public string? TargetKind { get; set; }

    /// <summary>Segmentation target: the mask's values, row-major, and its shape [H, W].</summary>
    public float[]? TargetMask { get; set; }

    /// <inheritdoc cref="TargetMask"/>
    public long[]? TargetMaskShape { get; set; }

    /// <summary>Detector target: one [x1, y1, x2, y2, label] per reference box.</summary>
    public float[][]? TargetBoxes { get; set; }

    /// <summary>Detector target: the IoU threshold.</summary>
    public double? TargetIouThreshold { get; set; }

    /// <summary>Detector target: the boxes, scores and labels outputs.</summary>
    public string[]? TargetDetectorOutputs { get; set; }

    /// <summary>Similarity target: the concept vector.</summary>
    public float[]? TargetConcept { get; set; }

    /// <summary>Finer target: α.</summary>
    public double? TargetAlpha { get; set; }

    /// <summary>Finer target: the number of compared classes.</summary>
    public int? TargetComparisons { get; set; }

    public int? GpuDeviceId { get; set; }

    public bool FallbackToCpu { get; set; } = true;

    public int IntraOpThreads { get; set; }

    /// <summary>The registry entry named by <see cref="Method"/>.</summary>
    /// <exception cref="ArgumentException">No method has that name (the message lists them).</exception>
    [JsonIgnore]
    public Explainers.ExplanationMethod Entry => ExplanationMethods.Find(Method);

    /// <summary>The composite named by <see cref="Composite"/>.</summary>
    /// <exception cref="ArgumentException">No composite has that name (the message lists them).</exception>
    [JsonIgnore]
    public LrpCompositeDescriptor CompositeEntry => LrpComposites.Find(Composite);

    /// <summary>
    /// The channel reduction in force: the given one, else Σ for methods whose attributions conserve the score
    /// (<see cref="Explainers.ExplanationMethod.ConservesScore"/>: LRP, integrated gradients, input × gradient), max |·| for the other input attributions.
    /// </summary>
    [JsonIgnore]
    public ChannelReduction EffectiveReduction => Reduction ?? (Entry.ConservesScore ? ChannelReduction.Sum : ChannelReduction.MaxAbsolute);

    [JsonIgnore]
    public ExecutionOptions Execution => new()
    {
        BatchSize = BatchSize,
        GpuDeviceId = GpuDeviceId,
        FallbackToCpu = FallbackToCpu,
        IntraOpThreads = IntraOpThreads,
    };

    /// <summary>The settings the registry entry maps onto its explainer's options.</summary>
    [JsonIgnore]
    public MethodSettings MethodSettings => new()
    {
        TargetLayer = TargetLayer,
        TargetLayers = TargetLayers,
        EigenSmooth = EigenSmooth,
        AugSmooth = AugSmooth,
        Output = ModelOutputName,
        ExplainedInput = ExplainedInput,
        AblationFill = AblationFill,
        GuidedGradCamConvention = GuidedGradCamConvention,
        Execution = Execution,
        Absolute = Absolute,
        Samples = Samples,
        NoiseLevel = NoiseLevel,
        Seed = Seed,
        Steps = Steps,
        Masks = Masks,
        Window = Window is { } w ? (w, w) : null,
        Stride = Stride is { } st ? (st, st) : null,
        BaselineValue = BaselineValue,
        Composite = Composite,
        Epsilon = Epsilon,
        Low = Low,
        High = High,
        LrpSeed = LrpSeed,
        Canonize = Canonize,
        Target = Target,
    };

    /// <summary>The target these settings describe (null: the class logit), built through the registry.</summary>
    /// <exception cref="Targets.ExplanationTargetException">An unknown kind, or parameters the kind refuses.</exception>
    [JsonIgnore]
    public Targets.ExplanationTarget? Target => TargetKind is null ? null : Targets.ExplanationTargets.Find(TargetKind).Create(new Targets.TargetSettings
    {
        Mask = TargetMask is null ? null : new Runtime.FloatTensor(TargetMask, TargetMaskShape ?? [TargetMask.Length]),
        Boxes = TargetBoxes?.Select(b => b is { Length: 5 } ? new Targets.ReferenceBox(b[0], b[1], b[2], b[3], (long)b[4]) : throw new Targets.ExplanationTargetException(TargetKind, "Each saved reference box is [x1, y1, x2, y2, label].")).ToArray(),
        IouThreshold = TargetIouThreshold,
        DetectorOutputs = TargetDetectorOutputs is { Length: 3 } o ? (o[0], o[1], o[2]) : null,
        Concept = TargetConcept,
        Alpha = TargetAlpha,
        Comparisons = TargetComparisons,
    });

    /// <summary>Stores a target kind and its parameters (the estimator's options) in the serialisable fields.</summary>
    public void SetTarget(Targets.ExplanationTargetKind? kind, Targets.TargetSettings? target)
    {
        TargetKind = kind?.Name;
        TargetMask = target?.Mask?.Data;
        TargetMaskShape = target?.Mask?.Shape;
        TargetBoxes = target?.Boxes?.Select(b => new[] { b.X1, b.Y1, b.X2, b.Y2, b.Label }).ToArray();
        TargetIouThreshold = target?.IouThreshold;
        TargetDetectorOutputs = target?.DetectorOutputs is { } o ? [o.Boxes, o.Scores, o.Labels] : null;
        TargetConcept = target?.Concept;
        TargetAlpha = target?.Alpha;
        TargetComparisons = target?.Comparisons;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <exception cref="InvalidDataException">Not settings of a known version, or naming an unknown method or composite.</exception>
    public static ExplainSettings FromJson(string json)
    {
        ExplainSettings? settings;
        try
        {
            settings = JsonSerializer.Deserialize<ExplainSettings>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The explain transformer's settings are not valid JSON: {e.Message}", e);
        }

        if (settings is null || settings.Version < 1 || settings.Version > CurrentVersion)
        {
            throw new InvalidDataException($"The explain transformer's settings have version {settings?.Version.ToString(CultureInfo.InvariantCulture) ?? "none"}; this library reads versions 1 to {CurrentVersion}.");
        }

        if (settings.Version == 1)
        {
            settings.Method = FieldValue<Explainers.ExplanationMethod>(typeof(ExplanationMethods), settings.Method)?.Name
                ?? throw new InvalidDataException($"The version 1 settings name method '{settings.Method}', which this library does not know; methods: {string.Join(", ", FieldNames<Explainers.ExplanationMethod>(typeof(ExplanationMethods)))}.");
            settings.Composite = FieldValue<LrpCompositeDescriptor>(typeof(LrpComposites), settings.Composite)?.Name
                ?? throw new InvalidDataException($"The version 1 settings name LRP composite '{settings.Composite}', which this library does not know; composites: {string.Join(", ", FieldNames<LrpCompositeDescriptor>(typeof(LrpComposites)))}.");
            settings.Version = CurrentVersion;
        }

        if (ExplanationMethods.TryFind(settings.Method) is null)
        {
            throw new InvalidDataException($"The explain transformer's settings name method '{settings.Method}'; methods: {string.Join(", ", ExplanationMethods.All.Select(m => m.Name))}.");
        }

        if (!LrpComposites.All.Any(c => string.Equals(c.Name, settings.Composite, StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidDataException($"The explain transformer's settings name LRP composite '{settings.Composite}'; composites: {string.Join(", ", LrpComposites.All.Select(c => c.Name))}.");
        }

        return settings;
    }

    /// <summary>The value of the public static field named <paramref name="name"/> of type <typeparamref name="T"/> (version 1's enumeration member names are these field names).</summary>
    private static T? FieldValue<T>(Type registry, string? name)
        where T : class
    {
        var field = string.IsNullOrEmpty(name) ? null : registry.GetField(name, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static);
        return field?.FieldType == typeof(T) ? (T?)field.GetValue(null) : null;
    }

    private static IEnumerable<string> FieldNames<T>(Type registry) =>
        registry.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static).Where(f => f.FieldType == typeof(T)).Select(f => f.Name);
}
