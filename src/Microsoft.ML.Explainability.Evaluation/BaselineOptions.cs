using System.Numerics.Tensors;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>How the baseline is made.</summary>
public sealed class BaselineOptions
{
    /// <summary>The kind of baseline. Default <see cref="BaselineKind.Zero"/>.</summary>
    public BaselineKind Kind { get; init; } = BaselineKind.Zero;

    /// <summary>Standard deviation in pixels of the <see cref="BaselineKind.Blur"/> kernel. Default 5 (RISE uses an 11-tap kernel with σ = 5).</summary>
    public double BlurSigma { get; init; } = 5;

    /// <summary>Seed of <see cref="BaselineKind.UniformNoise"/>. Default 0.</summary>
    public int Seed { get; init; }
}
