using System.Globalization;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Composites;

namespace Microsoft.ML.Explainability.ML;

/// <summary>
/// The one check of an explain transformer's settings, run both when an estimator is made from options and when a saved
/// pipeline's <c>settings.json</c> is loaded: names present and distinct, enumerations known, numbers finite and inside
/// <see cref="ExplainLimits"/>. A saved file is input like any other, so it gets exactly the checks fresh options get.
/// </summary>
internal static class ExplainSettingsValidator
{
    /// <summary>Checks <paramref name="settings"/> against <paramref name="limits"/>.</summary>
    /// <exception cref="ArgumentException">A setting is missing, unknown, not finite or out of its range (the message names it and the range).</exception>
    public static void Validate(ExplainSettings settings, ExplainLimits limits)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Check();
        RequireName(settings.OutputColumnName, nameof(settings.OutputColumnName));
        RequireName(settings.InputColumnName, nameof(settings.InputColumnName));
        var method = ExplanationMethods.TryFind(settings.Method)
            ?? throw OutOfRange($"Method is '{settings.Method}': it is not one of {string.Join(", ", ExplanationMethods.All.Select(m => m.Name))}.");
        var composite = LrpComposites.All.FirstOrDefault(c => string.Equals(c.Name, settings.Composite, StringComparison.OrdinalIgnoreCase))
            ?? throw OutOfRange($"Composite is '{settings.Composite}': it is not one of {string.Join(", ", LrpComposites.All.Select(c => c.Name))}.");
        RequireDefined(settings.LrpSeed, nameof(settings.LrpSeed));
        if (settings.Reduction is { } reduction)
        {
            RequireDefined(reduction, nameof(settings.Reduction));
        }

        RequireRange(settings.BatchSize, 1, limits.MaxBatchSize, nameof(settings.BatchSize), nameof(limits.MaxBatchSize));
        RequireRange(settings.IntraOpThreads, 0, limits.MaxIntraOpThreads, nameof(settings.IntraOpThreads), nameof(limits.MaxIntraOpThreads));
        RequireRange(settings.Steps, 1, limits.MaxSteps, nameof(settings.Steps), nameof(limits.MaxSteps));
        RequireRange(settings.Samples, 1, limits.MaxSamples, nameof(settings.Samples), nameof(limits.MaxSamples));
        RequirePositive(settings.Masks, nameof(settings.Masks));
        RequirePositive(settings.Window, nameof(settings.Window));
        RequirePositive(settings.Stride, nameof(settings.Stride));
        if (settings.Masks > limits.MaxSamples)
        {
            throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"Masks is {settings.Masks}: it must be at most {limits.MaxSamples} (ExplainLimits.MaxSamples; raise the limit explicitly for more)."));
        }

        if (settings.TargetLayers is { } layers && (layers.Length > limits.MaxSamples || layers.Any(string.IsNullOrWhiteSpace) || (layers.Length > 0 && settings.TargetLayer is not null)))
        {
            throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"TargetLayers holds {layers.Length} names: each must be a tensor name, at most {limits.MaxSamples} (ExplainLimits.MaxSamples), and not together with TargetLayer."));
        }

        if (settings.BaselineValue is { } baselineValue && !float.IsFinite(baselineValue))
        {
            throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"BaselineValue is {baselineValue}: it must be finite."));
        }

        if (method == ExplanationMethods.Lrp && composite.NeedsBounds && (settings.Low is null || settings.High is null))
        {
            throw new ArgumentException($"The LRP composite '{composite.Name}' needs the input's bounds: set Low and High (one value, or one per channel).");
        }

        if ((settings.Low ?? []).Concat(settings.High ?? []).Any(v => !double.IsFinite(v)))
        {
            throw OutOfRange("Low and High must be finite.");
        }

        if (settings.GpuDeviceId is < 0)
        {
            throw OutOfRange($"GpuDeviceId is {settings.GpuDeviceId}: it must be non-negative (or null for the CPU).");
        }

        if (!(settings.NoiseLevel >= 0) || double.IsInfinity(settings.NoiseLevel))
        {
            throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"NoiseLevel is {settings.NoiseLevel}: it must be finite and non-negative."));
        }

        if (!(settings.Epsilon >= 0) || double.IsInfinity(settings.Epsilon))
        {
            throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"Epsilon is {settings.Epsilon}: it must be finite and non-negative."));
        }

        if (settings.Std is { } std && std.Any(s => !(s > 0) || float.IsInfinity(s)))
        {
            throw new ArgumentException("Std: every standard deviation must be finite and positive.");
        }

        if (settings.Mean is { } mean && mean.Any(m => !float.IsFinite(m)))
        {
            throw new ArgumentException("Mean: every mean must be finite.");
        }

        if (settings.InputShape is { } shape && (shape.Length != 3 || shape.Any(d => d < 1)))
        {
            throw new ArgumentException($"InputShape [{string.Join(", ", shape)}] must be [C, H, W] with positive sizes.");
        }

        var outputs = new[] { settings.OutputColumnName, settings.ClassColumnName, settings.ScoreColumnName, settings.RawMapColumnName }.Where(n => n is not null).ToArray();
        if (outputs.Distinct(StringComparer.Ordinal).Count() != outputs.Length)
        {
            throw new ArgumentException($"The output column names must differ: {string.Join(", ", outputs.Select(n => $"'{n}'"))}.", nameof(settings));
        }

        try
        {
            _ = settings.Target;
        }
        catch (Targets.ExplanationTargetException e)
        {
            throw new ArgumentException($"TargetKind '{settings.TargetKind}': {e.Message}", e);
        }

        if (settings.RawMapColumnName is not null && method.Layout != ExplanationLayout.Map)
        {
            throw new ArgumentException($"A raw layer map exists only for methods whose result is a map at a layer's resolution (CAM, FullGrad, attention methods), not for '{method.Name}' ({method.Layout}).", nameof(settings));
        }
    }

    /// <summary>An out-of-range error whose message names the setting (no parameter suffix: the setting is not a parameter).</summary>
    private static ArgumentOutOfRangeException OutOfRange(string message) => new(message, innerException: null);

    private static void RequireName(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{name} must be a column name.");
        }
    }

    private static void RequirePositive(int? value, string name)
    {
        if (value is < 1)
        {
            throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"{name} is {value}: it must be positive (or null for the method's default)."));
        }
    }

    private static void RequireDefined<T>(T value, string name)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw OutOfRange($"{name} is {value}: it is not one of {string.Join(", ", Enum.GetNames<T>())}.");
        }
    }

    private static void RequireRange(int value, int min, int max, string name, string limit)
    {
        if (value < min || value > max)
        {
            throw OutOfRange(string.Create(CultureInfo.InvariantCulture, $"{name} is {value}: it must be between {min} and {max} (ExplainLimits.{limit}; raise the limit explicitly for more)."));
        }
    }
}
