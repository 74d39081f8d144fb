using System.Net;
using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Reports;

/// <summary>
/// One self-contained HTML page for an evaluation: the summary table of an <see cref="EvaluationReport"/> (methods ×
/// metrics with mean, standard deviation, 95 % interval and n), one inline SVG line chart (<see cref="CurvePlotter"/>) per kind of
/// curve attached to the report (deletion, insertion, MoRF, …; mean curve per method), and grids of heatmap overlays per
/// method. Every heatmap is a PNG embedded as a base64 <c>data:</c> URI, so the file needs nothing else. The markup is well-formed
/// XML (XHTML syntax of HTML5), so it can be checked with an XML parser.
/// </summary>
public sealed class HtmlReport
{
    private readonly List<(string Method, List<(string Caption, byte[] Png)> Images)> _heatmaps = [];
    private readonly List<(string Title, string Svg)> _plots = [];
    private readonly List<(string Title, string? Note, DataFrame Frame)> _tables = [];

    /// <summary>Creates a page for <paramref name="report"/>.</summary>
    public HtmlReport(EvaluationReport report, string title = "Explanation evaluation")
    {
        ArgumentNullException.ThrowIfNull(report);
        Report = report;
        Title = title;
    }

    /// <summary>The summarised report.</summary>
    public EvaluationReport Report { get; }

    /// <summary>The page title.</summary>
    public string Title { get; }

    /// <summary>Adds heatmap overlays of the first <paramref name="maxSamples"/> samples for one method.</summary>
    /// <param name="method">The method's name (a section of the page).</param>
    /// <param name="inputs">The images, [N, C, H, W] or [N, H, W].</param>
    /// <param name="explanations">The method's explanations, the inputs' shape.</param>
    /// <param name="maxSamples">How many samples to show. Default 8.</param>
    /// <param name="colormap">The colormap. Default inferno.</param>
    /// <param name="captions">Optional caption per sample (e.g. the class name).</param>
    public HtmlReport AddHeatmaps(string method, FloatTensor inputs, FloatTensor explanations, int maxSamples = 8, HeatmapColormap colormap = HeatmapColormap.Inferno, IReadOnlyList<string>? captions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(inputs);
        int count = Math.Min(maxSamples, inputs.BatchSize);
        var images = Enumerable.Range(0, count)
            .Select(i => (captions is not null && i < captions.Count ? captions[i] : $"sample {i}", HeatmapRenderer.OverlayPng(inputs, explanations, i, colormap)))
            .ToList();
        _heatmaps.Add((method, images));
        return this;
    }

    /// <summary>Adds a plot of curves that are not attached to the report.</summary>
    public HtmlReport AddCurvePlot(string title, IReadOnlyList<(string Method, PerturbationCurves Curves)> curves)
    {
        ArgumentException.ThrowIfNullOrEmpty(title);
        _plots.Add((title, CurvePlotter.Svg(title, curves)));
        return this;
    }

    /// <summary>Adds a table (any DataFrame, e.g. an ablation study's differences) shown after the summary.</summary>
    /// <param name="title">The section heading.</param>
    /// <param name="frame">The table; doubles are shown with 4 significant digits.</param>
    /// <param name="note">An optional paragraph under the heading.</param>
    public HtmlReport AddTable(string title, DataFrame frame, string? note = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(title);
        ArgumentNullException.ThrowIfNull(frame);
        _tables.Add((title, note, frame));
        return this;
    }

    /// <summary>The page as text.</summary>
    public string ToHtml()
    {
        var frame = Report.ToDataFrame();
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n");
        html.Append("<title>").Append(Encode(Title)).Append("</title>\n");
        html.Append("<style>body{font-family:sans-serif;margin:2em;}table{border-collapse:collapse;}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;}")
            .Append("th{background:#f0f0f0;}td.text{text-align:left;}figure{display:inline-block;margin:4px;text-align:center;}figcaption{font-size:small;}</style>\n");
        html.Append("</head>\n<body>\n<h1>").Append(Encode(Title)).Append("</h1>\n");
        html.Append("<h2>Summary</h2>\n<p>Mean, sample standard deviation and 95 % t-interval of the mean over samples.</p>\n");
        Table(html, frame, "summary");
        for (int t = 0; t < _tables.Count; t++)
        {
            var (title, note, extra) = _tables[t];
            html.Append("<h2>").Append(Encode(title)).Append("</h2>\n");
            if (note is not null)
            {
                html.Append("<p>").Append(Encode(note)).Append("</p>\n");
            }

            Table(html, extra, $"table-{t + 1}");
        }

        var plots = Report.Curves
            .GroupBy(c => c.Curves.Name, StringComparer.Ordinal)
            .Select(g => (Title: g.Key + " curves", Svg: CurvePlotter.Svg(g.Key + " curves", g.ToArray())))
            .Concat(_plots)
            .ToArray();
        if (plots.Length > 0)
        {
            html.Append("<h2>Curves</h2>\n");
            foreach (var (title, svg) in plots)
            {
                html.Append("<figure class=\"plot\">").Append(svg).Append("<figcaption>").Append(Encode(title)).Append("</figcaption></figure>\n");
            }
        }

        foreach (var (method, images) in _heatmaps)
        {
            html.Append("<h2>").Append(Encode(method)).Append("</h2>\n<div class=\"heatmaps\">\n");
            foreach (var (caption, png) in images)
            {
                Image(html, png, $"{method}: {caption}", caption);
            }

            html.Append("</div>\n");
        }

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Writes the page (UTF-8, no BOM).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, ToHtml(), new UTF8Encoding(false));
    }

    private static void Table(StringBuilder html, DataFrame frame, string id)
    {
        html.Append("<table id=\"").Append(id).Append("\">\n<thead><tr>");
        foreach (var column in frame.Columns)
        {
            html.Append("<th>").Append(Encode(column.Name)).Append("</th>");
        }

        html.Append("</tr></thead>\n<tbody>\n");
        for (long r = 0; r < frame.Rows.Count; r++)
        {
            html.Append("<tr>");
            foreach (var column in frame.Columns)
            {
                var value = column[r];
                html.Append(value is string s ? "<td class=\"text\">" + Encode(s) : "<td>" + Encode(value is double d ? EvaluationReport.Format(d) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""))
                    .Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    private static void Image(StringBuilder html, byte[] png, string alt, string caption) =>
        html.Append("<figure><img src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\" alt=\"").Append(Encode(alt))
            .Append("\" /><figcaption>").Append(Encode(caption)).Append("</figcaption></figure>\n");

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
