using System.Globalization;
using Microsoft.Data.Analysis;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Collects per-sample metric values of explanation methods and summarises them as a
/// <see cref="DataFrame"/> of methods × metrics: one row per (method, metric) with the mean, the sample standard
/// deviation, the 95 % t-interval of the mean and n (see <see cref="SummaryStatistics.Of"/>). Curves (deletion,
/// insertion, …) can be attached for plotting. Rows keep the order in which they were first added.
/// </summary>
public sealed class EvaluationReport
{
    /// <summary>Column names of <see cref="ToDataFrame"/>, in order.</summary>
    public static readonly IReadOnlyList<string> Columns = ["Method", "Metric", "Mean", "Std", "CI95Low", "CI95High", "N"];

    private readonly List<(string Method, string Metric)> _order = [];
    private readonly Dictionary<(string, string), List<double>> _values = [];
    private readonly Dictionary<string, bool> _higherIsBetter = new(StringComparer.Ordinal);
    private readonly List<(string Method, PerturbationCurves Curves)> _curves = [];

    /// <summary>The methods, in order of first appearance.</summary>
    public IReadOnlyList<string> Methods => _order.Select(o => o.Method).Distinct().ToArray();

    /// <summary>The metrics, in order of first appearance.</summary>
    public IReadOnlyList<string> Metrics => _order.Select(o => o.Metric).Distinct().ToArray();

    /// <summary>Attached curves by method.</summary>
    public IReadOnlyList<(string Method, PerturbationCurves Curves)> Curves => _curves;

    /// <summary>Adds per-sample values of one metric for one method (appended when the pair exists).</summary>
    /// <param name="method">The explanation method, e.g. "Grad-CAM".</param>
    /// <param name="metric">The metric, e.g. "deletion AUC".</param>
    /// <param name="values">One value per sample; non-finite values are kept but left out of the statistics.</param>
    /// <param name="higherIsBetter">Direction of the metric, shown as ↑/↓ in Markdown; null: unknown.</param>
    /// <exception cref="EvaluationInputException">No value was given.</exception>
    public EvaluationReport Add(string method, string metric, IEnumerable<double> values, bool? higherIsBetter = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(metric);
        ArgumentNullException.ThrowIfNull(values);
        var list = values.ToList();
        if (list.Count == 0)
        {
            throw new EvaluationInputException($"No value was given for metric '{metric}' of method '{method}' (empty input set).");
        }

        if (!_values.TryGetValue((method, metric), out var existing))
        {
            existing = [];
            _values[(method, metric)] = existing;
            _order.Add((method, metric));
        }

        existing.AddRange(list);
        if (higherIsBetter is { } direction)
        {
            _higherIsBetter[metric] = direction;
        }

        return this;
    }

    /// <summary>Attaches curves of a method (for plots) and adds their AUC as metric "{name} AUC".</summary>
    public EvaluationReport AddCurves(string method, PerturbationCurves curves, bool? higherIsBetter = null)
    {
        ArgumentNullException.ThrowIfNull(curves);
        _curves.Add((method, curves));
        return Add(method, curves.Name + " AUC", curves.Auc, higherIsBetter ?? (curves.Name is "deletion" ? false : curves.Name is "insertion" ? true : null));
    }

    /// <summary>Attaches curves of a method for plots, without adding a metric (the registry adds the metric's own values).</summary>
    public EvaluationReport AttachCurves(string method, PerturbationCurves curves)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(curves);
        _curves.Add((method, curves));
        return this;
    }

    /// <summary>Whether higher values of <paramref name="metric"/> are better, when known.</summary>
    public bool? HigherIsBetter(string metric) => _higherIsBetter.TryGetValue(metric, out var v) ? v : null;

    /// <summary>The raw per-sample values of one (method, metric) pair.</summary>
    /// <exception cref="KeyNotFoundException">The pair was never added.</exception>
    public IReadOnlyList<double> Values(string method, string metric) => _values[(method, metric)];

    /// <summary>Whether values were added for the (method, metric) pair.</summary>
    public bool Contains(string method, string metric) => _values.ContainsKey((method, metric));

    /// <summary>The summary statistics of one (method, metric) pair.</summary>
    public SummaryStatistics Summary(string method, string metric) => SummaryStatistics.Of(_values[(method, metric)]);

    /// <summary>The summary as a DataFrame with <see cref="Columns"/>: Method, Metric (strings), Mean, Std, CI95Low, CI95High (double), N (int).</summary>
    /// <exception cref="EvaluationInputException">Nothing was added.</exception>
    public DataFrame ToDataFrame()
    {
        if (_order.Count == 0)
        {
            throw new EvaluationInputException("The report is empty: add metric values before summarising.");
        }

        var stats = _order.Select(o => SummaryStatistics.Of(_values[o])).ToArray();
        return new DataFrame(
            new StringDataFrameColumn(Columns[0], _order.Select(o => o.Method)),
            new StringDataFrameColumn(Columns[1], _order.Select(o => o.Metric)),
            new DoubleDataFrameColumn(Columns[2], stats.Select(s => s.Mean)),
            new DoubleDataFrameColumn(Columns[3], stats.Select(s => s.StandardDeviation)),
            new DoubleDataFrameColumn(Columns[4], stats.Select(s => s.ConfidenceLow)),
            new DoubleDataFrameColumn(Columns[5], stats.Select(s => s.ConfidenceHigh)),
            new Int32DataFrameColumn(Columns[6], stats.Select(s => s.Count)));
    }

    /// <summary>Formats a number for reports: invariant culture, 4 significant digits ("NaN" for NaN).</summary>
    public static string Format(double value) => double.IsNaN(value) ? "NaN" : value.ToString("G4", CultureInfo.InvariantCulture);
}
