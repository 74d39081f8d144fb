namespace Microsoft.ML.Explainability.Explainers;

/// <summary>How a target layer's tensor is laid out. <see cref="TargetLayers"/> infers it (see its remarks for the rule); every entry point that resolves a layer accepts an override.</summary>
public enum LayerLayout
{
    /// <summary>A convolutional feature map [N, C, h, w] (channels first, as PyTorch and ONNX export them).</summary>
    ChannelsFirst,

    /// <summary>
    /// Transformer tokens [N, T, C]: <see cref="TargetLayer.PrefixTokens"/> leading tokens (class, distillation, register
    /// tokens) followed by h·w patch tokens in row-major grid order, as pytorch-grad-cam's <c>reshape_transform</c>
    /// for ViT/DeiT expects.
    /// </summary>
    Tokens,

    /// <summary>
    /// A channels-last feature map [N, h, w, C]: Swin's stages (torchvision, timm ≥ 0.9) and ConvNeXt's LayerNorm/MLP
    /// blocks, which apply LayerNormalization and linear layers over the last axis. Read as pytorch-grad-cam's
    /// Swin <c>reshape_transform</c> does: cell (i, j) holds the C values at [i, j, :].
    /// </summary>
    ChannelsLast,
}
