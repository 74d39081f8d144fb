namespace Microsoft.ML.Explainability.Lrp.Composites;

/// <summary>A named LRP composite of the <see cref="LrpComposites"/> registry.</summary>
public sealed class LrpCompositeDescriptor
{
    private readonly Func<LrpCompositeSettings, LrpComposite> _create;

    internal LrpCompositeDescriptor(string name, string summary, bool needsBounds, Func<LrpCompositeSettings, LrpComposite> create)
    {
        Name = name;
        Summary = summary;
        NeedsBounds = needsBounds;
        _create = create;
    }

    /// <summary>The stable name (command line, saved pipelines), e.g. <c>epsilon-plus</c>.</summary>
    public string Name { get; }

    /// <summary>One line for help texts.</summary>
    public string Summary { get; }

    /// <summary>Whether the composite needs the input's bounds (<see cref="LrpCompositeSettings.Low"/>, <see cref="LrpCompositeSettings.High"/>).</summary>
    public bool NeedsBounds { get; }

    /// <summary>Builds the composite.</summary>
    /// <exception cref="ArgumentException">A bound the composite needs is missing.</exception>
    public LrpComposite Create(LrpCompositeSettings? settings = null)
    {
        settings ??= new LrpCompositeSettings();
        if (NeedsBounds && (settings.Low is null || settings.High is null))
        {
            throw new ArgumentException($"LRP composite '{Name}' needs the input's lowest and highest values (LrpCompositeSettings.Low and High).", nameof(settings));
        }

        return _create(settings);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
