using Microsoft.ML.Explainability.Targets;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Finer-CAM (Zhang et al., "Finer-CAM: Spotting the Difference Reveals Finer Details for Visual Explanation", CVPR
/// 2025), as pytorch-grad-cam's <c>FinerCAM</c> with its defaults (base method Grad-CAM, α = 1, comparison categories
/// = ranks 1, 2, 3): Grad-CAM of the <see cref="ExplanationTargets.Finer"/> target (pytorch-grad-cam's
/// <c>FinerWeightedTarget</c>), whose score is written once, in <see cref="FinerTarget"/>. The class −1 is the top
/// logit's class, as in the reference.
/// </summary>
internal sealed class FinerCamWeighting(double alpha, int comparisons) : CamWeighting
{
    private readonly GradCamWeighting _base = new();

    public override Targets.ExplanationTarget Target { get; } = ExplanationTargets.Finer.Create(new TargetSettings { Alpha = alpha, Comparisons = comparisons });

    public override bool RunsModel => true;

    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map) =>
        _base.Map(a, g, channels, cells, map);
}
