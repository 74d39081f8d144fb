using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

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
