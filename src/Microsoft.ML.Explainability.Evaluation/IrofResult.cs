using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>IROF curves and their areas.</summary>
public sealed class IrofResult
{
    internal IrofResult(double[][] relative)
    {
        RelativeCurves = relative;
        Aoc = relative.Select(c => 1 - PerturbationCurves.Trapezoid(Enumerable.Range(0, c.Length).Select(k => (double)k / (c.Length - 1)).ToArray(), c)).ToArray();
        QuantusAoc = relative.Select(c => (c.Length - 1) - PerturbationCurves.UnitTrapezoid(c.Skip(1).ToArray())).ToArray();
    }

    /// <summary>Per sample, f(x⁽ᵏ⁾)/f(x) for k = 0…S (1 first).</summary>
    public IReadOnlyList<IReadOnlyList<double>> RelativeCurves { get; }

    /// <summary>Per sample, 1 − AUC over the fraction of segments removed.</summary>
    public IReadOnlyList<double> Aoc { get; }

    /// <summary>Per sample, Quantus's S − trapz(dx = 1) of the S perturbed points.</summary>
    public IReadOnlyList<double> QuantusAoc { get; }
}
