using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Both orders of pixel flipping and their AOPC per sample.</summary>
public sealed class PixelFlippingResult
{
    internal PixelFlippingResult(PerturbationCurves morf, PerturbationCurves lerf)
    {
        Morf = morf;
        Lerf = lerf;
        AopcMorf = morf.Curves.Select(Aopc).ToArray();
        AopcLerf = lerf.Curves.Select(Aopc).ToArray();
    }

    /// <summary>Most relevant first: the score should fall fast.</summary>
    public PerturbationCurves Morf { get; }

    /// <summary>Least relevant first: the score should stay.</summary>
    public PerturbationCurves Lerf { get; }

    /// <summary>Per sample, AOPC of the MoRF curve (higher is better).</summary>
    public IReadOnlyList<double> AopcMorf { get; }

    /// <summary>Per sample, AOPC of the LeRF curve (lower is better).</summary>
    public IReadOnlyList<double> AopcLerf { get; }

    /// <summary>AOPC = 1/(L+1) Σ_{k=0}^{L} (f(x⁽⁰⁾) − f(x⁽ᵏ⁾)) of one curve y_k = f(x⁽ᵏ⁾).</summary>
    public static double Aopc(IReadOnlyList<double> curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        return curve.Average(y => curve[0] - y);
    }
}
