using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

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
