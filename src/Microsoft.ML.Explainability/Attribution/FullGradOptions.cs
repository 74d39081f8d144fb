using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Options of <see cref="FullGrad"/>.</summary>
public sealed class FullGradOptions
{
    /// <summary>The output explained; null (the default) takes the model's first [N, classes] float output.</summary>
    public string? Output { get; init; }

    /// <summary>Device, threads and rows per ONNX Runtime call.</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;

    /// <summary>The backward rules; <see cref="GradientRuleRegistry.Default"/> gives true gradients (FullGrad's definition).</summary>
    public GradientRuleRegistry Rules { get; init; } = GradientRuleRegistry.Default;
}

/// <summary>
/// A layer whose bias FullGrad uses: the output tensor z of a Conv with a constant bias b, or of a
/// BatchNormalization, whose effective bias is b = B − μ·γ/√(σ² + ε).
/// </summary>
/// <param name="Tensor">The layer's output tensor z (the bias-gradient is ∂y/∂z ⊙ b).</param>
/// <param name="Node">"OpType 'node name'" of the producing node.</param>
/// <param name="Channels">C, the bias length.</param>
/// <param name="Height">h of the output [N, C, h, w].</param>
/// <param name="Width">w of the output.</param>
public sealed record FullGradLayer(string Tensor, string Node, int Channels, int Height, int Width);

/// <summary>The maps of one <see cref="FullGrad"/> call, rows in input order.</summary>
public sealed class FullGradResult
{
    internal FullGradResult(FloatTensor maps, FloatTensor rawMaps, long[]? targets, float[] targetScores)
    {
        NonFiniteResultException.ThrowIfAny(rawMaps.Data, rawMaps.RowLength, ComputationStage.Map, "raw FullGrad map");
        NonFiniteResultException.ThrowIfAny(maps.Data, maps.RowLength, ComputationStage.Map, "FullGrad map");
        Maps = maps;
        RawMaps = rawMaps;
        Targets = targets;
        TargetScores = targetScores;
    }

    /// <summary>The saliency maps [N, H, W] at the input's size, min-max normalised to [0, 1) (pytorch-grad-cam's output).</summary>
    public FloatTensor Maps { get; }

    /// <summary>The sum of the post-processed input and bias terms [N, H, W], before the final min-max normalisation.</summary>
    public FloatTensor RawMaps { get; }

#pragma warning disable CA1819 // Plain per-row arrays are the natural result type here.
    /// <summary>The class explained in each row (predicted classes resolved); null when a seed tensor was given.</summary>
    public long[]? Targets { get; }

    /// <summary>The target score y(x) of each row: the output for the target class, or ⟨seed, output⟩.</summary>
    public float[] TargetScores { get; }
#pragma warning restore CA1819
}
