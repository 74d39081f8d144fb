using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Reports;

/// <summary>Writes an ablation study as CSV, Markdown and one self-contained HTML page.</summary>
public static class AblationReport
{
    private static readonly string[] DifferenceColumns = ["Variant", "Factor", "Setting", "Metric", "Mean", "Difference", "DifferenceCI95Low", "DifferenceCI95High", "N"];

    /// <summary>
    /// Writes <c>ablation.csv</c>, <c>ablation.md</c> and <c>ablation.html</c> to <paramref name="folder"/> (created if
    /// needed). The HTML page holds the per-variant summary (<see cref="HtmlReport"/>), the table of differences from the
    /// default, the deletion and insertion curves of every variant, and heatmap overlays of the first
    /// <paramref name="heatmapSamples"/> samples per variant.
    /// </summary>
    /// <param name="result">The study.</param>
    /// <param name="images">The images shown under the heatmaps, [N, C, H, W] (the study's inputs, or a display version of them).</param>
    /// <param name="folder">The output folder.</param>
    /// <param name="title">Title of the Markdown and HTML pages.</param>
    /// <param name="heatmapSamples">Overlays per variant. Default 4.</param>
    /// <param name="captions">Optional caption per sample.</param>
    public static AblationReportFiles Write(AblationResult result, FloatTensor images, string folder, string title = "Ablation study", int heatmapSamples = 4, IReadOnlyList<string>? captions = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        var files = new AblationReportFiles(Path.Combine(folder, "ablation.csv"), Path.Combine(folder, "ablation.md"), Path.Combine(folder, "ablation.html"));
        var encoding = new UTF8Encoding(false);
        var frame = result.ToDataFrame();
        File.WriteAllText(files.Csv, ReportWriters.ToCsv(frame), encoding);
        File.WriteAllText(files.Markdown, result.ToMarkdown(title), encoding);
        var html = new HtmlReport(result.Report, title);
        var differences = new DataFrame(
            DifferenceColumns.Select(c => frame[c].Clone()));
        html.AddTable("Difference from the default", differences, $"Default: {result.Default.Setting}. Difference: mean over samples of (variant − default), with its 95 % t-interval." + string.Concat(result.Notes.Select(n => " " + n)));
        if (result.Skipped.Count > 0)
        {
            html.AddTable("Not applicable", new DataFrame(
                new StringDataFrameColumn("Variant", result.Skipped.Select(s => s.Variant)),
                new StringDataFrameColumn("Reason", result.Skipped.Select(s => s.Reason))));
        }

        foreach (var maps in result.Maps)
        {
            html.AddHeatmaps(maps.Variant.Name, images, AblationStudy.SpreadOverChannels(maps.Maps, images), heatmapSamples, HeatmapColormap.Jet, captions);
        }

        html.Save(files.Html);
        return files;
    }
}
