namespace Microsoft.ML.Explainability.Cam;

/// <summary>How <see cref="GuidedGradCam"/> turns the Grad-CAM layer map into the factor multiplying Guided Backprop.</summary>
public enum GuidedGradCamConvention
{
    /// <summary>
    /// pytorch-grad-cam's example (the default): the post-processed Grad-CAM map — ReLU, upsampled to the input with
    /// half-pixel bilinear interpolation, min-max normalised to [0, 1].
    /// </summary>
    PyTorchGradCam,

    /// <summary>
    /// Captum's <c>GuidedGradCam</c>: the raw layer map ReLU(Σₖ wₖ Aᵏ), wₖ the spatial mean of ∂y/∂Aᵏ (not normalised),
    /// upsampled with <c>LayerAttribution.interpolate</c>'s default nearest-neighbour mode (PyTorch's "nearest": source
    /// index ⌊i · in/out⌋).
    /// </summary>
    Captum,
}
