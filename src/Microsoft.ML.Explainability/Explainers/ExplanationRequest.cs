using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>One call of <see cref="IExplainer.Explain"/>: the batch (the explained input), the model's other inputs and what to explain in each row.</summary>
public sealed class ExplanationRequest
{
    /// <summary>Creates a request for <paramref name="batch"/> (the model's input shape, finite values).</summary>
    public ExplanationRequest(FloatTensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Batch = batch;
    }

    /// <summary>The input rows, [N, …] in the model's input shape.</summary>
    public FloatTensor Batch { get; }

    /// <summary>
    /// The class explained in each row, −1 for the predicted class; null: the predicted class for every row. Ignored
    /// when <see cref="Seed"/> is given. With an explanation target (<see cref="MethodSettings.Target"/>), the class
    /// picks the row's column of the target's score (a softmax probability, a segmentation class…).
    /// </summary>
#pragma warning disable CA1819 // A per-row array is the natural request type.
    public long[]? Targets { get; init; }
#pragma warning restore CA1819

    /// <summary>
    /// A tensor of the explained output's shape with the batch's row count: the target score becomes
    /// y = ⟨seed, output⟩ per row, whose gradient is the seed. Null: class targets. A seed is a linear score; a
    /// nonlinear one (a probability, a cosine similarity, detector box scores) is an explanation target
    /// (<see cref="MethodSettings.Target"/>), which is compiled into the explained graph and differentiated exactly.
    /// </summary>
    public FloatTensor? Seed { get; init; }

    /// <summary>
    /// The model's other inputs by name, for a model with several inputs (an image plus metadata, two images, an image
    /// plus token ids): each [N, …] with the batch's row count and the input's element type. They are held fixed: every
    /// copy of a row the method feeds the model (noisy samples, path points, masked images) gets that row's values, and
    /// nothing is attributed to them. Null or empty for a single-input model.
    /// </summary>
    public IReadOnlyDictionary<string, InputTensor>? Inputs { get; init; }

    /// <summary>Checked before every batch of ONNX Runtime calls (and passed to the call under way).</summary>
    public CancellationToken Cancellation { get; init; }
}
