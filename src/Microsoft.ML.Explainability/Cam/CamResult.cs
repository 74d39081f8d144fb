using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>The maps of one <see cref="CamExplainer.Explain(FloatTensor, long[], CancellationToken)"/> call, rows in input order.</summary>
public sealed class CamResult
{
    internal CamResult(ExplanationMethod method, IReadOnlyList<TargetLayer> layers, FloatTensor maps, IReadOnlyList<FloatTensor> layerRawMaps, long[]? targets, float[] targetScores)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            NonFiniteResultException.ThrowIfAny(layerRawMaps[i].Data, layerRawMaps[i].RowLength, ComputationStage.Map, $"raw {method} map of layer '{layers[i].Name}'");
        }

        NonFiniteResultException.ThrowIfAny(maps.Data, maps.RowLength, ComputationStage.Map, $"{method} map");
        Method = method;
        Layers = layers;
        Maps = maps;
        LayerRawMaps = layerRawMaps;
        Targets = targets;
        TargetScores = targetScores;
    }

    /// <summary>The method used.</summary>
    public ExplanationMethod Method { get; }

    /// <summary>The target layer (the first of <see cref="Layers"/>).</summary>
    public TargetLayer Layer => Layers[0];

    /// <summary>Every target layer, in the order given.</summary>
    public IReadOnlyList<TargetLayer> Layers { get; }

    /// <summary>
    /// Post-processed maps [N, H, W] at the input's height and width, in [0, 1]: ReLU, per-image min-max, bilinear
    /// resize with half-pixel centres, min-max again (<see cref="CamMaps.PostProcess"/>), as pytorch-grad-cam returns them;
    /// with several target layers, their combination (<see cref="CamOptions.TargetLayers"/>); with
    /// <see cref="CamOptions.AugSmooth"/>, the mean over the augmentations.
    /// </summary>
    public FloatTensor Maps { get; }

    /// <summary>Raw maps [N, h, w] at the resolution of <see cref="Layer"/> (the first target layer), before ReLU and normalisation (<see cref="CamMaps.Raw"/>).</summary>
    public FloatTensor RawMaps => LayerRawMaps[0];

    /// <summary>Each target layer's raw maps [N, hₗ, wₗ], in the order of <see cref="Layers"/> (with <see cref="CamOptions.AugSmooth"/>, those of the unaugmented copy).</summary>
    public IReadOnlyList<FloatTensor> LayerRawMaps { get; }

    /// <summary>The class explained in each row (predicted classes resolved); null when a seed tensor was given.</summary>
#pragma warning disable CA1819 // Plain per-row arrays are the natural result type here.
    public long[]? Targets { get; }

    /// <summary>The target score y(x) of each row: the output at the class, or ⟨seed, output⟩.</summary>
    public float[] TargetScores { get; }
#pragma warning restore CA1819
}
