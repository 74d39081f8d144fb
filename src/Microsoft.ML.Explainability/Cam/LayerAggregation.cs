namespace Microsoft.ML.Explainability.Cam;

/// <summary>How a CAM combines the post-processed maps of several target layers (<see cref="CamMaps.Aggregate"/>).</summary>
internal enum LayerAggregation
{
    /// <summary>
    /// pytorch-grad-cam's <c>compute_cam_per_layer</c> + <c>aggregate_multi_layers</c>: each layer's map ReLU'd, min-max
    /// normalised and resized to the input; then ReLU, the mean over layers, and min-max once more.
    /// </summary>
    Mean,

    /// <summary>
    /// RefineCAM (pytorch-grad-cam's <c>RefineCAM</c>): each layer's map as a single-layer CAM returns it (ReLU, min-max,
    /// resize, ReLU, min-max); then the product over layers, min-max normalised.
    /// </summary>
    Product,
}
