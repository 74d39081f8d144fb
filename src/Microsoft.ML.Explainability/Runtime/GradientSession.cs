using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Runtime;

/// <summary>
/// An ONNX Runtime session over a <see cref="GradientModel"/>: forward and backward in one call per batch of
/// <see cref="ExecutionOptions.BatchSize"/> rows, on the CPU or on CUDA (with fall-back to the CPU).
/// Thread-safe for concurrent <c>Run</c> calls, as ONNX Runtime sessions are.
/// </summary>
public sealed class GradientSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly ExecutionOptions _options;
    private readonly string[] _outputNames;

    /// <summary>Creates the session.</summary>
    /// <exception cref="ExecutionDeviceUnavailableException">CUDA was asked for, cannot be used, and <see cref="ExecutionOptions.FallbackToCpu"/> is false.</exception>
    public GradientSession(GradientModel model, ExecutionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? ExecutionOptions.Default;
        _options.Validate();
        Model = model;
        _session = SessionOptionsFactory.CreateSession(model.Model, _options, out var provider, out var fallbackReason);
        ExecutionProvider = provider;
        FallbackReason = fallbackReason;
        _outputNames = _session.OutputMetadata.Keys.ToArray();
    }

    /// <summary>The model this session runs.</summary>
    public GradientModel Model { get; }

    /// <summary>"CUDAExecutionProvider" or "CPUExecutionProvider".</summary>
    public string ExecutionProvider { get; }

    /// <summary>Why CUDA was not used although asked for, or null.</summary>
    public string? FallbackReason { get; }

    /// <summary>Runs a single-input model on a batch.</summary>
    /// <param name="input">The batch, [N, …] as the model's input.</param>
    /// <param name="targets">Class per row (−1: the predicted class); null: the predicted class for every row.</param>
    /// <param name="cancellationToken">Checked before each call of <see cref="ExecutionOptions.BatchSize"/> rows and passed to ONNX Runtime, which stops the call under way.</param>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="NonFiniteResultException">The seeded output or a gradient of a row holds NaN or ±Infinity.</exception>
    public GradientResult Run(FloatTensor input, long[]? targets = null, CancellationToken cancellationToken = default)
    {
        if (Model.DataInputs.Count != 1)
        {
            throw new InputMismatchException($"The model has {Model.DataInputs.Count} inputs ({string.Join(", ", Model.DataInputs)}); pass them by name.");
        }

        return Run(new Dictionary<string, FloatTensor> { [Model.DataInputs[0]] = input }, targets, null, cancellationToken);
    }

    /// <summary>
    /// Runs a single-input model built with <see cref="SeedKind.Given"/> on a batch: the gradient flowing into the seeded
    /// output is <paramref name="seed"/> (so the explained score is y = ⟨seed, output⟩ per row).
    /// </summary>
    /// <param name="input">The batch, [N, …] as the model's input.</param>
    /// <param name="seed">The seed gradient, [N, …] as the seeded output.</param>
    /// <param name="cancellationToken">Checked before each call of <see cref="ExecutionOptions.BatchSize"/> rows and passed to ONNX Runtime.</param>
    /// <exception cref="InputMismatchException">The model has several inputs or a one-hot seed, or a shape does not fit.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="NonFiniteResultException">The seeded output or a gradient of a row holds NaN or ±Infinity.</exception>
    public GradientResult Run(FloatTensor input, FloatTensor seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (Model.DataInputs.Count != 1)
        {
            throw new InputMismatchException($"The model has {Model.DataInputs.Count} inputs ({string.Join(", ", Model.DataInputs)}); pass them by name.");
        }

        if (Model.Request.Seed != SeedKind.Given)
        {
            throw new InputMismatchException("This model was built with one-hot class targets (SeedKind.OneHotTarget); pass targets, or build it with SeedKind.Given to pass a seed.");
        }

        return Run(new Dictionary<string, FloatTensor> { [Model.DataInputs[0]] = input }, null, seed, cancellationToken);
    }

    /// <summary>Runs the model on a batch, split into calls of <see cref="ExecutionOptions.BatchSize"/> rows.</summary>
    /// <param name="inputs">Every model input by name, each [N, …].</param>
    /// <param name="targets">For one-hot seeds: class per row (−1: predicted); null: predicted for every row.</param>
    /// <param name="seed">For given seeds: the gradient flowing into the seeded output, [N, …] as that output.</param>
    /// <param name="cancellationToken">Checked before each call of <see cref="ExecutionOptions.BatchSize"/> rows and passed to ONNX Runtime, which stops the call under way.</param>
    /// <exception cref="InputMismatchException">An input is missing, unknown, of the wrong shape, or targets/seed do not fit.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="NonFiniteResultException">
    /// The seeded output (stage <see cref="ComputationStage.ForwardOutput"/>) or a batched gradient
    /// (<see cref="ComputationStage.Gradient"/>) of a row holds NaN or ±Infinity; the exception names the row.
    /// </exception>
    public GradientResult Run(IReadOnlyDictionary<string, FloatTensor> inputs, long[]? targets = null, FloatTensor? seed = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Run(inputs.ToDictionary(kv => kv.Key, kv => InputTensor.Float(kv.Value), StringComparer.Ordinal), targets, seed, cancellationToken);
    }

    /// <summary>
    /// Runs the model on a batch whose inputs may have any supported element type (float32, float64, int64, int32: a
    /// multi-input model's token ids or metadata), split into calls of <see cref="ExecutionOptions.BatchSize"/> rows.
    /// </summary>
    /// <param name="inputs">Every model input by name, each [N, …] of the input's element type.</param>
    /// <param name="targets">For one-hot seeds: class per row (−1: predicted); null: predicted for every row.</param>
    /// <param name="seed">For given seeds: the gradient flowing into the seeded output, [N, …] as that output.</param>
    /// <param name="cancellationToken">Checked before each call and passed to ONNX Runtime, which stops the call under way.</param>
    /// <exception cref="InputMismatchException">An input is missing, unknown, of the wrong element type or shape, or targets/seed do not fit.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="NonFiniteResultException">The seeded output or a batched gradient of a row holds NaN or ±Infinity.</exception>
    public GradientResult Run(IReadOnlyDictionary<string, InputTensor> inputs, long[]? targets = null, FloatTensor? seed = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int rows = ValidateInputs(inputs);
        var oneHot = Model.Request.Seed == SeedKind.OneHotTarget;
        targets = oneHot ? ValidateTargets(targets, rows) : null;
        if (!oneHot)
        {
            ValidateSeed(seed, rows);
        }

        var parts = new List<Dictionary<string, FloatTensor>>();
        var targetParts = new List<long>();
        for (int start = 0; start < rows; start += _options.BatchSize)
        {
            int count = Math.Min(_options.BatchSize, rows - start);
            var feeds = inputs.ToDictionary(kv => kv.Key, kv => count == rows || !IsBatched(kv.Key) ? kv.Value : kv.Value.Rows(start, count));
            cancellationToken.ThrowIfCancellationRequested();
            var (floats, resolved) = RunBatch(feeds, targets?.AsSpan(start, count).ToArray(), seed is null ? null : (count == rows ? seed : seed.Rows(start, count)), cancellationToken);
            CheckFinite(floats, start);
            parts.Add(floats);
            targetParts.AddRange(resolved ?? []);
        }

        var merged = parts[0].Keys.ToDictionary(k => k, k => Merge(k, parts.Select(p => p[k]).ToArray()), StringComparer.Ordinal);
        var gradients = Model.Request.WithRespectTo.ToDictionary(w => w, w => merged[GradientModel.GradientOutput(w)], StringComparer.Ordinal);
        var products = Model.Request.HessianVectorProducts.ToDictionary(p => p.Tensor, p => merged[GradientModel.HessianVectorOutput(p.Tensor)], StringComparer.Ordinal);
        float[]? scores = merged.TryGetValue(GradientModel.TargetScoreOutput, out var s) ? s.Data : null;
        var outputs = merged.Where(kv => !kv.Key.StartsWith("xai.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new GradientResult(outputs, gradients, oneHot ? targetParts.ToArray() : null, scores, products);
    }

    /// <summary>
    /// Whether a tensor has a batch dimension (so it is split into batches and its results concatenated); the input
    /// feeding a given Hessian-vector product's vector is batched as the tensor it multiplies.
    /// </summary>
    private bool IsBatched(string tensor) =>
        Model.Shapes[Model.HessianVectorInputs.TryGetValue(tensor, out var multiplied) ? multiplied : tensor].Shape is [< 0, ..];

    /// <summary>
    /// Joins the per-batch results of one output: batched outputs are concatenated; the gradient of a tensor shared by
    /// all rows is summed over batches; other unbatched outputs are the same in every batch.
    /// </summary>
    private FloatTensor Merge(string output, FloatTensor[] parts)
    {
        if (parts.Length == 1)
        {
            return parts[0];
        }

        if (output.StartsWith(GradientModel.GradientOutputPrefix, StringComparison.Ordinal))
        {
            var tensor = output[GradientModel.GradientOutputPrefix.Length..];
            return IsBatched(tensor) ? FloatTensor.ConcatRows(parts) : SumParts(parts);
        }

        if (output.StartsWith(GradientModel.HessianVectorOutputPrefix, StringComparison.Ordinal))
        {
            // Like a gradient: the product with respect to a tensor shared by all rows sums over the rows' scores.
            var tensor = output[GradientModel.HessianVectorOutputPrefix.Length..];
            return IsBatched(tensor) ? FloatTensor.ConcatRows(parts) : SumParts(parts);
        }

        return Model.Shapes.Contains(output) && !IsBatched(output) ? parts[0] : FloatTensor.ConcatRows(parts);
    }

    /// <summary>The gradient of a tensor shared by all rows (a weight, an unbatched input) is the sum over batches.</summary>
    private static FloatTensor SumParts(FloatTensor[] parts)
    {
        var sum = new float[parts[0].Length];
        foreach (var part in parts)
        {
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += part.Data[i];
            }
        }

        return new FloatTensor(sum, parts[0].Shape);
    }

    /// <summary>The seeded output, then the gradients of batched tensors, must be finite (rows counted from <paramref name="firstRow"/>).</summary>
    private void CheckFinite(Dictionary<string, FloatTensor> floats, int firstRow)
    {
        if (floats.TryGetValue(Model.Request.Output, out var output) && IsBatched(Model.Request.Output))
        {
            NonFiniteResultException.ThrowIfAny(output.Data, output.RowLength, ComputationStage.ForwardOutput, Model.Request.Output, firstRow);
        }

        foreach (var name in Model.Request.WithRespectTo)
        {
            if (floats.TryGetValue(GradientModel.GradientOutput(name), out var gradient))
            {
                // A shared tensor's gradient (a weight) sums over rows: no row to name, reported as row 0 of the call.
                NonFiniteResultException.ThrowIfAny(gradient.Data, IsBatched(name) ? gradient.RowLength : gradient.Length, ComputationStage.Gradient, name, firstRow);
            }
        }

        foreach (var product in Model.Request.HessianVectorProducts)
        {
            if (floats.TryGetValue(GradientModel.HessianVectorOutput(product.Tensor), out var hv))
            {
                NonFiniteResultException.ThrowIfAny(hv.Data, IsBatched(product.Tensor) ? hv.RowLength : hv.Length, ComputationStage.Gradient, GradientModel.HessianVectorOutput(product.Tensor), firstRow);
            }
        }
    }

    private (Dictionary<string, FloatTensor> Floats, long[]? Targets) RunBatch(Dictionary<string, InputTensor> feeds, long[]? targets, FloatTensor? seed, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, tensor) in feeds)
            {
                names.Add(name);
                values.Add(tensor.ToOrtValue());
            }

            if (targets is not null)
            {
                names.Add(GradientModel.TargetsInput);
                values.Add(OrtValue.CreateTensorValueFromMemory(targets, [targets.Length]));
            }

            if (seed is not null)
            {
                names.Add(GradientModel.SeedInput);
                values.Add(OrtValue.CreateTensorValueFromMemory(seed.Data, seed.Shape));
            }

            using var runOptions = new RunOptions();
            using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
            using var outputs = _session.Run(runOptions, names, values, _outputNames);
            var floats = new Dictionary<string, FloatTensor>(StringComparer.Ordinal);
            long[]? resolved = null;
            for (int i = 0; i < _outputNames.Length; i++)
            {
                var info = outputs[i].GetTensorTypeAndShape();
                if (info.ElementDataType == TensorElementType.Float)
                {
                    floats[_outputNames[i]] = new FloatTensor(outputs[i].GetTensorDataAsSpan<float>().ToArray(), info.Shape);
                }
                else if (_outputNames[i] == GradientModel.ResolvedTargetsOutput)
                {
                    resolved = outputs[i].GetTensorDataAsSpan<long>().ToArray();
                }
            }

            return (floats, resolved);
        }
        catch (OnnxRuntimeException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The explanation was cancelled.", e, cancellationToken);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ExplainabilityException($"ONNX Runtime failed to run the explanation graph: {e.Message}", e);
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }

    private int ValidateInputs(IReadOnlyDictionary<string, InputTensor> inputs)
    {
        var expected = Model.DataInputs.Concat(Model.HessianVectorInputs.Keys).ToArray();
        var missing = expected.Where(e => !inputs.ContainsKey(e)).ToArray();
        var unknown = inputs.Keys.Where(k => !expected.Contains(k)).ToArray();
        if (missing.Length > 0 || unknown.Length > 0)
        {
            throw new InputMismatchException($"The model's inputs are {string.Join(", ", expected.Select(e => $"'{e}'"))}; missing: [{string.Join(", ", missing)}], unknown: [{string.Join(", ", unknown)}].");
        }

        int rows = -1;
        foreach (var name in expected)
        {
            var tensor = inputs[name];
            var meta = _session.InputMetadata[name];
            if (meta.ElementDataType != tensor.ElementType)
            {
                throw new InputMismatchException($"Input '{name}' has element type {meta.ElementDataType} but was given {tensor.ElementType}.");
            }

            var dims = meta.Dimensions;
            bool ok = tensor.Rank == dims.Length && dims.Select((d, i) => d <= 0 || d == tensor.Shape[i]).All(x => x);
            if (!ok)
            {
                throw new InputMismatchException($"Input '{name}' expects shape [{string.Join(", ", dims.Select(d => d <= 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}] but was given {tensor.ShapeText}.");
            }

            var prepared = Model.Shapes[Model.HessianVectorInputs.TryGetValue(name, out var multiplied) ? multiplied : name];
            var probed = prepared.Shape;
            for (int d = 1; d < probed.Count; d++)
            {
                if (probed[d] > 0 && probed[d] != tensor.Shape[d])
                {
                    throw new InputMismatchException($"Input '{name}' was prepared for shape {prepared.ShapeText} but was given {tensor.ShapeText}; build a GradientModel with these InputShapes.");
                }
            }

            if (!IsBatched(name))
            {
                continue;
            }

            if (tensor.BatchSize == 0)
            {
                throw new InputMismatchException($"Input '{name}' has no rows.");
            }

            if (rows >= 0 && rows != tensor.BatchSize)
            {
                throw new InputMismatchException($"Inputs disagree on the batch size ({rows} vs {tensor.BatchSize} in '{name}').");
            }

            rows = tensor.BatchSize;
        }

        return rows < 0 ? 1 : rows;
    }

    private long[] ValidateTargets(long[]? targets, int rows)
    {
        if (targets is null)
        {
            return Enumerable.Repeat(-1L, rows).ToArray();
        }

        if (targets.Length != rows)
        {
            throw new InputMismatchException($"{targets.Length} targets were given for {rows} rows.");
        }

        for (int i = 0; i < targets.Length; i++)
        {
            if (targets[i] < -1 || targets[i] >= Model.ClassCount)
            {
                throw new InputMismatchException($"Target {targets[i]} of row {i} is out of range: output '{Model.Request.Output}' has {Model.ClassCount} classes (0 to {Model.ClassCount - 1}; −1 for the predicted class).");
            }
        }

        return targets;
    }

    private void ValidateSeed(FloatTensor? seed, int rows)
    {
        if (seed is null)
        {
            throw new InputMismatchException($"This model was built with a given seed: pass the gradient of '{Model.Request.Output}' as the seed.");
        }

        var expected = Model.Shapes[Model.Request.Output];
        bool ok = seed.Rank == expected.Rank && seed.Shape[0] == rows && expected.Shape.Select((d, i) => d < 0 || d == seed.Shape[i]).All(x => x);
        if (!ok)
        {
            throw new InputMismatchException($"The seed must have the shape of '{Model.Request.Output}' {expected.ShapeText} with {rows} rows; it has {seed.ShapeText}.");
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}
