using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// The parameters of any target kind in one flat bag (what the CLI and the ML.NET options pass to
/// <see cref="ExplanationTargetKind.Create"/>); each kind reads the ones it needs. Null keeps the kind's default.
/// </summary>
public sealed class TargetSettings
{
    /// <summary>Segmentation: the pixel mask [H, W] (the output's spatial size); any finite weights, usually 0/1.</summary>
    public FloatTensor? Mask { get; init; }

    /// <summary>Detector: the reference boxes (x1, y1, x2, y2 in the detector's coordinates) and their labels.</summary>
    public IReadOnlyList<ReferenceBox>? Boxes { get; init; }

    /// <summary>Detector: the IoU a detection must exceed to match a reference box; default 0.5 (pytorch-grad-cam's).</summary>
    public double? IouThreshold { get; init; }

    /// <summary>Detector: the names of the boxes, scores and labels outputs; default ("boxes", "scores", "labels").</summary>
    public (string Boxes, string Scores, string Labels)? DetectorOutputs { get; init; }

    /// <summary>Similarity: the concept embedding (the explained output's length per row).</summary>
#pragma warning disable CA1819 // A vector is the natural parameter type.
    public float[]? Concept { get; init; }
#pragma warning restore CA1819

    /// <summary>Finer: α, the weight of the comparison classes; default 1 (pytorch-grad-cam's).</summary>
    public double? Alpha { get; init; }

    /// <summary>Finer: how many of the most similar classes are compared; default 3 (pytorch-grad-cam's ranks 1, 2, 3).</summary>
    public int? Comparisons { get; init; }
}

/// <summary>A reference box of a detector target: corners (x1, y1) – (x2, y2) and the class label it must keep.</summary>
/// <param name="X1">Left.</param>
/// <param name="Y1">Top.</param>
/// <param name="X2">Right.</param>
/// <param name="Y2">Bottom.</param>
/// <param name="Label">The class label a matching detection must have.</param>
public readonly record struct ReferenceBox(float X1, float Y1, float X2, float Y2, long Label);
