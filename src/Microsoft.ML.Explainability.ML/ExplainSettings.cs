using System.Text.Json.Serialization;
using System.Text.Json;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// Everything an explain transformer needs besides the ONNX model, flat and JSON-serialisable: what
/// <see cref="ExplainModelStore"/> writes as <c>settings.json</c> (with <see cref="Version"/>).
/// </summary>
internal sealed class ExplainSettings
{
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int Version { get; set; } = CurrentVersion;

    /// <summary>"GradCam", "Lrp", "GuidedBackprop" or "Explain": which transformer class is rebuilt.</summary>
    public string Kind { get; set; } = "Explain";

    public ExplanationMethod Method { get; set; }

    public string OutputColumnName { get; set; } = "Saliency";

    public string InputColumnName { get; set; } = "Pixels";

#pragma warning disable CA1819 // A JSON settings bag.
    public long[]? InputShape { get; set; }

    public float[]? Mean { get; set; }

    public float[]? Std { get; set; }
#pragma warning restore CA1819

    public string? TargetColumnName { get; set; }

    public string? ModelOutputName { get; set; }

    public string? ClassColumnName { get; set; }

    public string? ScoreColumnName { get; set; }

    public string? RawMapColumnName { get; set; }

    public string? TargetLayer { get; set; }

    public ChannelReduction? Reduction { get; set; }

    public bool Absolute { get; set; } = true;

    public int Samples { get; set; } = 50;

    public double NoiseLevel { get; set; } = 0.15;

    public int Seed { get; set; }

    public int Steps { get; set; } = 50;

    public LrpCompositeKind Composite { get; set; }

    public double Epsilon { get; set; } = 1e-6;

    public LrpSeed LrpSeed { get; set; }

    public bool Canonize { get; set; } = true;

    public int BatchSize { get; set; } = 32;

    public int? GpuDeviceId { get; set; }

    public bool FallbackToCpu { get; set; } = true;

    public int IntraOpThreads { get; set; }

    [JsonIgnore]
    public bool IsCam => Method <= ExplanationMethod.AblationCam;

    /// <summary>The channel reduction in force: the given one, else Σ for LRP, integrated gradients and input × gradient (conservation), max |·| for the other gradients.</summary>
    [JsonIgnore]
    public ChannelReduction EffectiveReduction => Reduction ?? Method switch
    {
        ExplanationMethod.Lrp or ExplanationMethod.IntegratedGradients or ExplanationMethod.InputXGradient => ChannelReduction.Sum,
        _ => ChannelReduction.MaxAbsolute,
    };

    [JsonIgnore]
    public ExecutionOptions Execution => new()
    {
        BatchSize = BatchSize,
        GpuDeviceId = GpuDeviceId,
        FallbackToCpu = FallbackToCpu,
        IntraOpThreads = IntraOpThreads,
    };

    /// <summary>The registry entry of a CAM method (the enum member's name matches the entry's field name).</summary>
    [JsonIgnore]
    public Explainers.ExplanationMethod CamMethod =>
        (Explainers.ExplanationMethod?)typeof(ExplanationMethods).GetField(Method.ToString())?.GetValue(null) is { Family: Explainers.MethodFamily.Cam } m
            ? m
            : throw new InvalidOperationException($"{Method} is not a CAM method.");

    public static ExplanationMethod FromCam(Explainers.ExplanationMethod method) =>
        Enum.Parse<ExplanationMethod>(typeof(ExplanationMethods).GetFields().First(f => ReferenceEquals(f.GetValue(null), method)).Name);

    [JsonIgnore]
    public LrpComposite LrpComposite => Composite switch
    {
        LrpCompositeKind.EpsilonPlus => LrpComposite.EpsilonPlus(Epsilon),
        LrpCompositeKind.EpsilonAlpha2Beta1 => LrpComposite.EpsilonAlpha2Beta1(Epsilon),
        LrpCompositeKind.EpsilonPlusFlat => LrpComposite.EpsilonPlusFlat(Epsilon),
        LrpCompositeKind.Epsilon => LrpComposite.Epsilon(Epsilon),
        _ => throw new ArgumentOutOfRangeException(nameof(Composite), Composite, "Unknown LRP composite."),
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <exception cref="InvalidDataException">Not settings of a known version.</exception>
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
            throw new InvalidDataException($"The explain transformer's settings have version {settings?.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}; this library reads versions 1 to {CurrentVersion}.");
        }

        return settings;
    }
}
