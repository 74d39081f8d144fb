using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>The property of an explanation a metric measures (Quantus's categories).</summary>
public enum MetricFamily
{
    /// <summary>Does the explanation reflect what the model uses? (perturb what it points at, watch the score.)</summary>
    Faithfulness,

    /// <summary>Does the explanation stay put under small input changes?</summary>
    Robustness,

    /// <summary>Does the explanation fall on the object (needs ground-truth masks or mosaics)?</summary>
    Localisation,

    /// <summary>Is the explanation concise?</summary>
    Complexity,

    /// <summary>Does the explanation depend on the model's parameters and the explained class?</summary>
    Randomisation,

    /// <summary>Does the explanation satisfy an axiom (completeness, non-sensitivity, input invariance)?</summary>
    Axiomatic,
}

/// <summary>What a metric needs besides the inputs and explanations.</summary>
[Flags]
public enum MetricNeeds
{
    /// <summary>Nothing else: it reads the explanations only.</summary>
    None = 0,

    /// <summary>Forward passes of the model (<see cref="MetricContext.Scorer"/>).</summary>
    ModelPasses = 1,

    /// <summary>Gradients of the model directly (no built-in metric needs them: methods that need gradients get them through <see cref="ExplainerReruns"/>).</summary>
    Gradients = 2,

    /// <summary>Re-running the explanation method on new inputs or models (<see cref="MetricContext.Explain"/>).</summary>
    ExplainerReruns = 4,

    /// <summary>Ground-truth object masks (<see cref="MetricContext.Masks"/>).</summary>
    Masks = 8,

    /// <summary>At least two samples: the samples' explanations are compared with each other.</summary>
    SeveralSamples = 16,

    /// <summary>Mosaics built from the batch (<see cref="Mosaics.FromBatch"/>), explained through <see cref="MetricContext.Explain"/>.</summary>
    Mosaics = 32,
}

/// <summary>An explanation method as a callback: explanations of <paramref name="inputs"/> by <paramref name="model"/> for one class per row, in the inputs' shape.</summary>
/// <param name="model">The model to explain (the original one, or a randomised or input-shifted copy).</param>
/// <param name="inputs">The batch, [M, …].</param>
/// <param name="targets">The class explained for each row.</param>
public delegate FloatTensor ExplainFunction(OnnxModel model, FloatTensor inputs, long[] targets);

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
            var layer = Model.Graph.Node.LastOrDefault(node => node.OpType is "Gemm" or "MatMul")?.Input[0]
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

/// <summary>The per-sample values of one metric (NaN where undefined), and the curves behind them when there are any.</summary>
/// <param name="PerSample">One value per sample.</param>
/// <param name="Curves">The perturbation curves, for plots; null when the metric has none.</param>
public sealed record MetricValues(IReadOnlyList<double> PerSample, PerturbationCurves? Curves = null);

/// <summary>One metric as the registry declares it.</summary>
public sealed class MetricDescriptor
{
    private readonly Func<MetricContext, MetricValues> _compute;

    internal MetricDescriptor(
        string name, MetricFamily family, MetricNeeds needs, bool? higherIsBetter, Type? optionsType, string reference, string definition,
        Func<MetricContext, MetricValues> compute, bool? higherIsBetterUnderQuantus = null)
    {
        Name = name;
        Family = family;
        Needs = needs;
        HigherIsBetter = higherIsBetter;
        HigherIsBetterUnderQuantus = higherIsBetterUnderQuantus ?? higherIsBetter;
        OptionsType = optionsType;
        Reference = reference;
        Definition = definition;
        _compute = compute;
    }

    /// <summary>The stable name used by the CLI (<c>evaluate --metrics</c>) and in reports.</summary>
    public string Name { get; }

    /// <summary>The property measured.</summary>
    public MetricFamily Family { get; }

    /// <summary>What it needs besides the inputs and explanations.</summary>
    public MetricNeeds Needs { get; }

    /// <summary>Direction under <see cref="EvaluationConvention.Default"/>.</summary>
    public bool? HigherIsBetter { get; }

    /// <summary>Direction under <see cref="EvaluationConvention.Quantus"/> (differs where Quantus reports another quantity, e.g. completeness as a boolean).</summary>
    public bool? HigherIsBetterUnderQuantus { get; }

    /// <summary>The type of the options object accepted in <see cref="MetricContext.Options"/>; null when it takes none.</summary>
    public Type? OptionsType { get; }

    /// <summary>The paper.</summary>
    public string Reference { get; }

    /// <summary>The value per sample in one sentence, with what Quantus 0.6 does differently.</summary>
    public string Definition { get; }

    /// <summary>The direction under a convention.</summary>
    public bool? Direction(EvaluationConvention convention) => convention == EvaluationConvention.Quantus ? HigherIsBetterUnderQuantus : HigherIsBetter;

    /// <summary>Computes the per-sample values.</summary>
    /// <exception cref="EvaluationInputException">The context lacks what <see cref="Needs"/> asks for (explainer, masks, two samples), or the inputs are bad.</exception>
    public MetricValues Compute(MetricContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Needs.HasFlag(MetricNeeds.ExplainerReruns) && context.Explain is null)
        {
            throw new EvaluationInputException($"Metric '{Name}' re-runs the explanation method: give MetricContext.Explain.");
        }

        if (Needs.HasFlag(MetricNeeds.Masks) && context.Masks is null)
        {
            throw new EvaluationInputException($"Metric '{Name}' needs ground-truth masks: give MetricContext.Masks (for dark uniform backgrounds, ObjectMasks.BrighterThanBackground).");
        }

        if (Needs.HasFlag(MetricNeeds.SeveralSamples) && context.Inputs.BatchSize < 2)
        {
            throw new EvaluationInputException($"Metric '{Name}' compares samples with each other and needs at least two; got {context.Inputs.BatchSize}.");
        }

        return _compute(context);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// Every evaluation metric, declared once: its stable name, family, needs, direction, options type, paper and
/// definition, and how to compute its per-sample values from a <see cref="MetricContext"/> under either
/// <see cref="EvaluationConvention"/>. The CLI's <c>evaluate --metrics</c> (including <c>all</c>) and the DataFrame
/// reports enumerate <see cref="All"/>.
/// </summary>
public static partial class MetricRegistry
{
    /// <summary>The name that selects every metric in the CLI.</summary>
    public const string AllName = "all";

    /// <summary>The metric named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="KeyNotFoundException">No metric has that name; the message lists them.</exception>
    public static MetricDescriptor Find(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException($"Unknown metric '{name}'. Metrics: {string.Join(", ", All.Select(m => m.Name))}.");

    /// <summary>
    /// Computes <paramref name="metrics"/> for one method and adds them to <paramref name="report"/> under
    /// <paramref name="method"/> (with curves where the metric has them, and its direction under the context's convention).
    /// </summary>
    /// <param name="report">The report to add to.</param>
    /// <param name="method">The explanation method's name.</param>
    /// <param name="context">Model, inputs, explanations, targets and what the metrics need.</param>
    /// <param name="metrics">The metrics, in report order.</param>
    /// <param name="progress">Called before each metric with its name, returning the progress sink for it; null: the context's.</param>
    /// <exception cref="EvaluationInputException">A metric's needs are missing or the inputs are bad.</exception>
    public static void Evaluate(EvaluationReport report, string method, MetricContext context, IEnumerable<MetricDescriptor> metrics, Func<string, IProgress<EvaluationProgress>?>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(metrics);
        foreach (var metric in metrics)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var sink = progress?.Invoke(metric.Name);
            var run = sink is null ? context : WithProgress(context, sink);
            MetricValues values;
            try
            {
                values = metric.Compute(run);
            }
            finally
            {
                run.Dispose();
            }

            if (values.Curves is { } curves)
            {
                report.AttachCurves(method, curves);
            }

            report.Add(method, metric.Name, values.PerSample, metric.Direction(context.Convention));
            sink?.Report(new EvaluationProgress(metric.Name, 1, 1));
        }
    }

    private static MetricContext WithProgress(MetricContext c, IProgress<EvaluationProgress> sink) => new()
    {
        Model = c.Model, Scorer = c.Scorer, Inputs = c.Inputs, Explanations = c.Explanations, Targets = c.Targets, Explain = c.Explain,
        Masks = c.Masks, Convention = c.Convention, Seed = c.Seed, CurveSteps = c.CurveSteps, Ranking = c.Ranking, Options = c.Options, Progress = sink,
        CancellationToken = c.CancellationToken,
    };
}
