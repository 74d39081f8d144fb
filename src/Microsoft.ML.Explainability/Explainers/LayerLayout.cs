using System.Globalization;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>How a target layer's tensor is laid out.</summary>
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
}
