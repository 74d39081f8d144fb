using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Targets;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// One explanation method, as declared once in <see cref="ExplanationMethods"/>: its stable name, family, output
/// layout, options type, needs, paper, whether it compiles to a standalone ONNX graph, and the factory of its
/// explainer. The command line, the ML.NET estimators, the evaluation harness and the explanation compiler all
/// enumerate <see cref="ExplanationMethods.All"/> and read these facts; none keeps its own list.
/// </summary>
public sealed class ExplanationMethod
{
    private readonly Func<ExplanationMethod, OnnxModel, MethodSettings, IExplainer> _create;
    private readonly Func<CamWeighting>? _weighting;

    internal ExplanationMethod(
        string name,
        string displayName,
        MethodFamily family,
        ExplanationLayout layout,
        Type optionsType,
        MethodNeeds needs,
        string paper,
        string summary,
        string? notCompilableReason,
        Func<ExplanationMethod, OnnxModel, MethodSettings, IExplainer> create,
        Func<CamWeighting>? weighting = null,
        object? mode = null,
        bool conservesScore = false)
    {
        Mode = mode;
        ConservesScore = conservesScore;
        Name = name;
        DisplayName = displayName;
        Family = family;
        Layout = layout;
        OptionsType = optionsType;
        Needs = needs;
        Paper = paper;
        Summary = summary;
        NotCompilableReason = notCompilableReason;
        _create = create;
        _weighting = weighting;
    }

    /// <summary>The stable name: the command-line name and the name saved pipelines store, e.g. <c>grad-cam</c>.</summary>
    public string Name { get; }

    /// <summary>The name people write, e.g. "Grad-CAM".</summary>
    public string DisplayName { get; }

    /// <summary>The family, which fixes how the method uses the model.</summary>
    public MethodFamily Family { get; }

    /// <summary>What <see cref="Explanation.Values"/> holds.</summary>
    public ExplanationLayout Layout { get; }

    /// <summary>The options type of its explainer class (what <see cref="MethodSettings"/> is mapped onto).</summary>
    public Type OptionsType { get; }

    /// <summary>What it needs of the model and the runtime.</summary>
    public MethodNeeds Needs { get; }

    /// <summary>The paper that defines it (authors, title, venue, year).</summary>
    public string Paper { get; }

    /// <summary>One line for help texts: the formula in words.</summary>
    public string Summary { get; }

    /// <summary>Why it cannot be compiled to one standalone ONNX graph, or null when it can.</summary>
    public string? NotCompilableReason { get; }

    /// <summary>
    /// Whether its input attributions are meant to add up to the target score (completeness: Σᵢ Rᵢ ≈ y(x) for LRP
    /// with conserving rules, Σᵢ IGᵢ = y(x) − y(baseline) for integrated gradients, and Σᵢ xᵢ·∂y/∂xᵢ = y(x) for input ×
    /// gradient on bias-free piecewise-linear networks). Such attributions are summed over channels into a map; the
    /// others (plain gradients) take max |·| over channels, as Simonyan et al. do.
    /// </summary>
    public bool ConservesScore { get; }

    /// <summary>Whether the explanation compiler can write it as one standalone ONNX graph.</summary>
    public bool Compiles => NotCompilableReason is null;

    /// <summary>Whether it needs a target layer (the CAM family and Guided Grad-CAM).</summary>
    public bool UsesTargetLayer => Needs.HasFlag(MethodNeeds.TargetLayer);

    /// <summary>Creates its explainer for <paramref name="model"/> (sessions are created on first use; dispose it).</summary>
    /// <param name="model">The ONNX model to explain.</param>
    /// <param name="settings">The settings it reads (null: every default).</param>
    /// <exception cref="ExplanationTargetException">The settings' target does not fit the model, or the method cannot explain it (relevance propagation of a non-additive score; a target for Finer-CAM, which explains its own score).</exception>
    public IExplainer CreateExplainer(OnnxModel model, MethodSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (targeted, targetedSettings, target, read) = ApplyTarget(model, settings ?? MethodSettings.Default);
        var explainer = _create(this, targeted, targetedSettings);
        return target is null ? explainer : new TargetedExplainer(explainer, target, targeted, read!, targetedSettings.Execution);
    }

    /// <summary>
    /// The model with the target's score appended (<see cref="ExplanationTarget.Apply"/>) and the settings that explain
    /// it, the target (null when the model is explained as it is) and the output the target reads: what
    /// <see cref="CreateExplainer"/> and the explanation compiler run.
    /// </summary>
    internal (OnnxModel Model, MethodSettings Settings, ExplanationTarget? Target, string? Read) ApplyTarget(OnnxModel model, MethodSettings settings)
    {
        if (settings.Target is { IsIdentity: false } other && IsCamWeighting && CreateWeighting().Target is { } own)
        {
            throw new ExplanationTargetException(other.Name, $"{DisplayName} explains its own score (the '{own.Name}' target); it cannot explain target '{other.Name}' as well.");
        }

        var target = settings.Target;
        if (target is null || target.IsIdentity)
        {
            return (model, settings, null, null);
        }

        if ((Family == MethodFamily.Lrp || Mode is VisionTransformers.TransformerMethod.Lrp) && target.NotForRelevancePropagation is { } reason)
        {
            throw new ExplanationTargetException(target.Name, $"{DisplayName} cannot explain target '{target.Name}': {reason}.");
        }

        var (targeted, scores, read) = target.Apply(model, settings.Output);
        return (targeted, settings with { Output = scores, Target = null }, target, read);
    }

    /// <summary>The channel weighting of a CAM method; throws for other families.</summary>
    internal CamWeighting CreateWeighting() =>
        _weighting?.Invoke() ?? throw new ArgumentException($"'{Name}' is not a CAM method (family {Family}); CAM methods: {string.Join(", ", ExplanationMethods.All.Where(m => m.Family == MethodFamily.Cam).Select(m => m.Name))}.");

    /// <summary>
    /// The family explainer's mode for this entry — (<see cref="Attribution.GradientMethod"/>, absolute) for gradient
    /// methods, a <see cref="VisionTransformers.TransformerMethod"/> for transformer methods — so an explainer built
    /// directly from its options finds its registry entry; else null.
    /// </summary>
    internal object? Mode { get; }

    /// <summary>The registry entry whose <see cref="Mode"/> equals <paramref name="mode"/>.</summary>
    /// <param name="mode">The mode sought.</param>
    /// <param name="fallback">Accepts a close entry when none has exactly this mode (e.g. SmoothGrad with a non-default absolute setting).</param>
    internal static ExplanationMethod ForMode(object mode, Func<object?, bool>? fallback = null) =>
        ExplanationMethods.All.FirstOrDefault(m => Equals(m.Mode, mode))
        ?? (fallback is null ? null : ExplanationMethods.All.FirstOrDefault(m => fallback(m.Mode)))
        ?? throw new ArgumentOutOfRangeException(nameof(mode), mode, "No explanation method has this mode.");

    /// <summary>Whether it is a CAM weighting.</summary>
    internal bool IsCamWeighting => _weighting is not null;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
