using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Everything a registered metric may use; unused members may be left null. Disposing it releases the session it
/// opens for internal representations (never <see cref="Scorer"/>, which stays the caller's).
/// </summary>
public sealed class MetricContext : IDisposable
{
    private ModelScorer? _representations;

    /// <summary>The model explained.</summary>
    public required OnnxModel Model { get; init; }

    /// <summary>The model's session.</summary>
    public required ModelScorer Scorer { get; init; }

    /// <summary>The samples, [N, …].</summary>
    public required FloatTensor Inputs { get; init; }

    /// <summary>The explanations in the inputs' shape.</summary>
    public required FloatTensor Explanations { get; init; }

    /// <summary>The class explained per sample (predicted classes resolved; see <see cref="ModelScorer.Predict"/>).</summary>
#pragma warning disable CA1819 // Per-row arrays are the natural type here.
    public required long[] Targets { get; init; }
#pragma warning restore CA1819

    /// <summary>The explanation method, for metrics that re-run it; null: those metrics cannot run.</summary>
    public ExplainFunction? Explain { get; init; }

    /// <summary>Ground-truth masks ([N, H, W], [N, 1, H, W] or the inputs' shape); null: localisation metrics with masks cannot run.</summary>
    public FloatTensor? Masks { get; init; }

    /// <summary>The convention that fills in options not given in <see cref="Options"/>. Default <see cref="EvaluationConvention.Default"/>.</summary>
    public EvaluationConvention Convention { get; init; }

    /// <summary>Steps of the deletion and insertion curves; null: 50.</summary>
    public int? CurveSteps { get; init; }

    /// <summary>Seed of the stochastic metrics (each metric's options default to it). Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Tie order and feature unit of every ranking; null: <see cref="RankingOptions.Default"/>.</summary>
    public RankingOptions? Ranking { get; init; }

    /// <summary>Per metric name, an options object of the metric's <see cref="MetricDescriptor.OptionsType"/> that replaces the convention's.</summary>
    public IReadOnlyDictionary<string, object>? Options { get; init; }

    /// <summary>Progress of the metric running.</summary>
    public IProgress<EvaluationProgress>? Progress { get; init; }

    /// <summary>Checked inside the metrics.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Whether the Quantus convention is on.</summary>
    public bool IsQuantus => Convention == EvaluationConvention.Quantus;

    internal RankingOptions RankingOrDefault => Ranking ?? RankingOptions.Default;

    /// <summary>The options for <paramref name="metric"/>: the caller's override, else the convention's.</summary>
    internal T OptionsFor<T>(string metric, Func<T> ours, Func<T> quantus)
        where T : class
    {
        if (Options is not null && Options.TryGetValue(metric, out var given))
        {
            return given as T ?? throw new EvaluationInputException($"The options given for metric '{metric}' are a {given.GetType().Name}; it takes {typeof(T).Name}.");
        }

        return IsQuantus ? quantus() : ours();
    }

    /// <summary>The explanation method for the original model with sample n's target on every row of a stack of copies.</summary>
    internal Func<FloatTensor, int, FloatTensor> ExplainSample => (batch, n) => Require(Explain)(Model, batch, Enumerable.Repeat(Targets[n], batch.BatchSize).ToArray());

    /// <summary>The explanation method for any model with the samples' own targets.</summary>
    internal Func<OnnxModel, FloatTensor, FloatTensor> ExplainWithModel => (model, batch) => Require(Explain)(model, batch, Targets);

    /// <summary>The penultimate representation (the input of the last Gemm/MatMul) of a batch, flattened to [M, D].</summary>
    internal FloatTensor Representations(FloatTensor batch)
    {
        if (_representations is null)
        {
            var layer = Model.Nodes.LastOrDefault(node => node.OpType is "Gemm" or "MatMul")?.Inputs[0]
                ?? throw new EvaluationInputException("Relative representation stability needs a Gemm or MatMul layer whose input is the representation; the model has none.");
            _representations = new ModelScorer(Model.WithOutputs(layer), layer, null, anyOutputRank: true);
        }

        return _representations.Outputs(batch, CancellationToken);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _representations?.Dispose();
        _representations = null;
    }

    private static ExplainFunction Require(ExplainFunction? explain) =>
        explain ?? throw new EvaluationInputException("This metric re-runs the explanation method: give MetricContext.Explain.");
}
