using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Fills row <paramref name="row"/> of a batch (a delegate type, as .NET 8's Action cannot take a span).</summary>
internal delegate void RowFiller(int row, Span<float> destination);

/// <summary>Receives row <paramref name="row"/>'s gradient and target score.</summary>
internal delegate void RowAccumulator(int row, ReadOnlySpan<float> gradient, float score);

/// <summary>
/// Gradient sessions with respect to the model input (one per seed kind, created on first use) shared by the
/// gradient explainers, and the batching of many perturbed copies of the input through them.
/// </summary>
internal sealed class InputGradients : IDisposable
{
    private readonly ExplainedModel _model;
    private readonly GradientRuleRegistry _rules;
    private readonly ExecutionOptions _execution;
    private readonly ExplainerSessions _sessions;

    public InputGradients(ExplainedModel model, GradientRuleRegistry rules, ExecutionOptions execution)
    {
        _model = model;
        _rules = rules;
        _execution = execution;
        _execution.Validate();
        _sessions = new ExplainerSessions(this);
    }

    public ExplainedModel Model => _model;

    /// <summary>Gradients of the target score at <paramref name="batch"/> (the other inputs held fixed), with the outputs and resolved targets.</summary>
    public GradientResult Run(FloatTensor batch, FixedInputs inputs, long[]? targets, FloatTensor? seed, CancellationToken cancellationToken = default) =>
        Session(seed is not null).Run(inputs.Feeds(batch), targets, seed, cancellationToken);

    /// <summary>
    /// Runs <paramref name="rows"/> inputs, row i explained for the target (or seed row) of batch row
    /// <paramref name="source"/>(i) and fed that row's other <paramref name="inputs"/>, in calls of about <see cref="ExecutionOptions.BatchSize"/> rows built on demand by
    /// <paramref name="fill"/>; calls <paramref name="accumulate"/>(i, gradient row, target score) for each.
    /// </summary>
    public void RunMany(int rows, Func<int, int> source, RowFiller fill, FixedInputs inputs, long[]? targets, FloatTensor? seed, RowAccumulator accumulate, CancellationToken cancellationToken = default)
    {
        var shape = _model.InputInfo.Shape;
        int rowLength = checked((int)shape.Skip(1).Aggregate(1L, (a, b) => a * b));
        int chunk = Math.Max(1, _execution.BatchSize);
        for (int start = 0; start < rows; start += chunk)
        {
            int count = Math.Min(chunk, rows - start);
            var data = new float[count * rowLength];
            for (int i = 0; i < count; i++)
            {
                fill(start + i, data.AsSpan(i * rowLength, rowLength));
            }

            var input = new FloatTensor(data, [count, .. shape.Skip(1)]);
            long[]? chunkTargets = targets is null ? null : Enumerable.Range(start, count).Select(i => targets[source(i)]).ToArray();
            FloatTensor? chunkSeed = null;
            if (seed is not null)
            {
                int seedRow = seed.RowLength;
                var seedData = new float[count * seedRow];
                for (int i = 0; i < count; i++)
                {
                    seed.Row(source(start + i)).CopyTo(seedData.AsSpan(i * seedRow, seedRow));
                }

                chunkSeed = new FloatTensor(seedData, [count, .. seed.Shape.Skip(1)]);
            }

            var result = Run(input, inputs.Select(count, i => source(start + i)), chunkTargets, chunkSeed, cancellationToken);
            var gradient = result.Gradients[_model.Input];
            var scores = ExplainedModel.Scores(result.Outputs[_model.Output], chunkTargets, chunkSeed);
            for (int i = 0; i < count; i++)
            {
                accumulate(start + i, gradient.Row(i), scores[i]);
            }
        }
    }

    private GradientSession Session(bool givenSeed) =>
        _sessions.Get(givenSeed ? "seed" : "class", () =>
        {
            var model = GradientModel.Build(_model.Original, new GradientRequest
            {
                Output = _model.Output,
                Seed = givenSeed ? SeedKind.Given : SeedKind.OneHotTarget,
                WithRespectTo = [_model.Input],
                Shapes = _model.Shapes,
                Activations = [_model.Output],
                Rules = _rules,
            });
            return new GradientSession(model, _execution);
        });

    public void Dispose() => _sessions.Dispose();
}
