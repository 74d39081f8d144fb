namespace Microsoft.ML.Explainability.Explainers;

/// <summary>The short names of <see cref="LayerLayout"/> values ("nchw", "nhwc", "tokens"), as the CLI's <c>--layout</c> takes them.</summary>
public static class LayoutNames
{
    /// <summary>The short name of <paramref name="layout"/>.</summary>
    public static string Of(LayerLayout layout) => layout switch
    {
        LayerLayout.ChannelsFirst => "nchw",
        LayerLayout.ChannelsLast => "nhwc",
        LayerLayout.Tokens => "tokens",
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown layer layout."),
    };

    /// <summary>Parses "nchw", "nhwc" or "tokens" (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other text.</exception>
    public static LayerLayout Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var layout in Enum.GetValues<LayerLayout>())
        {
            if (string.Equals(Of(layout), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return layout;
            }
        }

        throw new ArgumentException($"'{text}' is not a layer layout; use nchw ([N, C, h, w]), nhwc ([N, h, w, C]) or tokens ([N, T, C]).", nameof(text));
    }
}
