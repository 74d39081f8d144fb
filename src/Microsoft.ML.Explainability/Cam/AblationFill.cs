namespace Microsoft.ML.Explainability.Cam;

/// <summary>What Ablation-CAM writes into an ablated channel of the target layer.</summary>
public enum AblationFill
{
    /// <summary>
    /// pytorch-grad-cam's <c>AblationLayer</c> (the default): 0 when the image's minimum activation at the layer is 0
    /// (a ReLU output), otherwise that minimum − 1e7, so that the channel is "off" also on layers with negative values
    /// (Hardswish, GELU, a BatchNorm before its activation). Matches pytorch-grad-cam's maps.
    /// </summary>
    PyTorchGradCam,

    /// <summary>Always 0, as in the paper (Desai &amp; Ramaswamy, WACV 2020).</summary>
    Zero,
}
