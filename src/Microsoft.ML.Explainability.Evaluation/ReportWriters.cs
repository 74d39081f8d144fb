using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Writes <see cref="EvaluationReport"/> summaries as CSV and Markdown.</summary>
public static class ReportWriters
{
    /// <summary>
    /// Writes the summary DataFrame as CSV with <c>DataFrame.SaveCsv</c> (comma-separated, header row, invariant
    /// culture, UTF-8 without BOM, "NaN" for undefined statistics). It reads back with <c>DataFrame.LoadCsv</c>.
    /// </summary>
    public static void WriteCsv(EvaluationReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(path);
        DataFrame.SaveCsv(report.ToDataFrame(), path, ',', header: true, new UTF8Encoding(false), CultureInfo.InvariantCulture);
    }

    /// <summary>Any DataFrame as CSV text, as <c>DataFrame.SaveCsv</c> writes it (invariant culture).</summary>
    public static string ToCsv(DataFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        using var stream = new MemoryStream();
        DataFrame.SaveCsv(frame, stream, ',', header: true, new UTF8Encoding(false), CultureInfo.InvariantCulture);
        return new UTF8Encoding(false).GetString(stream.ToArray());
    }

    /// <summary>
    /// Writes a Markdown page: a wide table of methods (rows) × metrics (columns) with "mean ± half-width of the 95 %
    /// interval", the metric's direction (↑ higher is better, ↓ lower is better) in the header, and n; then the long
    /// table of every statistic.
    /// </summary>
    public static void WriteMarkdown(EvaluationReport report, string path, string title = "Explanation evaluation")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, ToMarkdown(report, title), new UTF8Encoding(false));
    }

    /// <summary>The Markdown page of <see cref="WriteMarkdown"/> as text.</summary>
    public static string ToMarkdown(EvaluationReport report, string title = "Explanation evaluation")
    {
        ArgumentNullException.ThrowIfNull(report);
        var frame = report.ToDataFrame();
        var text = new StringBuilder();
        text.Append("# ").Append(Escape(title)).Append("\n\n");
        text.Append("Mean ± half-width of the 95 % t-interval over samples (n in brackets).\n\n");
        var metrics = report.Metrics;
        text.Append("| Method | ").AppendJoin(" | ", metrics.Select(m => Escape(m) + Arrow(report.HigherIsBetter(m)))).Append(" |\n");
        text.Append("|---|").Append(string.Concat(metrics.Select(_ => "---|"))).Append('\n');
        foreach (var method in report.Methods)
        {
            text.Append("| ").Append(Escape(method)).Append(" | ");
            text.AppendJoin(" | ", metrics.Select(m =>
            {
                if (!report.Contains(method, m))
                {
                    return "–";
                }

                var s = report.Summary(method, m);
                var half = double.IsNaN(s.ConfidenceHigh) ? double.NaN : (s.ConfidenceHigh - s.ConfidenceLow) / 2;
                return string.Create(CultureInfo.InvariantCulture, $"{EvaluationReport.Format(s.Mean)} ± {EvaluationReport.Format(half)} ({s.Count})");
            }));
            text.Append(" |\n");
        }

        text.Append("\n## All statistics\n\n").Append(ToMarkdownTable(frame));
        return text.ToString();
    }

    /// <summary>
    /// Any DataFrame as a Markdown table: a header row of the column names, then one row per DataFrame row; doubles
    /// with 4 significant digits (<see cref="EvaluationReport.Format"/>), other values as invariant text, "|" escaped.
    /// </summary>
    public static string ToMarkdownTable(DataFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", frame.Columns.Select(c => Escape(c.Name))).Append(" |\n");
        text.Append('|').Append(string.Concat(frame.Columns.Select(_ => "---|"))).Append('\n');
        for (long r = 0; r < frame.Rows.Count; r++)
        {
            text.Append("| ").AppendJoin(" | ", frame.Columns.Select(c => c[r] is double d ? EvaluationReport.Format(d) : Escape(Cell(c[r])))).Append(" |\n");
        }

        return text.ToString();
    }

    internal static string Arrow(bool? higherIsBetter) => higherIsBetter switch { true => " ↑", false => " ↓", null => "" };

    internal static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Cell(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
