using System.Runtime.CompilerServices;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Autodiff.Rules;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>Zennit's stabiliser stab(z) = z + ε·sign(z), sign(0) = +1, emitted as z + Where(z ≥ 0, ε, −ε).</summary>
internal static class Stabilizer
{
    /// <summary>Zennit's default stabiliser ε.</summary>
    public const double DefaultEpsilon = 1e-6;

    public static string Apply(GradientContext c, string z, double epsilon)
    {
        var g = c.Graph;
        var nonNegative = g.Node("GreaterOrEqual", [z, c.Scalar(0)]);
        return g.Add(z, g.Where(nonNegative, c.Scalar(epsilon), c.Scalar(-epsilon)));
    }

    /// <summary>stab(z) for a z known to be ≥ 0 (sign(z) = +1 everywhere): z + ε, one node instead of three.</summary>
    public static string ApplyNonNegative(GradientContext c, string z, double epsilon) => c.Graph.Add(z, c.Scalar(epsilon));
}
