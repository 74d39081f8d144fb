using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// Grad-CAM (Selvaraju et al., ICCV 2017) and its gradient-based family (the CAM entries of <see cref="ExplanationMethods"/>) on a transformer's
/// token activations, as pytorch-grad-cam does for ViT/DeiT with its <c>reshape_transform</c>: the prefix tokens
/// are dropped and the patch tokens [N, h·w, C] are read as a feature map [N, C, h, w] (token prefix + i·w + j is
/// cell (i, j)); for Grad-CAM, wₖ = mean over the patch tokens of ∂y/∂Aₖ and map = Σₖ wₖ·Aₖ. The reshape is the
/// CAM module's (<see cref="TargetLayer"/> with <see cref="LayerLayout.Tokens"/>) and the weighting its
/// <see cref="CamMaps.Raw"/>.
/// </summary>
public static class TokenGradCam
{
    /// <summary>Raw token CAM maps [N, h, w] (before ReLU and normalisation).</summary>
    /// <param name="layer">The token layer (<see cref="LayerLayout.Tokens"/>), from <see cref="AttentionLayout.TokenLayer"/> or <see cref="TargetLayers.Resolve(Onnx.OnnxModel, string, TokenGrid, LayerLayout?)"/>.</param>
    /// <param name="activations">The layer's activations [N, T, C].</param>
    /// <param name="gradients">∂y/∂activations [N, T, C].</param>
    /// <param name="method">A gradient-based CAM method (not Score-CAM or Ablation-CAM, which need the model: use <see cref="CamExplainer"/>). Default Grad-CAM.</param>
    public static FloatTensor Compute(TargetLayer layer, FloatTensor activations, FloatTensor gradients, ExplanationMethod? method = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(gradients);
        if (layer.Layout != LayerLayout.Tokens)
        {
            throw new ArgumentException($"Layer '{layer.Name}' is a feature map, not tokens; use CamMaps.Raw or CamExplainer.", nameof(layer));
        }

        if (!gradients.Shape.SequenceEqual(activations.Shape))
        {
            throw new ArgumentException($"Gradients {gradients.ShapeText} must have the activations' shape {activations.ShapeText}.", nameof(gradients));
        }

        int n = activations.BatchSize;
        long[] shape = [n, layer.Channels, layer.Height, layer.Width];
        var a = new FloatTensor(layer.ToChannelsFirst(activations), shape);
        var g = new FloatTensor(layer.ToChannelsFirst(gradients), shape);
        return CamMaps.Raw(method ?? ExplanationMethods.GradCam, a, g);
    }
}
