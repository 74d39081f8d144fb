using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>
/// Plain inference (no backward graph) of a prepared model with extra outputs, in calls of
/// <see cref="ExecutionOptions.BatchSize"/> rows: the forward passes of Eigen-CAM, Score-CAM, Ablation-CAM and the
/// target resolution of integrated gradients.
/// </summary>
internal sealed class ForwardRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _outputs;
    private readonly ExecutionOptions _options;

    public ForwardRunner(OnnxModel prepared, IReadOnlyList<string> outputs, ExecutionOptions options)
    {
        _options = options;
        _options.Validate();
        _outputs = outputs.Distinct(StringComparer.Ordinal).ToArray();
        var model = prepared.WithOutputs(_outputs);
        _session = SessionOptionsFactory.CreateSession(model, options, out _, out _);
        Inputs = _session.InputMetadata.Keys.ToArray();
    }

    /// <summary>The model's inputs; all are batched.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Runs the model on <paramref name="batch"/> (the explained input) with the other inputs held fixed for its rows.</summary>
    public Dictionary<string, FloatTensor> Run(FloatTensor batch, FixedInputs inputs, CancellationToken cancellationToken = default) =>
        Run(inputs.Feeds(batch), cancellationToken);

    /// <summary>
    /// Runs <paramref name="feeds"/> (every input, same row count) and returns the requested outputs, rows concatenated.
    /// The token is checked before each call and stops the call under way; every output must be finite.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="NonFiniteResultException">An output of a row holds NaN or ±Infinity (stage <see cref="ComputationStage.ForwardOutput"/>).</exception>
    public Dictionary<string, FloatTensor> Run(IReadOnlyDictionary<string, InputTensor> feeds, CancellationToken cancellationToken = default)
    {
        var parts = new List<FloatTensor[]>();
        int total = feeds.Values.First().BatchSize;
        for (int start = 0; start < total; start += _options.BatchSize)
        {
            int count = Math.Min(_options.BatchSize, total - start);
            cancellationToken.ThrowIfCancellationRequested();
            var names = feeds.Keys.ToArray();
            var values = feeds.Values.Select(t => t.Rows(start, count).ToOrtValue()).ToArray();
            try
            {
                using var runOptions = new RunOptions();
                using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
                using var outputs = _session.Run(runOptions, names, values, _outputs);
                var part = new FloatTensor[_outputs.Length];
                for (int i = 0; i < _outputs.Length; i++)
                {
                    var info = outputs[i].GetTensorTypeAndShape();
                    if (info.ElementDataType != TensorElementType.Float)
                    {
                        throw new ExplainabilityException($"Output '{_outputs[i]}' is {info.ElementDataType}; explainers read float32 tensors.");
                    }

                    part[i] = new FloatTensor(outputs[i].GetTensorDataAsSpan<float>().ToArray(), info.Shape);
                    NonFiniteResultException.ThrowIfAny(part[i].Data, part[i].RowLength, ComputationStage.ForwardOutput, _outputs[i], start);
                }

                parts.Add(part);
            }
            catch (OnnxRuntimeException e) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The explanation was cancelled.", e, cancellationToken);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ExplainabilityException($"ONNX Runtime failed to run the model: {e.Message}", e);
            }
            finally
            {
                foreach (var value in values)
                {
                    value.Dispose();
                }
            }
        }

        return _outputs.Select((name, i) => (name, FloatTensor.ConcatRows(parts.Select(p => p[i]).ToArray()))).ToDictionary(p => p.name, p => p.Item2, StringComparer.Ordinal);
    }

    public void Dispose() => _session.Dispose();
}
