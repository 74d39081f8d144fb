using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>
/// Integrated gradients (Sundararajan et al., ICML 2017): IGᵢ(x) = (xᵢ − bᵢ)·∫₀¹ ∂y/∂xᵢ(b + α(x − b)) dα, approximated
/// by Σₛ wₛ·∂y/∂x(b + αₛ(x − b)) with the chosen <see cref="IntegrationRule"/>. Completeness: Σᵢ IGᵢ = y(x) − y(b) up to
/// the quadrature error, reported per row as <see cref="AttributionResult.ConvergenceDelta"/> (Captum's
/// convergence delta). The predicted class is that of x; the n·N path points run in batches. Holds ONNX Runtime
/// sessions: dispose it.
/// </summary>
public sealed class IntegratedGradients : IExplainer
{
    private readonly IntegratedGradientsOptions _options;
    private readonly InputGradients _gradients;
    private readonly double[] _alphas;
    private readonly double[] _weights;
    private readonly ExplainerSessions _sessions;

    /// <summary>Prepares the explainer (sessions are created on first use).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Too few steps for the rule, more than MaxSteps, or an unknown rule.</exception>
    public IntegratedGradients(OnnxModel model, IntegratedGradientsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new IntegratedGradientsOptions();
        _options.Validate();
        (_alphas, _weights) = Quadrature.For(_options.Rule, _options.Steps);
        _sessions = new ExplainerSessions(this);
        _gradients = new InputGradients(ExplainedModel.Create(model, _options.Output, _options.ExplainedInput), _options.Rules, _options.Execution);
        if (_options.Baseline is { } baseline)
        {
            ExplainedModel.CheckFinite(baseline, nameof(options));
        }
    }

    /// <summary>The output whose score is explained.</summary>
    public string Output => _gradients.Model.Output;

    /// <summary>Explains each row for a class.</summary>
    /// <param name="batch">Inputs [N, …], finite.</param>
    /// <param name="targets">Class per row, −1 for the class predicted at x; null: predicted for every row.</param>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity (the exception names the row).</exception>
    /// <exception cref="NonFiniteResultException">A row's model output, gradient or map holds NaN or ±Infinity although its input is finite (the exception names the row and the stage).</exception>
    /// <exception cref="InputMismatchException">Wrong input or baseline shape, wrong target count, or a class out of range.</exception>
    /// <param name="cancellationToken">Checked before every batch of ONNX Runtime calls (and passed to the call under way); cancelling stops the explanation within one batch with an <see cref="OperationCanceledException"/>.</param>
    public AttributionResult Explain(FloatTensor batch, long[]? targets = null, CancellationToken cancellationToken = default)
    {
        return Explain(new ExplanationRequest(batch) { Targets = targets, Cancellation = cancellationToken });
    }

    /// <summary>Explains each row for a caller-given seed: y = ⟨seed, output⟩ per row.</summary>
    public AttributionResult Explain(FloatTensor batch, FloatTensor seed, CancellationToken cancellationToken = default)
    {
        return Explain(new ExplanationRequest(batch) { Seed = seed, Cancellation = cancellationToken });
    }

    /// <summary>Explains a request: its batch, class targets or seed, and the model's other inputs (held fixed).</summary>
    internal AttributionResult Explain(ExplanationRequest request)
    {
        var (targets, seed, inputs) = _gradients.Model.Check(request);
        return Run(request.Batch, targets, seed, inputs, request.Cancellation);
    }

    private AttributionResult Run(FloatTensor batch, long[]? targets, FloatTensor? seed, FixedInputs inputs, CancellationToken cancellationToken)
    {
        int n = batch.BatchSize, rowLength = batch.RowLength, steps = _alphas.Length;
        var baseline = Baselines(batch);

        // f(x) (and the predicted classes) and f(b): 2N rows of plain inference, no backward pass.
        var model = _gradients.Model;
        var outputs = Forward().Run(FloatTensor.ConcatRows([batch, baseline]), inputs.Tile(2), cancellationToken)[model.Output];
        var clean = outputs.Rows(0, n);
        var resolved = seed is null ? ExplainedModel.Resolve(targets!, clean) : null;
        var scores = ExplainedModel.Scores(clean, resolved, seed);
        var baselineScores = ExplainedModel.Scores(outputs.Rows(n, n), resolved, seed);

        var integral = new double[batch.Length];
        _gradients.RunMany(
            n * steps,
            i => i / steps,
            (i, target) =>
            {
                int r = i / steps;
                float alpha = (float)_alphas[i % steps];
                var x = batch.Row(r);
                var b = baseline.Row(r);
                for (int k = 0; k < rowLength; k++)
                {
                    target[k] = b[k] + (alpha * (x[k] - b[k]));
                }
            },
            inputs,
            resolved,
            seed,
            (i, gradient, _) =>
            {
                int offset = (i / steps) * rowLength;
                double w = _weights[i % steps];
                for (int k = 0; k < rowLength; k++)
                {
                    integral[offset + k] += w * gradient[k];
                }
            },
            cancellationToken);

        var attributions = new float[batch.Length];
        var delta = new float[n];
        for (int r = 0; r < n; r++)
        {
            double total = 0;
            for (int k = r * rowLength; k < (r + 1) * rowLength; k++)
            {
                double a = ((double)batch.Data[k] - baseline.Data[k]) * integral[k];
                attributions[k] = (float)a;
                total += a;
            }

            delta[r] = (float)(total - ((double)scores[r] - baselineScores[r]));
        }

        return new AttributionResult(new FloatTensor(attributions, batch.Shape), resolved, scores, delta);
    }

    private FloatTensor Baselines(FloatTensor batch)
    {
        if (_options.Baseline is not { } given)
        {
            return FloatTensor.Zeros(batch.Shape);
        }

        bool shapeOk = given.Rank == batch.Rank && given.Shape.Skip(1).SequenceEqual(batch.Shape.Skip(1)) && (given.BatchSize == 1 || given.BatchSize == batch.BatchSize);
        if (!shapeOk)
        {
            throw new InputMismatchException($"The baseline must be [1, …] or [N, …] like the batch {batch.ShapeText}; it is {given.ShapeText}.");
        }

        if (given.BatchSize == batch.BatchSize)
        {
            return given;
        }

        var data = new float[batch.Length];
        for (int r = 0; r < batch.BatchSize; r++)
        {
            given.Data.CopyTo(data, r * batch.RowLength);
        }

        return new FloatTensor(data, batch.Shape);
    }

    private ForwardRunner Forward() =>
        _sessions.Get("forward", () => new ForwardRunner(_gradients.Model.Prepared, [_gradients.Model.Output], _options.Execution));

    /// <inheritdoc/>
    public ExplanationMethod Method => ExplanationMethods.IntegratedGradients;

    /// <inheritdoc/>
    Explanation IExplainer.Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = Explain(request);
        return new Explanation(Method, result.Attributions, result.Targets, result.TargetScores, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_options.Steps} steps"), extras: result.ConvergenceDelta is { } delta ? new Dictionary<string, FloatTensor> { ["convergence_delta"] = new FloatTensor(delta, delta.Length) } : null);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _sessions.Dispose();
        _gradients.Dispose();
    }
}
