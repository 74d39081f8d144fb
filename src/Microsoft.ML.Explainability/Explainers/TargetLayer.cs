using System.Globalization;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// A tensor usable as a CAM target layer, read as a [N, C, h, w] grid of channels: a channels-first map as it is, a
/// channels-last map [N, h, w, C] or tokens [N, T, C] (prefix tokens dropped) transposed (<see cref="LayerLayout"/>).
/// </summary>
/// <param name="Name">The tensor's name in the ONNX graph.</param>
/// <param name="Shape">Its shape, −1 for the batch dimension.</param>
/// <param name="Layout">Channels-first map, channels-last map or tokens.</param>
/// <param name="Channels">C, the channel count the CAM weights range over.</param>
/// <param name="Height">h, grid rows.</param>
/// <param name="Width">w, grid columns.</param>
/// <param name="PrefixTokens">Leading non-patch tokens (token layout only; 0 for feature maps).</param>
/// <param name="Producer">"OpType 'node'" of the node producing the tensor, or null for a graph input.</param>
public sealed record TargetLayer(string Name, IReadOnlyList<long> Shape, LayerLayout Layout, int Channels, int Height, int Width, int PrefixTokens, string? Producer)
{
    /// <summary>
    /// Why <see cref="Layout"/> was chosen: the graph evidence (for example "LayerNormalization 'ln' normalises the last
    /// axis"), the shape rule that decided, or "given" for an override.
    /// </summary>
    public string LayoutReason { get; init; } = "";

    /// <summary>The layout in the CLI's words: "nchw", "nhwc" or "tokens".</summary>
    public string LayoutName => LayoutNames.Of(Layout);

    /// <summary>The shape as text, "N" for the batch dimension.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape.Select(d => d < 0 ? "N" : d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>h·w, the number of grid cells.</summary>
    public int GridSize => Height * Width;

    /// <inheritdoc/>
    public override string ToString() => (Layout == LayerLayout.Tokens
        ? $"{Name} {ShapeText} tokens: {PrefixTokens} prefix + {Height}×{Width} grid, {Channels} channels"
        : $"{Name} {ShapeText} {LayoutName}: {Height}×{Width} grid, {Channels} channels")
        + (LayoutReason.Length > 0 ? $" ({LayoutReason})" : "");

    /// <summary>
    /// Copies a batch of this layer's values ([N, C, h, w], [N, h, w, C] or [N, T, C]) into channels-first order
    /// [N, C, h·w], dropping prefix tokens; token t = PrefixTokens + i·w + j (channels last: position i·w + j) goes to
    /// cell (i, j).
    /// </summary>
    /// <exception cref="ExplainabilityException">The values do not have this layer's shape.</exception>
    public float[] ToChannelsFirst(Runtime.FloatTensor values)
    {
        int n = values.BatchSize;
        int c = Channels, hw = GridSize;
        if (values.RowLength != (PrefixTokens + hw) * c)
        {
            throw new ExplainabilityException($"Layer '{Name}' returned shape {values.ShapeText}, expected {ShapeText}.");
        }

        if (Layout == LayerLayout.ChannelsFirst)
        {
            return values.Data;
        }

        // Tokens and channels-last maps alike hold C contiguous values per grid cell (channels-last: no prefix).
        var result = new float[n * c * hw];
        for (int r = 0; r < n; r++)
        {
            var row = values.Row(r);
            for (int p = 0; p < hw; p++)
            {
                int token = (PrefixTokens + p) * c;
                for (int k = 0; k < c; k++)
                {
                    result[(((r * c) + k) * hw) + p] = row[token + k];
                }
            }
        }

        return result;
    }
}
