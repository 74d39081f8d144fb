using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// What a <see cref="CamWeighting"/> sees for one batch: the layer's activations and gradients in channels-first
/// order, and — for weightings that run the model again — the input, the explained model, the targets or seed, the
/// explainer's sessions and the cancellation token.
/// </summary>
internal sealed class CamBatch
{
    public required float[] Activations { get; init; }

    public float[]? Gradients { get; init; }

    /// <summary>H·A, the Hessian of the target score with respect to the layer applied to its activations (channels first), when the weighting asks for it (<see cref="CamWeighting.UsesSecondOrder"/>).</summary>
    public float[]? HessianTimesActivations { get; init; }

    public required FloatTensor Input { get; init; }

    /// <summary>The model's other inputs for the batch's rows, held fixed (empty for a single-input model).</summary>
    public required FixedInputs Inputs { get; init; }

    public required TargetLayer Layer { get; init; }

    public required ExplainedModel Model { get; init; }

    /// <summary>The model's output for the batch (for the unmodified target scores).</summary>
    public required FloatTensor Outputs { get; init; }

    /// <summary>Resolved class per row, or null with a seed.</summary>
    public long[]? Targets { get; init; }

    public FloatTensor? Seed { get; init; }

    public required ExplainerSessions Sessions { get; init; }

    public required ExecutionOptions Execution { get; init; }

    /// <summary>The explainer's options (method-specific settings such as <see cref="CamOptions.AblationFill"/>).</summary>
    public required CamOptions Options { get; init; }

    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// For weightings that need gradients at other inputs (Smooth Grad-CAM++): the layer's activations and gradients,
    /// channels-first, for an input batch, the other inputs for its rows, and its per-row classes or seed. Null when the
    /// method does not use gradients.
    /// </summary>
    public Func<FloatTensor, FixedInputs, long[]?, FloatTensor?, (float[] Activations, float[] Gradients)>? GradientsAt { get; init; }

    public int Rows => Input.BatchSize;

    public int Channels => Layer.Channels;

    public int Height => Layer.Height;

    public int Width => Layer.Width;

    /// <summary>The target score of each row on the unmodified input.</summary>
    public float[] Scores => ExplainedModel.Scores(Outputs, Targets, Seed);

    /// <summary>The explainer's forward runner over the prepared model, returning the explained output and every target layer (shared by forward-pass weightings).</summary>
    public required Func<ForwardRunner> Forward { get; init; }
}
