using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Explainers;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// Overrides for <see cref="AttentionDiscovery"/>, for graphs the automatic reading does not fit (attention computed
/// without a Softmax over [N, heads, T, T], register tokens that make T − prefix a different square, a non-square
/// patch grid, a class token that is not token 0). Every property left null is found automatically.
/// </summary>
public sealed class AttentionDiscoveryOptions
{
    /// <summary>
    /// Names of the attention-probability tensors, one per block in forward order, each [N, heads, T, T] (or
    /// [N, T, T] for one head) with rows summing to 1. Null (the default): every Softmax over the last axis whose output
    /// is [N, heads, T, T], in graph order.
    /// </summary>
    public IReadOnlyList<string>? AttentionTensors { get; init; }

    /// <summary>
    /// The prefix tokens (class, distillation, register tokens) and the patch grid, overriding the automatic reading
    /// (prefix = T − the largest square ≤ T, grid √(T − prefix) × √(T − prefix)): for DeiT 51 = 2 + 7×7.
    /// </summary>
    public TokenGrid? TokenGrid { get; init; }

    /// <summary>
    /// The token tensor [N, T, C] token Grad-CAM is computed at. Null (the default): the LayerNormalization output
    /// that feeds the last block's attention projections (timm's <c>blocks[-1].norm1</c>, pytorch-grad-cam's
    /// recommended ViT/DeiT target layer).
    /// </summary>
    public string? TokenLayer { get; init; }

    /// <summary>
    /// Index of the token whose attention row is read as the explanation (the class token). Default 0; it must be one
    /// of the prefix tokens.
    /// </summary>
    public int ClassToken { get; init; }
}
