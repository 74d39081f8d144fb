using System.Globalization;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>The attention probabilities of one transformer block, as found in the ONNX graph.</summary>
/// <param name="Index">The block's position in forward order, from 0.</param>
/// <param name="Tensor">The attention-probability tensor (Softmax output), [N, heads, T, T].</param>
/// <param name="Producer">"OpType 'node'" of the node producing it, or null.</param>
/// <param name="Heads">The number of heads (1 for a [N, T, T] tensor).</param>
/// <param name="Tokens">T, the number of tokens (queries = keys).</param>
public sealed record AttentionBlock(int Index, string Tensor, string? Producer, int Heads, int Tokens)
{
    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"block {Index}: '{Tensor}' [N, {Heads}, {Tokens}, {Tokens}]{(Producer is null ? "" : $" from {Producer}")}");
}
