using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>2×2 mosaics of images at the images' own resolution, for <see cref="Localisation.Focus"/>.</summary>
/// <param name="Images">The mosaics, the images' shape [M, C, H, W].</param>
/// <param name="Targets">The class each mosaic is explained for.</param>
/// <param name="TargetQuadrants">Per mosaic, whether each quadrant (top-left, top-right, bottom-left, bottom-right) holds an image of the target class.</param>
public sealed record MosaicSet(FloatTensor Images, long[] Targets, IReadOnlyList<bool[]> TargetQuadrants);
