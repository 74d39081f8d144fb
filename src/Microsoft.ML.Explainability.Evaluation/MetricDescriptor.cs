using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>One metric as the registry declares it.</summary>
public sealed class MetricDescriptor
{
    private readonly Func<MetricContext, MetricValues> _compute;

    internal MetricDescriptor(
        string name, MetricFamily family, MetricNeeds needs, bool? higherIsBetter, Type? optionsType, string reference, string definition,
        Func<MetricContext, MetricValues> compute, bool? higherIsBetterUnderQuantus = null)
    {
        Name = name;
        Family = family;
        Needs = needs;
        HigherIsBetter = higherIsBetter;
        HigherIsBetterUnderQuantus = higherIsBetterUnderQuantus ?? higherIsBetter;
        OptionsType = optionsType;
        Reference = reference;
        Definition = definition;
        _compute = compute;
    }

    /// <summary>The stable name used by the CLI (<c>evaluate --metrics</c>) and in reports.</summary>
    public string Name { get; }

    /// <summary>The property measured.</summary>
    public MetricFamily Family { get; }

    /// <summary>What it needs besides the inputs and explanations.</summary>
    public MetricNeeds Needs { get; }

    /// <summary>Direction under <see cref="EvaluationConvention.Default"/>.</summary>
    public bool? HigherIsBetter { get; }

    /// <summary>Direction under <see cref="EvaluationConvention.Quantus"/> (differs where Quantus reports another quantity, e.g. completeness as a boolean).</summary>
    public bool? HigherIsBetterUnderQuantus { get; }

    /// <summary>The type of the options object accepted in <see cref="MetricContext.Options"/>; null when it takes none.</summary>
    public Type? OptionsType { get; }

    /// <summary>The paper.</summary>
    public string Reference { get; }

    /// <summary>The value per sample in one sentence, with what Quantus 0.6 does differently.</summary>
    public string Definition { get; }

    /// <summary>The direction under a convention.</summary>
    public bool? Direction(EvaluationConvention convention) => convention == EvaluationConvention.Quantus ? HigherIsBetterUnderQuantus : HigherIsBetter;

    /// <summary>Computes the per-sample values.</summary>
    /// <exception cref="EvaluationInputException">The context lacks what <see cref="Needs"/> asks for (explainer, masks, two samples), or the inputs are bad.</exception>
    public MetricValues Compute(MetricContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Needs.HasFlag(MetricNeeds.ExplainerReruns) && context.Explain is null)
        {
            throw new EvaluationInputException($"Metric '{Name}' re-runs the explanation method: give MetricContext.Explain.");
        }

        if (Needs.HasFlag(MetricNeeds.Masks) && context.Masks is null)
        {
            throw new EvaluationInputException($"Metric '{Name}' needs ground-truth masks: give MetricContext.Masks (for dark uniform backgrounds, ObjectMasks.BrighterThanBackground).");
        }

        if (Needs.HasFlag(MetricNeeds.SeveralSamples) && context.Inputs.BatchSize < 2)
        {
            throw new EvaluationInputException($"Metric '{Name}' compares samples with each other and needs at least two; got {context.Inputs.BatchSize}.");
        }

        return _compute(context);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
