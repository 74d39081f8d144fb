namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>What one feature of a multi-channel input is.</summary>
public enum FeatureUnit
{
    /// <summary>
    /// A pixel: all C channels of one spatial position together; its saliency is the attribution summed over the
    /// channels, and removing it replaces every channel. The default under both conventions (Quantus's explain
    /// function sums explanations over the channel axis, so its features are pixels too).
    /// </summary>
    Pixel,

    /// <summary>One element of one channel: the C·H·W elements are ranked and removed one by one.</summary>
    ChannelElement,
}
