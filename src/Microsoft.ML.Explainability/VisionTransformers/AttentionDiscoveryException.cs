namespace Microsoft.ML.Explainability.VisionTransformers;

/// <summary>
/// The attention structure of a transformer cannot be read from the graph: no attention-probability tensor
/// ([N, heads, T, T] Softmax output) is found, the blocks disagree on the token count, the tokens hold no patch grid,
/// or an override does not fit the graph. The message says what was found and which
/// <see cref="AttentionDiscoveryOptions"/> property to set.
/// </summary>
public sealed class AttentionDiscoveryException : ExplainabilityException
{
    /// <summary>Creates the exception with a message.</summary>
    public AttentionDiscoveryException(string message)
        : base(message)
    {
    }
}
