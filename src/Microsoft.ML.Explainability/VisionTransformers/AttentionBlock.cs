using System.Globalization;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>The attention probabilities of one transformer block, as found in the ONNX graph.</summary>
/// <param name="Index">The block's position in forward order, from 0.</param>
/// <param name="Tensor">The attention-probability tensor (Softmax output), [N, heads, T, T].</param>
/// <param name="Producer">"OpType 'node'" of the node producing it, or null.</param>
/// <param name="Heads">The number of heads (1 for a [N, T, T] tensor).</param>
/// <param name="Tokens">T, the number of tokens (queries = keys); for windowed attention, the tokens of one window.</param>
public sealed record AttentionBlock(int Index, string Tensor, string? Producer, int Heads, int Tokens)
{
    /// <summary>
    /// The attention windows per image: 1 for global attention; k for Swin-style window attention, whose probabilities
    /// are [N·k, heads, T, T] (windows folded into the batch, as torchvision and timm compute them) or [N, k, heads, T, T].
    /// </summary>
    public int Windows { get; init; } = 1;

    /// <summary>
    /// Whether the heads are folded into the first dimension: [N·heads, T, T], as PyTorch's <c>MultiheadAttention</c>
    /// (torchvision's ViT) computes them, row n·heads + h holding head h of image n. Methods read such a tensor as
    /// [N, heads, T, T].
    /// </summary>
    public bool HeadsInBatch { get; init; }

    /// <summary>Whether the block attends within windows (<see cref="Windows"/> &gt; 1).</summary>
    public bool IsWindowed => Windows > 1;

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"block {Index}: '{Tensor}' {Describe()}{(Producer is null ? "" : $" from {Producer}")}");

    private string Describe() =>
        IsWindowed ? string.Create(CultureInfo.InvariantCulture, $"[N·{Windows} windows, {Heads}, {Tokens}, {Tokens}]")
        : HeadsInBatch ? string.Create(CultureInfo.InvariantCulture, $"[N·{Heads} heads, {Tokens}, {Tokens}]")
        : string.Create(CultureInfo.InvariantCulture, $"[N, {Heads}, {Tokens}, {Tokens}]");
}
