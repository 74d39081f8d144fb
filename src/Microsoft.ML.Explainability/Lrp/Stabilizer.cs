using System.Runtime.CompilerServices;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Autodiff.Rules;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>
/// The one stabiliser of every LRP rule (CNN and transformer alike): Zennit's stab(z) = z + ε·sign(z), sign(0) = +1,
/// emitted as z + Where(z ≥ 0, ε, −ε). Its default ε is <see cref="Rules.LrpRules.DefaultEpsilon"/>.
/// </summary>
internal static class Stabilizer
{
    public static string Apply(GradientContext c, string z, double epsilon)
    {
        var g = c.Graph;
        var nonNegative = g.Node("GreaterOrEqual", [z, c.Scalar(0)]);
        return g.Add(z, g.Where(nonNegative, c.Scalar(epsilon), c.Scalar(-epsilon)));
    }

    /// <summary>stab(z) for a z known to be ≥ 0 (sign(z) = +1 everywhere): z + ε, one node instead of three.</summary>
    public static string ApplyNonNegative(GradientContext c, string z, double epsilon) => c.Graph.Add(z, c.Scalar(epsilon));
}
