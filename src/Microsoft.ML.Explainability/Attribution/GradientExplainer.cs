using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>
/// Gradient-based input attributions (<see cref="GradientMethod"/>): saliency, input × gradient, SmoothGrad,
/// SmoothGrad², VarGrad, Guided Backprop, Deconvnet. The gradients come from the model extended with its backward
/// graph, one ONNX Runtime call per batch (noisy samples of all rows are batched together). Holds ONNX Runtime sessions:
/// dispose it.
/// </summary>
public sealed class GradientExplainer : IExplainer
{
    private readonly GradientOptions _options;
    private readonly InputGradients _gradients;

    /// <summary>Prepares the explainer (sessions are created on first use).</summary>
    /// <exception cref="InputMismatchException">The explained input is not named although the model has several candidates, or is not float32.</exception>
    public GradientExplainer(OnnxModel model, GradientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new GradientOptions();
        if (!Enum.IsDefined(_options.Method))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.Method, "Unknown gradient method.");
        }

        if (IsNoisy && (_options.Samples < 1 || !(_options.NoiseLevel >= 0) || double.IsInfinity(_options.NoiseLevel)))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Samples must be at least 1 and NoiseLevel finite and non-negative.");
        }

        var rules = _options.Method switch
        {
            GradientMethod.GuidedBackprop => ModifiedReluRules.WithGuidedBackprop(_options.Rules),
            GradientMethod.Deconvnet => ModifiedReluRules.WithDeconvnet(_options.Rules),
            _ => _options.Rules,
        };
        _gradients = new InputGradients(ExplainedModel.Create(model, _options.Output, _options.ExplainedInput), rules, _options.Execution);
    }

    /// <summary>The method.</summary>
    public GradientMethod Method => _options.Method;

    /// <summary>The output whose score is explained.</summary>
    public string Output => _gradients.Model.Output;

    /// <summary>The registry entry: the one with this gradient method and absolute setting (signed saliency is <see cref="ExplanationMethods.SignedGradient"/>).</summary>
    ExplanationMethod IExplainer.Method =>
        ExplanationMethod.ForMode((_options.Method, _options.Absolute), mode => mode is ValueTuple<GradientMethod, bool> entry && entry.Item1 == _options.Method);

    /// <inheritdoc/>
    Explanation IExplainer.Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = Explain(request);
        return new Explanation(((IExplainer)this).Method, result.Attributions, result.Targets, result.TargetScores, _options.Method.ToString());
    }

    private bool IsNoisy => _options.Method is GradientMethod.SmoothGrad or GradientMethod.SmoothGradSquared or GradientMethod.VarGrad;

    /// <summary>Explains each row for a class.</summary>
    /// <param name="batch">Inputs [N, …] of the model's input shape, finite.</param>
    /// <param name="targets">Class per row, −1 for the predicted class (of the clean input); null: predicted for every row.</param>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity (the exception names the row).</exception>
    /// <exception cref="NonFiniteResultException">A row's model output, gradient or map holds NaN or ±Infinity although its input is finite (the exception names the row and the stage).</exception>
    /// <exception cref="InputMismatchException">Wrong input shape, wrong target count, or a class out of range.</exception>
    /// <param name="cancellationToken">Checked before every batch of ONNX Runtime calls (and passed to the call under way); cancelling stops the explanation within one batch with an <see cref="OperationCanceledException"/>.</param>
    public AttributionResult Explain(FloatTensor batch, long[]? targets = null, CancellationToken cancellationToken = default)
    {
        return Explain(new ExplanationRequest(batch) { Targets = targets, Cancellation = cancellationToken });
    }

    /// <summary>Explains each row for a caller-given seed: y = ⟨seed, output⟩ per row.</summary>
    /// <param name="batch">Inputs, finite.</param>
    /// <param name="seed">A tensor of the output's shape with the batch's row count.</param>
    /// <param name="cancellationToken">Checked before every batch of ONNX Runtime calls (and passed to the call under way); cancelling stops the explanation within one batch with an <see cref="OperationCanceledException"/>.</param>
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
        var clean = _gradients.Run(batch, inputs, targets, seed, cancellationToken);
        var resolved = clean.Targets;
        var scores = ExplainedModel.Scores(clean.Outputs[_gradients.Model.Output], resolved, seed);
        var g = clean.Gradients[_gradients.Model.Input];
        var result = new float[batch.Length];
        switch (_options.Method)
        {
            case GradientMethod.Saliency:
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = _options.Absolute ? Math.Abs(g.Data[i]) : g.Data[i];
                }

                if (_options.ReduceChannels)
                {
                    return new AttributionResult(MaxOverChannels(new FloatTensor(result, batch.Shape)), resolved, scores);
                }

                break;
            case GradientMethod.InputXGradient:
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = batch.Data[i] * g.Data[i];
                }

                break;
            case GradientMethod.GuidedBackprop or GradientMethod.Deconvnet:
                g.Data.CopyTo(result, 0);
                break;
            default:
                result = Noisy(batch, resolved, seed, inputs, cancellationToken);
                break;
        }

        return new AttributionResult(new FloatTensor(result, batch.Shape), resolved, scores);
    }

    /// <summary>SmoothGrad, SmoothGrad² or VarGrad: n noisy copies of every row, all batched.</summary>
    private float[] Noisy(FloatTensor batch, long[]? targets, FloatTensor? seed, FixedInputs inputs, CancellationToken cancellationToken)
    {
        int n = _options.Samples, rowLength = batch.RowLength;
        var sum = new double[batch.Length];
        var squares = new double[batch.Length];
        var sigma = new double[batch.BatchSize];
        for (int r = 0; r < batch.BatchSize; r++)
        {
            var row = batch.Row(r);
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            foreach (var v in row)
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }

            sigma[r] = _options.NoiseLevel * (max - min);
        }

        // Noise is drawn in row-major order of (row, sample, element) from one seeded generator, whatever the batching.
        var random = new Random(_options.Seed);
        _gradients.RunMany(
            batch.BatchSize * n,
            i => i / n,
            (i, target) =>
            {
                int r = i / n;
                var x = batch.Row(r);
                for (int k = 0; k < rowLength; k++)
                {
                    target[k] = (float)(x[k] + (sigma[r] * Gaussian(random)));
                }
            },
            inputs,
            targets,
            seed,
            (i, gradient, _) =>
            {
                int offset = (i / n) * rowLength;
                for (int k = 0; k < rowLength; k++)
                {
                    sum[offset + k] += gradient[k];
                    squares[offset + k] += (double)gradient[k] * gradient[k];
                }
            },
            cancellationToken);

        var result = new float[batch.Length];
        for (int i = 0; i < result.Length; i++)
        {
            double mean = sum[i] / n, meanSquare = squares[i] / n;
            result[i] = (float)(_options.Method switch
            {
                GradientMethod.SmoothGrad => mean,
                GradientMethod.SmoothGradSquared => meanSquare,
                _ => meanSquare - (mean * mean),
            });
        }

        return result;
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static FloatTensor MaxOverChannels(FloatTensor t)
    {
        if (t.Rank < 3)
        {
            return t;
        }

        int n = t.BatchSize, c = (int)t.Shape[1], plane = t.RowLength / c;
        var result = new float[n * plane];
        for (int r = 0; r < n; r++)
        {
            var row = t.Row(r);
            for (int p = 0; p < plane; p++)
            {
                float best = float.NegativeInfinity;
                for (int k = 0; k < c; k++)
                {
                    best = Math.Max(best, row[(k * plane) + p]);
                }

                result[(r * plane) + p] = best;
            }
        }

        long[] shape = [n, 1, .. t.Shape.Skip(2)];
        return new FloatTensor(result, shape);
    }

    /// <inheritdoc/>
    public void Dispose() => _gradients.Dispose();
}
