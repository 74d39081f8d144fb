using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// One ONNX Runtime <see cref="InferenceSession"/> over a single-input classifier, shared by every metric of an
/// evaluation: perturbed copies of the inputs are stacked into one tensor and run in batches of
/// <see cref="ExecutionOptions.BatchSize"/> rows. The model is given a symbolic batch dimension first
/// (<see cref="OnnxModel.WithSymbolicBatch"/>); the caller's model is not modified. Thread-safe for concurrent calls.
/// </summary>
public sealed class ModelScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly ExecutionOptions _options;
    private readonly long[] _inputDims;
    private readonly bool _anyOutputRank;
    private long _forwardRows;

    /// <summary>Creates the session.</summary>
    /// <param name="model">A classifier with one float input [N, …] and a [N, classes] output.</param>
    /// <param name="outputName">The output holding the class scores; null: the model's first output.</param>
    /// <param name="options">Batch size, threads and device; null: <see cref="ExecutionOptions.Default"/>.</param>
    /// <exception cref="EvaluationInputException">The model has more than one input, or no output of that name.</exception>
    /// <exception cref="InvalidOnnxModelException">ONNX Runtime refuses the model.</exception>
    /// <exception cref="ExecutionDeviceUnavailableException">CUDA was asked for, cannot be used, and <see cref="ExecutionOptions.FallbackToCpu"/> is false.</exception>
    public ModelScorer(OnnxModel model, string? outputName = null, ExecutionOptions? options = null)
        : this(model, outputName, options, anyOutputRank: false)
    {
    }

    /// <summary>A session whose output may have any rank: rows are flattened to [N, D] (for internal representations).</summary>
    internal ModelScorer(OnnxModel model, string? outputName, ExecutionOptions? options, bool anyOutputRank)
    {
        _anyOutputRank = anyOutputRank;
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? ExecutionOptions.Default;
        _options.Validate();
        var prepared = model.WithSymbolicBatch();
        if (prepared.InputNames.Count != 1)
        {
            throw new EvaluationInputException($"Evaluation needs a model with one input; this one has {prepared.InputNames.Count} ({string.Join(", ", prepared.InputNames)}).");
        }

        OutputName = outputName ?? prepared.OutputNames[0];
        if (!prepared.OutputNames.Contains(OutputName))
        {
            throw new EvaluationInputException($"The model has no output '{OutputName}'; its outputs are {string.Join(", ", prepared.OutputNames)}.");
        }

        _session = SessionOptionsFactory.CreateSession(prepared, _options, out var provider, out var fallbackReason);
        ExecutionProvider = provider;
        FallbackReason = fallbackReason;
        InputName = prepared.InputNames[0];
        var meta = _session.InputMetadata[InputName];
        if (meta.ElementDataType != TensorElementType.Float)
        {
            _session.Dispose();
            throw new EvaluationInputException($"Input '{InputName}' has element type {meta.ElementDataType}; evaluation supports float32 inputs.");
        }

        _inputDims = meta.Dimensions.Select(d => (long)d).ToArray();
    }

    /// <summary>Where the session runs: "CUDAExecutionProvider" or "CPUExecutionProvider" (see <see cref="SessionOptionsFactory"/>).</summary>
    public string ExecutionProvider { get; }

    /// <summary>Why CUDA was not used although asked for (with <see cref="ExecutionOptions.FallbackToCpu"/>), or null.</summary>
    public string? FallbackReason { get; }

    /// <summary>The model's input name.</summary>
    public string InputName { get; }

    /// <summary>The output whose class scores are followed.</summary>
    public string OutputName { get; }

    /// <summary>Rows (forward passes of one sample) run so far, for throughput figures.</summary>
    public long ForwardPasses => Interlocked.Read(ref _forwardRows);

    /// <summary>The model's output for every row of <paramref name="inputs"/>, [N, classes], run in batches.</summary>
    /// <exception cref="EvaluationInputException">The inputs do not fit the model's input shape, or the output is not [N, classes].</exception>
    public FloatTensor Outputs(FloatTensor inputs, CancellationToken cancellationToken = default)
    {
        EvaluationGuard.RequireInputs(inputs);
        CheckShape(inputs);
        var parts = new List<FloatTensor>();
        for (int start = 0; start < inputs.BatchSize; start += _options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(_options.BatchSize, inputs.BatchSize - start);
            var batch = count == inputs.BatchSize ? inputs : inputs.Rows(start, count);
            parts.Add(RunBatch(batch));
            Interlocked.Add(ref _forwardRows, count);
        }

        return FloatTensor.ConcatRows(parts);
    }

    /// <summary>
    /// The score of each row's target class: the logit z_c or the softmax probability exp(z_c)/Σ_k exp(z_k), per <paramref name="kind"/>.
    /// </summary>
    /// <param name="inputs">The rows, [N, …].</param>
    /// <param name="targets">One class per row (a single entry is used for every row).</param>
    /// <param name="kind">Logit or probability.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public double[] Scores(FloatTensor inputs, IReadOnlyList<long> targets, ScoreKind kind, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var outputs = Outputs(inputs, cancellationToken);
        if (targets.Count != 1 && targets.Count != outputs.BatchSize)
        {
            throw new EvaluationInputException($"{targets.Count} targets were given for {outputs.BatchSize} rows.");
        }

        var scores = new double[outputs.BatchSize];
        for (int r = 0; r < scores.Length; r++)
        {
            scores[r] = Score(outputs.Row(r), targets[targets.Count == 1 ? 0 : r], kind);
        }

        return scores;
    }

    /// <summary>The class with the largest output for each row (the predicted class).</summary>
    public long[] Predict(FloatTensor inputs, CancellationToken cancellationToken = default)
    {
        var outputs = Outputs(inputs, cancellationToken);
        var result = new long[outputs.BatchSize];
        for (int r = 0; r < result.Length; r++)
        {
            var row = outputs.Row(r);
            int best = 0;
            for (int k = 1; k < row.Length; k++)
            {
                if (row[k] > row[best])
                {
                    best = k;
                }
            }

            result[r] = best;
        }

        return result;
    }

    /// <summary>Targets as given, with null or −1 entries replaced by the predicted class (one forward pass per row when any is missing).</summary>
    /// <exception cref="EvaluationInputException">The target count differs from the row count.</exception>
    public long[] ResolveTargets(FloatTensor inputs, long[]? targets, CancellationToken cancellationToken)
    {
        EvaluationGuard.CheckTargets(targets, inputs.BatchSize);
        if (targets is not null && targets.All(t => t >= 0))
        {
            return targets;
        }

        var predicted = Predict(inputs, cancellationToken);
        return targets is null ? predicted : targets.Select((t, i) => t >= 0 ? t : predicted[i]).ToArray();
    }

    /// <summary>The score of class <paramref name="target"/> in one output row.</summary>
    internal static double Score(ReadOnlySpan<float> row, long target, ScoreKind kind)
    {
        if (target < 0 || target >= row.Length)
        {
            throw new EvaluationInputException(string.Create(CultureInfo.InvariantCulture, $"Target class {target} is outside the model's {row.Length} classes."));
        }

        if (kind == ScoreKind.Logit)
        {
            return row[(int)target];
        }

        if (kind == ScoreKind.Accuracy)
        {
            return TensorPrimitives.IndexOfMax(row) == target ? 1 : 0;
        }

        double max = double.NegativeInfinity;
        foreach (var v in row)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        foreach (var v in row)
        {
            sum += Math.Exp(v - max);
        }

        return Math.Exp(row[(int)target] - max) / sum;
    }

    private void CheckShape(FloatTensor inputs)
    {
        bool ok = inputs.Rank == _inputDims.Length;
        for (int d = 1; ok && d < _inputDims.Length; d++)
        {
            ok = _inputDims[d] <= 0 || _inputDims[d] == inputs.Shape[d];
        }

        if (!ok)
        {
            throw new EvaluationInputException(
                $"Input '{InputName}' expects shape [{string.Join(", ", _inputDims.Select(d => d <= 0 ? "N" : d.ToString(CultureInfo.InvariantCulture)))}] but the inputs have shape {inputs.ShapeText}.");
        }
    }

    private FloatTensor RunBatch(FloatTensor batch)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(batch.Data, batch.Shape);
        try
        {
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, [InputName], [value], [OutputName]);
            var info = outputs[0].GetTensorTypeAndShape();
            if (_anyOutputRank && info.ElementDataType == TensorElementType.Float && info.Shape.Length >= 1)
            {
                long rows = info.Shape[0];
                return new FloatTensor(outputs[0].GetTensorDataAsSpan<float>().ToArray(), rows, rows == 0 ? 0 : info.Shape.Skip(1).Aggregate(1L, (a, b) => a * b));
            }

            if (info.ElementDataType != TensorElementType.Float || info.Shape.Length != 2)
            {
                throw new EvaluationInputException($"Output '{OutputName}' must be float [N, classes]; it is {info.ElementDataType} [{string.Join(", ", info.Shape)}].");
            }

            return new FloatTensor(outputs[0].GetTensorDataAsSpan<float>().ToArray(), info.Shape);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ExplainabilityException($"ONNX Runtime failed to run the model on a batch of {batch.ShapeText}: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}
