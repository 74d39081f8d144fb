using Microsoft.ML.Explainability.Explainers;
using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// The outcome of an <see cref="AblationStudy"/>: every variant's maps, its metrics (an <see cref="EvaluationReport"/>
/// whose methods are the variant names, so the existing CSV, Markdown and HTML writers apply), and the paired
/// per-sample differences from the default variant.
/// </summary>
public sealed class AblationResult
{
    /// <summary>Column names of <see cref="ToDataFrame"/>, in order.</summary>
    public static readonly IReadOnlyList<string> Columns =
        ["Variant", "Factor", "Setting", "Layer", "Metric", "Mean", "Std", "CI95Low", "CI95High", "N", "Difference", "DifferenceCI95Low", "DifferenceCI95High"];

    internal AblationResult(ExplanationMethod method, IReadOnlyList<AblationVariantMaps> maps, IReadOnlyList<(string Variant, string Reason)> skipped, IReadOnlyList<string> notes, long[] targets, EvaluationReport report)
    {
        Notes = notes;
        Method = method;
        Maps = maps;
        Skipped = skipped;
        Targets = targets;
        Report = report;
    }

    /// <summary>The CAM method ablated.</summary>
    public ExplanationMethod Method { get; }

    /// <summary>The variants in the order they ran, default first.</summary>
    public IReadOnlyList<AblationVariant> Variants => Maps.Select(m => m.Variant).ToArray();

    /// <summary>The default (reference) variant.</summary>
    public AblationVariant Default => Maps[0].Variant;

    /// <summary>Each variant's maps, in the order of <see cref="Variants"/>.</summary>
    public IReadOnlyList<AblationVariantMaps> Maps { get; }

    /// <summary>Variants that do not apply to the method, with the reason.</summary>
    public IReadOnlyList<(string Variant, string Reason)> Skipped { get; }

    /// <summary>Observations made during the run, e.g. a variant that cannot differ from the default on this model and why.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The class explained in each row (predicted classes resolved), shared by all variants.</summary>
#pragma warning disable CA1819 // Plain per-row arrays are the natural result type here.
    public long[] Targets { get; }
#pragma warning restore CA1819

    /// <summary>Per-sample metric values with the variant names as methods (and the deletion/insertion curves attached).</summary>
    public EvaluationReport Report { get; }

    /// <summary>The maps of the variant named <paramref name="variant"/>.</summary>
    /// <exception cref="KeyNotFoundException">No variant has that name.</exception>
    public AblationVariantMaps MapsOf(string variant) =>
        Maps.FirstOrDefault(m => m.Variant.Name == variant) ?? throw new KeyNotFoundException($"No ablation variant is named '{variant}'.");

    /// <summary>Per sample, the variant's value of <paramref name="metric"/> minus the default variant's (0 for the default itself).</summary>
    /// <exception cref="KeyNotFoundException">The variant or metric is unknown.</exception>
    public IReadOnlyList<double> Differences(string variant, string metric)
    {
        var values = Report.Values(variant, metric);
        var reference = Report.Values(Default.Name, metric);
        return values.Select((v, i) => v - reference[i]).ToArray();
    }

    /// <summary>
    /// The study as a DataFrame with <see cref="Columns"/>: one row per (variant, metric) with the variant's factor,
    /// setting and layer, the summary of its values (mean, sample standard deviation, 95 % t-interval, n — as
    /// <see cref="EvaluationReport.ToDataFrame"/>) and the paired difference from the default variant: the mean of the
    /// per-sample differences and its 95 % t-interval (exactly 0 for the default).
    /// </summary>
    public DataFrame ToDataFrame()
    {
        var rows = (from m in Maps from metric in Report.Metrics where Report.Contains(m.Variant.Name, metric) select (m.Variant, Metric: metric)).ToArray();
        var stats = rows.Select(r => Report.Summary(r.Variant.Name, r.Metric)).ToArray();
        var diffs = rows.Select(r => SummaryStatistics.Of(Differences(r.Variant.Name, r.Metric))).ToArray();
        return new DataFrame(
            new StringDataFrameColumn(Columns[0], rows.Select(r => r.Variant.Name)),
            new StringDataFrameColumn(Columns[1], rows.Select(r => r.Variant.Factor.ToString())),
            new StringDataFrameColumn(Columns[2], rows.Select(r => r.Variant.Setting)),
            new StringDataFrameColumn(Columns[3], rows.Select(r => r.Variant.Layer)),
            new StringDataFrameColumn(Columns[4], rows.Select(r => r.Metric)),
            new DoubleDataFrameColumn(Columns[5], stats.Select(s => s.Mean)),
            new DoubleDataFrameColumn(Columns[6], stats.Select(s => s.StandardDeviation)),
            new DoubleDataFrameColumn(Columns[7], stats.Select(s => s.ConfidenceLow)),
            new DoubleDataFrameColumn(Columns[8], stats.Select(s => s.ConfidenceHigh)),
            new Int32DataFrameColumn(Columns[9], stats.Select(s => s.Count)),
            new DoubleDataFrameColumn(Columns[10], diffs.Select(s => s.Mean)),
            new DoubleDataFrameColumn(Columns[11], diffs.Select(s => s.ConfidenceLow)),
            new DoubleDataFrameColumn(Columns[12], diffs.Select(s => s.ConfidenceHigh)));
    }

    /// <summary>
    /// A Markdown page: the default configuration, a wide table of variants × metrics with "mean (Δ difference from
    /// the default)" and the metric's direction (↑/↓) in the header, the variants left out, and the long table of
    /// <see cref="ToDataFrame"/>.
    /// </summary>
    public string ToMarkdown(string title = "Ablation study")
    {
        var text = new StringBuilder();
        text.Append("# ").Append(ReportWriters.Escape(title)).Append("\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Method {Method}; default: {ReportWriters.Escape(Default.Setting)}; {Targets.Length} samples. ");
        text.Append("Each variant changes one component of the default. Cells: mean over samples (Δ mean paired difference from the default; ");
        text.Append("\\* when its 95 % interval excludes 0).\n\n");
        var metrics = Report.Metrics;
        text.Append("| Variant | Factor | ").AppendJoin(" | ", metrics.Select(m => ReportWriters.Escape(m) + ReportWriters.Arrow(Report.HigherIsBetter(m)))).Append(" |\n");
        text.Append("|---|---|").Append(string.Concat(metrics.Select(_ => "---|"))).Append('\n');
        foreach (var m in Maps)
        {
            var variant = m.Variant;
            text.Append("| ").Append(ReportWriters.Escape(variant.Name)).Append(" | ").Append(variant.Factor).Append(" | ");
            text.AppendJoin(" | ", metrics.Select(metric =>
            {
                if (!Report.Contains(variant.Name, metric))
                {
                    return "–";
                }

                var mean = EvaluationReport.Format(Report.Summary(variant.Name, metric).Mean);
                if (variant.IsDefault)
                {
                    return mean;
                }

                var d = SummaryStatistics.Of(Differences(variant.Name, metric));
                bool significant = !double.IsNaN(d.ConfidenceLow) && (d.ConfidenceLow > 0 || d.ConfidenceHigh < 0);
                return d.Mean == 0 ? $"{mean} (Δ 0)" : string.Create(CultureInfo.InvariantCulture, $"{mean} (Δ {(d.Mean > 0 ? "+" : "")}{EvaluationReport.Format(d.Mean)}{(significant ? "\\*" : "")})");
            }));
            text.Append(" |\n");
        }

        if (Skipped.Count > 0)
        {
            text.Append("\nNot applicable:\n\n");
            foreach (var (variant, reason) in Skipped)
            {
                text.Append("- ").Append(ReportWriters.Escape(variant)).Append(": ").Append(ReportWriters.Escape(reason)).Append('\n');
            }
        }

        if (Notes.Count > 0)
        {
            text.Append("\nNotes:\n\n");
            foreach (var note in Notes)
            {
                text.Append("- ").Append(ReportWriters.Escape(note)).Append('\n');
            }
        }

        text.Append("\n## All statistics\n\n").Append(ReportWriters.ToMarkdownTable(ToDataFrame()));
        return text.ToString();
    }
}
