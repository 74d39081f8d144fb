using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli.Inputs;

/// <summary>The batch a command explains.</summary>
/// <param name="Tensor">The model input, [N, …] (normalised as the model expects).</param>
/// <param name="Names">A file-name stem per row (the image's name, or "row0", "row1"… for a .npy batch).</param>
/// <param name="Display">What overlays are drawn over: the images' pixels in [0, 1] [N, C, H, W], or the batch itself.</param>
internal sealed record InputBatch(FloatTensor Tensor, IReadOnlyList<string> Names, FloatTensor Display);
