using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Region perturbation curves and their AOPC.</summary>
public sealed class RegionPerturbationResult
{
    internal RegionPerturbationResult(PerturbationCurves curves)
    {
        Curves = curves;
        Aopc = curves.Curves.Select(PixelFlippingResult.Aopc).ToArray();
        AopcWithoutUnperturbed = curves.Curves.Select(c => c.Skip(1).Average(y => c[0] - y)).ToArray();
    }

    /// <summary>The score after each region, the unperturbed input first.</summary>
    public PerturbationCurves Curves { get; }

    /// <summary>Per sample, (1/(L+1)) Σ_{k=0}^{L} (f(x) − f(x⁽ᵏ⁾)).</summary>
    public IReadOnlyList<double> Aopc { get; }

    /// <summary>Per sample, (1/L) Σ_{k=1}^{L} (f(x) − f(x⁽ᵏ⁾)): the mean of Quantus's per-sample curve.</summary>
    public IReadOnlyList<double> AopcWithoutUnperturbed { get; }
}
