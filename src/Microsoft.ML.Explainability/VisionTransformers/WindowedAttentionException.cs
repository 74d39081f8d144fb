using System.Globalization;

namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// The model attends within windows (Swin-style window attention, <see cref="AttentionLayout.IsWindowed"/>), for which
/// the attention methods of <see cref="TransformerExplainer"/> are not defined: each block mixes tokens only inside its
/// windows, alternate blocks shift the windows, stages merge patches, and there is no class token whose row attention
/// rollout or gradient-weighted attention would read. The message names the first windowed block and the alternative
/// (the CAM family on the final feature map).
/// </summary>
public sealed class WindowedAttentionException : ExplainabilityException
{
    /// <summary>Creates the exception for <paramref name="attention"/>.</summary>
    public WindowedAttentionException(AttentionLayout attention)
        : base(Describe(attention))
    {
        Attention = attention;
    }

    /// <summary>The attention structure found.</summary>
    public AttentionLayout Attention { get; }

    private static string Describe(AttentionLayout attention)
    {
        ArgumentNullException.ThrowIfNull(attention);
        var block = attention.Blocks.First(b => b.IsWindowed);
        return string.Create(CultureInfo.InvariantCulture, $"The model uses window attention ('{block.Tensor}' holds {block.Windows} windows of {block.Tokens} tokens per image): attention rollout, gradient-weighted attention, token Grad-CAM and transformer LRP are not defined for it here (attention mixes tokens only inside windows that shift from block to block, and there is no class token). Explain it with the CAM family (CamExplainer) on its final feature map, which TargetLayers.Automatic picks.");
    }
}
