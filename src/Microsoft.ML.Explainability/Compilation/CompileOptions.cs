namespace Microsoft.ML.Explainability.Compilation;

/// <summary>How <see cref="ExplanationCompiler.Compile"/> shapes the compiled model (the method's own settings are a <see cref="Explainers.MethodSettings"/>).</summary>
public sealed class CompileOptions
{
    /// <summary>
    /// Make <c>targets</c> a plain required input instead of an optional one (an input backed by a default
    /// initializer [−1]). onnxruntime-node and onnxruntime-web feed only required inputs, so JavaScript callers who
    /// choose the class compile with this.
    /// </summary>
    public bool RequiredTargets { get; init; }

    /// <summary>
    /// Saliency and signed gradient: the maximum over the input channels (N×H×W, as <c>GradientOptions.ReduceChannels</c>)
    /// instead of one value per input element (N×C×H×W).
    /// </summary>
    public bool ReduceChannels { get; init; }
}
