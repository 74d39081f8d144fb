using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>The maps of one <see cref="CamExplainer.Explain(FloatTensor, long[], CancellationToken)"/> call, rows in input order.</summary>
public sealed class CamResult
{
    internal CamResult(ExplanationMethod method, TargetLayer layer, FloatTensor maps, FloatTensor rawMaps, long[]? targets, float[] targetScores)
    {
        NonFiniteResultException.ThrowIfAny(rawMaps.Data, rawMaps.RowLength, ComputationStage.Map, $"raw {method} map");
        NonFiniteResultException.ThrowIfAny(maps.Data, maps.RowLength, ComputationStage.Map, $"{method} map");
        Method = method;
        Layer = layer;
        Maps = maps;
        RawMaps = rawMaps;
        Targets = targets;
        TargetScores = targetScores;
    }

    /// <summary>The method used.</summary>
    public ExplanationMethod Method { get; }

    /// <summary>The target layer.</summary>
    public TargetLayer Layer { get; }

    /// <summary>
    /// Post-processed maps [N, H, W] at the input's height and width, in [0, 1]: ReLU, per-image min-max, bilinear
    /// resize with half-pixel centres, min-max again (<see cref="CamMaps.PostProcess"/>), as pytorch-grad-cam returns them.
    /// </summary>
    public FloatTensor Maps { get; }

    /// <summary>Raw maps [N, h, w] at layer resolution, before ReLU and normalisation (<see cref="CamMaps.Raw"/>).</summary>
    public FloatTensor RawMaps { get; }

    /// <summary>The class explained in each row (predicted classes resolved); null when a seed tensor was given.</summary>
#pragma warning disable CA1819 // Plain per-row arrays are the natural result type here.
    public long[]? Targets { get; }

    /// <summary>The target score y(x) of each row: the output at the class, or ⟨seed, output⟩.</summary>
    public float[] TargetScores { get; }
#pragma warning restore CA1819
}
