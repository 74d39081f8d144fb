using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>
/// RISE (Petsiuk, Das &amp; Saenko, "RISE: Randomized Input Sampling for Explanation of Black-box Models", BMVC 2018),
/// following the authors' implementation (eclique/RISE, <c>generate_masks</c> and <c>forward</c>):
/// <list type="number">
/// <item>N binary grids s×s, each cell 1 with probability p;</item>
/// <item>each grid bilinearly upsampled to (s + 1)·⌈H/s⌉ × (s + 1)·⌈W/s⌉ (skimage <c>resize</c>, order 1, half-pixel
/// centres, mode "reflect", no anti-aliasing) and cropped to H×W at a random shift in [0, ⌈H/s⌉) × [0, ⌈W/s⌉);</item>
/// <item>saliency S = Σᵢ y(x ⊙ Mᵢ)·Mᵢ / (N·p), the mask broadcast over the input channels (masked pixels become 0).</item>
/// </list>
/// y is the target score (the output for the target class, or ⟨seed, output⟩); the authors apply it to softmax
/// probabilities, so explain a softmax output to reproduce their scale. The same N masks (drawn from
/// <see cref="System.Random"/> seeded with <see cref="RiseOptions.Seed"/>: the s·s cells row-major, then the vertical and
/// horizontal shift, mask after mask) are used for every row; the masked copies of all rows run as plain inference in
/// batches of <see cref="ExecutionOptions.BatchSize"/> rows. Attributions are [N, 1, H, W]. Holds an ONNX Runtime
/// session: dispose it.
/// </summary>
public sealed class Rise : IExplainer
{
    private readonly RiseOptions _options;
    private readonly ExplainedModel _model;
    private readonly ForwardRunner _forward;

    /// <summary>Prepares the explainer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 1 mask, a grid below 1, or a probability outside (0, 1].</exception>
    /// <exception cref="InputMismatchException">The model does not take one image input [N, C, H, W].</exception>
    public Rise(OnnxModel model, RiseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new RiseOptions();
        if (_options.Masks < 1 || _options.GridSize < 1 || !(_options.KeepProbability > 0 && _options.KeepProbability <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Masks and GridSize must be at least 1 and KeepProbability in (0, 1].");
        }

        _model = ExplainedModel.Create(model, _options.Output, _options.ExplainedInput);
        if (_model.ImageSize.Height <= 0)
        {
            throw new InputMismatchException($"RISE needs an image input [N, C, H, W]; input '{_model.Input}' has shape {_model.InputInfo.ShapeText}.");
        }

        _forward = new ForwardRunner(_model.Prepared, [_model.Output], _options.Execution);
    }

    /// <summary>The output whose score is explained.</summary>
    public string Output => _model.Output;

    /// <summary>Explains each row for a class.</summary>
    /// <param name="batch">Input images [N, C, H, W], finite.</param>
    /// <param name="targets">Class per row, −1 for the class predicted for the unmasked image; null: predicted for every row.</param>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity (the exception names the row).</exception>
    /// <exception cref="NonFiniteResultException">A row's model output, gradient or map holds NaN or ±Infinity although its input is finite (the exception names the row and the stage).</exception>
    /// <exception cref="InputMismatchException">Wrong input shape, wrong target count, or a class out of range.</exception>
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

    /// <summary>
    /// The masks RISE uses for an H×W input, [count, H, W], drawn as <see cref="Explain(FloatTensor, long[], CancellationToken)"/> draws them
    /// (the first <paramref name="count"/> of the sequence).
    /// </summary>
    public FloatTensor Masks(int height, int width, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var generator = new MaskGenerator(_options, height, width);
        var data = new float[count * height * width];
        for (int i = 0; i < count; i++)
        {
            generator.Next(data.AsSpan(i * height * width, height * width));
        }

        return new FloatTensor(data, count, height, width);
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
        var clean = _forward.Run(batch, inputs, cancellationToken)[_model.Output];
        var resolved = seed is null ? ExplainedModel.Resolve(targets!, clean) : null;
        var scores = ExplainedModel.Scores(clean, resolved, seed);

        var generator = new MaskGenerator(_options, height, width);
        var saliency = new double[n * plane];
        int perCall = Math.Max(1, _options.Execution.BatchSize / n);
        var masks = new float[perCall * plane];
        for (int start = 0; start < _options.Masks; start += perCall)
        {
            int m = Math.Min(perCall, _options.Masks - start);
            for (int i = 0; i < m; i++)
            {
                generator.Next(masks.AsSpan(i * plane, plane));
            }

            // Row-major over (row, mask): input r·m + i is row r under mask i.
            var data = new float[n * m * rowLength];
            for (int r = 0; r < n; r++)
            {
                var x = batch.Row(r);
                for (int i = 0; i < m; i++)
                {
                    var target = data.AsSpan(((r * m) + i) * rowLength, rowLength);
                    var mask = masks.AsSpan(i * plane, plane);
                    for (int c = 0; c < channels; c++)
                    {
                        var xc = x.Slice(c * plane, plane);
                        var tc = target.Slice(c * plane, plane);
                        for (int p = 0; p < plane; p++)
                        {
                            tc[p] = xc[p] * mask[p];
                        }
                    }
                }
            }

            var outputs = _forward.Run(new FloatTensor(data, [n * m, .. batch.Shape.Skip(1)]), inputs.RepeatEach(m), cancellationToken)[_model.Output];
            var masked = ExplainedModel.Scores(outputs, resolved, seed, j => j / m);
            for (int r = 0; r < n; r++)
            {
                var s = saliency.AsSpan(r * plane, plane);
                for (int i = 0; i < m; i++)
                {
                    double score = masked[(r * m) + i];
                    var mask = masks.AsSpan(i * plane, plane);
                    for (int p = 0; p < plane; p++)
                    {
                        s[p] += score * mask[p];
                    }
                }
            }
        }

        double scale = 1.0 / (_options.Masks * _options.KeepProbability);
        var result = new float[n * plane];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = (float)(saliency[i] * scale);
        }

        return new AttributionResult(new FloatTensor(result, n, 1, height, width), resolved, scores);
    }

    /// <summary>The authors' mask sequence for one input size (see the class remarks).</summary>
    private sealed class MaskGenerator
    {
        private readonly Random _random;
        private readonly int _s;
        private readonly double _p;
        private readonly int _height;
        private readonly int _width;
        private readonly int _cellH;
        private readonly int _cellW;
        private readonly (int Low, int High, float Fraction)[] _rows;
        private readonly (int Low, int High, float Fraction)[] _columns;
        private readonly float[] _grid;

        public MaskGenerator(RiseOptions options, int height, int width)
        {
            _random = new Random(options.Seed);
            _s = options.GridSize;
            _p = options.KeepProbability;
            _height = height;
            _width = width;
            _cellH = (height + _s - 1) / _s;
            _cellW = (width + _s - 1) / _s;
            _rows = Taps(_s, (_s + 1) * _cellH);
            _columns = Taps(_s, (_s + 1) * _cellW);
            _grid = new float[_s * _s];
        }

        public void Next(Span<float> mask)
        {
            for (int i = 0; i < _grid.Length; i++)
            {
                _grid[i] = _random.NextDouble() < _p ? 1f : 0f;
            }

            int dy = _random.Next(_cellH), dx = _random.Next(_cellW);
            for (int y = 0; y < _height; y++)
            {
                var (y0, y1, fy) = _rows[y + dy];
                for (int x = 0; x < _width; x++)
                {
                    var (x0, x1, fx) = _columns[x + dx];
                    float top = _grid[(y0 * _s) + x0] + (fx * (_grid[(y0 * _s) + x1] - _grid[(y0 * _s) + x0]));
                    float bottom = _grid[(y1 * _s) + x0] + (fx * (_grid[(y1 * _s) + x1] - _grid[(y1 * _s) + x0]));
                    mask[(y * _width) + x] = top + (fy * (bottom - top));
                }
            }
        }

        /// <summary>Linear interpolation taps of a size → target upsampling with half-pixel centres and mirror ("reflect") edges.</summary>
        private static (int, int, float)[] Taps(int size, int target)
        {
            var taps = new (int, int, float)[target];
            double scale = (double)size / target;
            for (int o = 0; o < target; o++)
            {
                double x = ((o + 0.5) * scale) - 0.5;
                if (x < 0)
                {
                    x = -x;
                }

                if (x > size - 1)
                {
                    x = Math.Max(0, (2.0 * (size - 1)) - x);
                }

                int x0 = Math.Min((int)Math.Floor(x), size - 1);
                taps[o] = (x0, Math.Min(x0 + 1, size - 1), (float)(x - x0));
            }

            return taps;
        }
    }

    /// <inheritdoc/>
    public ExplanationMethod Method => ExplanationMethods.Rise;

    /// <inheritdoc/>
    Explanation IExplainer.Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = Explain(request);
        return new Explanation(Method, new FloatTensor(result.Attributions.Data, result.Attributions.BatchSize, result.Attributions.Shape[^2], result.Attributions.Shape[^1]), result.Targets, result.TargetScores, "rise");
    }

    /// <inheritdoc/>
    public void Dispose() => _forward.Dispose();
}
