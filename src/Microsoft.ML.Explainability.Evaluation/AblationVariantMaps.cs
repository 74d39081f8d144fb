using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>The maps one variant produced for the inputs.</summary>
public sealed class AblationVariantMaps
{
    internal AblationVariantMaps(AblationVariant variant, TargetLayer layer, FloatTensor maps, FloatTensor rawMaps)
    {
        Variant = variant;
        Layer = layer;
        Maps = maps;
        RawMaps = rawMaps;
    }

    /// <summary>The variant.</summary>
    public AblationVariant Variant { get; }

    /// <summary>The resolved target layer.</summary>
    public TargetLayer Layer { get; }

    /// <summary>
    /// Maps [N, H, W] at the input's resolution, as the metrics saw them: with the map ReLU, pytorch-grad-cam's
    /// post-processing (<see cref="CamMaps.PostProcess"/>, values in [0, 1]); without it, the raw map divided by its
    /// largest absolute value and resized the same way (values in [−1, 1], negative evidence kept).
    /// </summary>
    public FloatTensor Maps { get; }

    /// <summary>Raw maps [N, h, w] at the layer's resolution, before any ReLU and normalisation.</summary>
    public FloatTensor RawMaps { get; }
}
