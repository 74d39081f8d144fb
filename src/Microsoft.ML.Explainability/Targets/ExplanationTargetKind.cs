namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// One kind of explanation target as declared once in <see cref="ExplanationTargets"/>: its stable name (the CLI's
/// <c>--target-kind</c> and the ML.NET option), the score it explains, the reference it follows, the parameters it needs,
/// and the factory that builds it from a <see cref="TargetSettings"/>.
/// </summary>
public sealed class ExplanationTargetKind
{
    private readonly Func<TargetSettings, ExplanationTarget> _create;

    internal ExplanationTargetKind(string name, string summary, string reference, TargetParameters needs, Func<TargetSettings, ExplanationTarget> create)
    {
        Name = name;
        Summary = summary;
        Reference = reference;
        Needs = needs;
        _create = create;
    }

    /// <summary>The stable name, e.g. <c>segmentation</c>.</summary>
    public string Name { get; }

    /// <summary>The explained score in words.</summary>
    public string Summary { get; }

    /// <summary>The reference definition it follows (pytorch-grad-cam's target class).</summary>
    public string Reference { get; }

    /// <summary>The parameters it needs in <see cref="TargetSettings"/>.</summary>
    public TargetParameters Needs { get; }

    /// <summary>Builds the target from <paramref name="settings"/>.</summary>
    /// <exception cref="ExplanationTargetException">A parameter it needs is missing or invalid.</exception>
    public ExplanationTarget Create(TargetSettings? settings = null)
    {
        settings ??= new TargetSettings();
        foreach (var need in Enum.GetValues<TargetParameters>().Where(p => p != TargetParameters.None && Needs.HasFlag(p)))
        {
            bool given = need switch
            {
                TargetParameters.Mask => settings.Mask is not null,
                TargetParameters.Boxes => settings.Boxes is { Count: > 0 },
                TargetParameters.Concept => settings.Concept is { Length: > 0 },
                _ => true,
            };
            if (!given)
            {
                throw new ExplanationTargetException(Name, $"Target '{Name}' needs {Describe(need)}.");
            }
        }

        return _create(settings);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static string Describe(TargetParameters need) => need switch
    {
        TargetParameters.Mask => "a mask (TargetSettings.Mask, [H, W] of the output's spatial size; CLI --mask file.npy)",
        TargetParameters.Boxes => "at least one reference box with its label (TargetSettings.Boxes; CLI --box x1,y1,x2,y2 --box-label k)",
        TargetParameters.Concept => "a concept vector (TargetSettings.Concept, the embedding's length; CLI --concept file.npy)",
        _ => need.ToString(),
    };
}

/// <summary>The parameters a target kind needs.</summary>
[Flags]
public enum TargetParameters
{
    /// <summary>Nothing beyond the row's class.</summary>
    None = 0,

    /// <summary>A spatial mask <see cref="TargetSettings.Mask"/>.</summary>
    Mask = 1,

    /// <summary>Reference boxes <see cref="TargetSettings.Boxes"/>.</summary>
    Boxes = 2,

    /// <summary>A concept embedding <see cref="TargetSettings.Concept"/>.</summary>
    Concept = 4,
}
