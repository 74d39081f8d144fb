using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>
/// Occlusion (Zeiler &amp; Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014), as Captum's
/// <c>Occlusion</c> with a window spanning all input channels: a window of
/// <see cref="OcclusionOptions.WindowHeight"/>×<see cref="OcclusionOptions.WindowWidth"/> pixels slides over the
/// image with the given strides; at each position the window is replaced by the baseline and the drop of the target
/// score y(x) − y(x with the window occluded) is credited to every pixel in it; each pixel's attribution is the mean
/// drop over the windows covering it. Positions follow Captum: ⌈(H − window)/stride⌉ + 1 per axis starting at 0,
/// the last window clipped to the image; a stride larger than the window leaves pixels no window covers, and
/// those get 0 (Captum divides 0 by 0 there). Attributions have the input's shape (the same value
/// in every channel, as Captum returns with a window over all channels). Every occluded copy of every row runs as plain
/// inference in batches of <see cref="ExecutionOptions.BatchSize"/> rows. Holds an ONNX Runtime session: dispose it.
/// </summary>
public sealed class Occlusion : IExplainer
{
    private readonly OcclusionOptions _options;
    private readonly ExplainedModel _model;
    private readonly ForwardRunner _forward;

    /// <summary>Prepares the explainer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A window size or stride below 1.</exception>
    /// <exception cref="InputMismatchException">The model does not take one image input [N, C, H, W], or the window exceeds it.</exception>
    public Occlusion(OnnxModel model, OcclusionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new OcclusionOptions();
        if (_options.WindowHeight < 1 || _options.WindowWidth < 1 || _options.StrideY < 1 || _options.StrideX < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Window sizes and strides must be at least 1.");
        }

        if (!float.IsFinite(_options.BaselineValue))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.BaselineValue, "BaselineValue must be finite.");
        }

        _model = ExplainedModel.Create(model, _options.Output, _options.ExplainedInput);
        var (height, width) = _model.ImageSize;
        if (height <= 0)
        {
            throw new InputMismatchException($"Occlusion needs an image input [N, C, H, W]; input '{_model.Input}' has shape {_model.InputInfo.ShapeText}.");
        }

        if (_options.WindowHeight > height || _options.WindowWidth > width)
        {
            throw new InputMismatchException($"The {_options.WindowHeight}×{_options.WindowWidth} window does not fit the {height}×{width} input.");
        }

        if (_options.Baseline is { } baseline)
        {
            ExplainedModel.CheckFinite(baseline, nameof(options));
        }

        _forward = new ForwardRunner(_model.Prepared, [_model.Output], _options.Execution);
    }

    /// <summary>The output whose score is explained.</summary>
    public string Output => _model.Output;

    /// <summary>Explains each row for a class.</summary>
    /// <param name="batch">Input images [N, C, H, W], finite.</param>
    /// <param name="targets">Class per row, −1 for the class predicted for the unoccluded image; null: predicted for every row.</param>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity (the exception names the row).</exception>
    /// <exception cref="NonFiniteResultException">A row's model output, gradient or map holds NaN or ±Infinity although its input is finite (the exception names the row and the stage).</exception>
    /// <exception cref="InputMismatchException">Wrong input or baseline shape, wrong target count, or a class out of range.</exception>
    /// <param name="cancellationToken">Checked before every batch of ONNX Runtime calls (and passed to the call under way); cancelling stops the explanation within one batch with an <see cref="OperationCanceledException"/>.</param>
    public AttributionResult Explain(FloatTensor batch, long[]? targets = null, CancellationToken cancellationToken = default)
    {
        return Explain(new ExplanationRequest(batch) { Targets = targets, Cancellation = cancellationToken });
    }

    /// <summary>Explains each row for a caller-given seed: y = ⟨seed, output⟩ per row.</summary>
    /// <param name="batch">Input images, finite.</param>
    /// <param name="seed">A tensor of the output's shape with the batch's row count.</param>
    /// <param name="cancellationToken">Checked before every batch of ONNX Runtime calls (and passed to the call under way); cancelling stops the explanation within one batch with an <see cref="OperationCanceledException"/>.</param>
    public AttributionResult Explain(FloatTensor batch, FloatTensor seed, CancellationToken cancellationToken = default)
    {
        return Explain(new ExplanationRequest(batch) { Seed = seed, Cancellation = cancellationToken });
    }

    /// <summary>Window start positions along one axis, Captum's: ⌈(size − window)/stride⌉ + 1 starts at multiples of the stride.</summary>
    internal static int[] Starts(int size, int window, int stride)
    {
        int count = (int)Math.Ceiling((size - window) / (double)stride) + 1;
        return Enumerable.Range(0, count).Select(i => i * stride).ToArray();
    }

    /// <summary>Explains a request: its batch, class targets or seed, and the model's other inputs (held fixed).</summary>
    internal AttributionResult Explain(ExplanationRequest request)
    {
        var (targets, seed, inputs) = _model.Check(request);
        return Run(request.Batch, targets, seed, inputs, request.Cancellation);
    }

    private AttributionResult Run(FloatTensor batch, long[]? targets, FloatTensor? seed, FixedInputs inputs, CancellationToken cancellationToken)
    {
        int n = batch.BatchSize, channels = (int)batch.Shape[1], height = (int)batch.Shape[2], width = (int)batch.Shape[3];
        int plane = height * width, rowLength = batch.RowLength;
        var baseline = Baselines(batch);
        var clean = _forward.Run(batch, inputs, cancellationToken)[_model.Output];
        var resolved = seed is null ? ExplainedModel.Resolve(targets!, clean) : null;
        var scores = ExplainedModel.Scores(clean, resolved, seed);

        var ys = Starts(height, _options.WindowHeight, _options.StrideY);
        var xs = Starts(width, _options.WindowWidth, _options.StrideX);
        int windows = ys.Length * xs.Length, total = n * windows;
        var sum = new double[n * plane];
        var count = new int[plane];
        foreach (var y0 in ys)
        {
            foreach (var x0 in xs)
            {
                ForWindow(y0, x0, height, width, p => count[p]++);
            }
        }

        int chunk = _options.Execution.BatchSize;
        for (int start = 0; start < total; start += chunk)
        {
            int size = Math.Min(chunk, total - start);
            var data = new float[size * rowLength];
            for (int i = 0; i < size; i++)
            {
                int r = (start + i) / windows, w = (start + i) % windows;
                var target = data.AsSpan(i * rowLength, rowLength);
                batch.Row(r).CopyTo(target);
                var b = baseline is null ? Span<float>.Empty : baseline.Row(baseline.BatchSize == 1 ? 0 : r);
                int y0 = ys[w / xs.Length], x0 = xs[w % xs.Length];
                for (int c = 0; c < channels; c++)
                {
                    int offset = c * plane;
                    for (int y = y0; y < Math.Min(height, y0 + _options.WindowHeight); y++)
                    {
                        for (int x = x0; x < Math.Min(width, x0 + _options.WindowWidth); x++)
                        {
                            int p = offset + (y * width) + x;
                            target[p] = baseline is null ? _options.BaselineValue : b[p];
                        }
                    }
                }
            }

            var outputs = _forward.Run(new FloatTensor(data, [size, .. batch.Shape.Skip(1)]), inputs.Select(size, i => (start + i) / windows), cancellationToken)[_model.Output];
            var occluded = ExplainedModel.Scores(outputs, resolved, seed, i => (start + i) / windows);
            for (int i = 0; i < size; i++)
            {
                int r = (start + i) / windows, w = (start + i) % windows;
                double drop = (double)scores[r] - occluded[i];
                ForWindow(ys[w / xs.Length], xs[w % xs.Length], height, width, p => sum[(r * plane) + p] += drop);
            }
        }

        var attributions = new float[batch.Length];
        for (int r = 0; r < n; r++)
        {
            for (int p = 0; p < plane; p++)
            {
                float value = count[p] == 0 ? 0f : (float)(sum[(r * plane) + p] / count[p]);
                for (int c = 0; c < channels; c++)
                {
                    attributions[(r * rowLength) + (c * plane) + p] = value;
                }
            }
        }

        return new AttributionResult(new FloatTensor(attributions, batch.Shape), resolved, scores);
    }

    private void ForWindow(int y0, int x0, int height, int width, Action<int> visit)
    {
        for (int y = y0; y < Math.Min(height, y0 + _options.WindowHeight); y++)
        {
            for (int x = x0; x < Math.Min(width, x0 + _options.WindowWidth); x++)
            {
                visit((y * width) + x);
            }
        }
    }

    private FloatTensor? Baselines(FloatTensor batch)
    {
        if (_options.Baseline is not { } given)
        {
            return null;
        }

        bool ok = given.Rank == batch.Rank && given.Shape.Skip(1).SequenceEqual(batch.Shape.Skip(1)) && (given.BatchSize == 1 || given.BatchSize == batch.BatchSize);
        return ok ? given : throw new InputMismatchException($"The baseline must be [1, …] or [N, …] like the batch {batch.ShapeText}; it is {given.ShapeText}.");
    }

    /// <inheritdoc/>
    public ExplanationMethod Method => ExplanationMethods.Occlusion;

    /// <inheritdoc/>
    Explanation IExplainer.Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = Explain(request);
        return new Explanation(Method, result.Attributions, result.Targets, result.TargetScores, "occlusion");
    }

    /// <inheritdoc/>
    public void Dispose() => _forward.Dispose();
}
