namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// How attention rollout fuses the heads of one block into one T×T matrix (Abnar &amp; Zuidema 2020 average the
/// heads; jacobgil's vit-explain adds max and min).
/// </summary>
public enum HeadFusion
{
    /// <summary>Ā[i, j] = (1/H)·Σₕ Aₕ[i, j].</summary>
    Mean,

    /// <summary>Ā[i, j] = maxₕ Aₕ[i, j].</summary>
    Max,

    /// <summary>Ā[i, j] = minₕ Aₕ[i, j].</summary>
    Min,
}
