using System.Globalization;
using System.Text;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Explainers;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// The attention structure of a vision transformer as <see cref="AttentionDiscovery"/> read it from the graph: the
/// attention-probability tensor of each block, the token count T, the prefix tokens (class, distillation, register)
/// in front of the patch tokens, the patch grid, the class token and the token layer for token Grad-CAM.
/// Token t = <see cref="PrefixTokens"/> + i·<see cref="GridWidth"/> + j is patch (i, j).
/// </summary>
public sealed class AttentionLayout
{
    internal AttentionLayout(IReadOnlyList<AttentionBlock> blocks, int prefixTokens, int gridHeight, int gridWidth, int classToken, TargetLayer? tokenLayer)
    {
        Blocks = blocks;
        PrefixTokens = prefixTokens;
        GridHeight = gridHeight;
        GridWidth = gridWidth;
        ClassToken = classToken;
        TokenLayer = tokenLayer;
    }

    /// <summary>
    /// Whether the model attends within windows (Swin): some block's <see cref="AttentionBlock.Windows"/> &gt; 1. Then
    /// <see cref="Tokens"/>, the prefix and the grid describe one window, and no attention method applies (see
    /// <see cref="AttentionDiscovery"/>): use the CAM family on the final feature map.
    /// </summary>
    public bool IsWindowed => Blocks.Any(b => b.IsWindowed);

    /// <summary>The blocks' attention probabilities, in forward order.</summary>
    public IReadOnlyList<AttentionBlock> Blocks { get; }

    /// <summary>T, the number of tokens (the same in every block).</summary>
    public int Tokens => Blocks[0].Tokens;

    /// <summary>The number of heads of the first block (<see cref="AttentionBlock.Heads"/> gives each block's).</summary>
    public int Heads => Blocks[0].Heads;

    /// <summary>Leading tokens that are not image patches (2 for DeiT: class and distillation tokens).</summary>
    public int PrefixTokens { get; }

    /// <summary>Patch-grid rows.</summary>
    public int GridHeight { get; }

    /// <summary>Patch-grid columns.</summary>
    public int GridWidth { get; }

    /// <summary>The token whose row of the relevance matrix is read as the explanation (the class token, usually 0).</summary>
    public int ClassToken { get; }

    /// <summary>The token tensor token Grad-CAM uses, or null when none was found (then name one in <see cref="AttentionDiscoveryOptions.TokenLayer"/>).</summary>
    public TargetLayer? TokenLayer { get; }

    /// <summary>The prefix and grid as a <see cref="Explainers.TokenGrid"/>.</summary>
    public TokenGrid Grid => new(PrefixTokens, GridHeight, GridWidth);

    /// <summary>A listing for the user: one line per block, then tokens, grid and token layer.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        if (IsWindowed)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Blocks.Count} window-attention blocks, {Tokens} tokens per window ({GridHeight}×{GridWidth}); attention methods do not apply to windowed attention (use the CAM family on the final feature map)").AppendLine();
            foreach (var block in Blocks)
            {
                text.Append("  ").Append(block).AppendLine();
            }

            return text.ToString();
        }

        text.Append(CultureInfo.InvariantCulture, $"{Blocks.Count} attention blocks, {Tokens} tokens = {PrefixTokens} prefix + {GridHeight}×{GridWidth} patch grid, class token {ClassToken}").AppendLine();
        foreach (var block in Blocks)
        {
            text.Append("  ").Append(block).AppendLine();
        }

        text.Append("  token layer: ").Append(TokenLayer?.ToString() ?? "none found").AppendLine();
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Describe();
}
