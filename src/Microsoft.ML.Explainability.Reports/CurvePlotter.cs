using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.ML.Explainability.Evaluation;

namespace Microsoft.ML.Explainability.Reports;

/// <summary>
/// Plots perturbation curves (mean over samples, one line per method) as an SVG line chart. Two axes, ticks, a
/// polyline per method and a legend are all a perturbation curve needs; drawing them as SVG keeps the report free of a
/// plotting library (ScottPlot 5.1 brings SkiaSharp 3, which breaks ML.NET 5's image transforms in the same process)
/// and keeps the curves sharp at any zoom.
/// </summary>
public static class CurvePlotter
{
    // matplotlib's "tab10" qualitative palette.
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>A line chart of the mean curves of several methods for one metric (e.g. all "deletion" curves), as an SVG element.</summary>
    /// <param name="title">The plot title.</param>
    /// <param name="curves">(method, curves) pairs; each curve set's <see cref="PerturbationCurves.MeanCurve"/> is drawn against its fractions.</param>
    /// <param name="width">Width in CSS pixels. Default 640.</param>
    /// <param name="height">Height in CSS pixels. Default 400.</param>
    /// <param name="yLabel">Label of the y axis. Default "target score".</param>
    /// <returns>One <c>&lt;svg&gt;</c> element (well-formed XML in the SVG namespace), for inline use in HTML or as an .svg file.</returns>
    public static string Svg(string title, IReadOnlyList<(string Method, PerturbationCurves Curves)> curves, int width = 640, int height = 400, string yLabel = "target score")
    {
        ArgumentNullException.ThrowIfNull(curves);
        if (curves.Count == 0)
        {
            throw new EvaluationInputException("No curve to plot.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 150);
        var finite = curves.SelectMany(c => c.Curves.MeanCurve).Where(double.IsFinite).ToArray();
        double yMin = finite.Length > 0 ? finite.Min() : 0, yMax = finite.Length > 0 ? finite.Max() : 1;
        if (yMax - yMin < 1e-12)
        {
            (yMin, yMax) = (yMin - 0.5, yMax + 0.5);
        }

        double pad = (yMax - yMin) * 0.05;
        (yMin, yMax) = (yMin - pad, yMax + pad);
        const double Left = 70, Right = 20, Top = 40, Bottom = 50;
        double plotWidth = width - Left - Right, plotHeight = height - Top - Bottom;
        double X(double x) => Left + (Math.Clamp(x, 0, 1) * plotWidth);
        double Y(double y) => Top + ((yMax - y) / (yMax - yMin) * plotHeight);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\n");
        svg.Append("<title>").Append(Encode(title)).Append("</title>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"white\" />\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2.0:0.#}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">").Append(Encode(title)).Append("</text>\n");

        // Grid and ticks: five on each axis.
        for (int k = 0; k <= 4; k++)
        {
            double fx = k / 4.0, fy = yMin + ((yMax - yMin) * k / 4.0);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(fx):0.##}\" y1=\"{Top:0.##}\" x2=\"{X(fx):0.##}\" y2=\"{Top + plotHeight:0.##}\" stroke=\"#e5e5e5\" />\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(fx):0.##}\" y=\"{Top + plotHeight + 16:0.##}\" text-anchor=\"middle\">{fx:0.##}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left:0.##}\" y1=\"{Y(fy):0.##}\" x2=\"{Left + plotWidth:0.##}\" y2=\"{Y(fy):0.##}\" stroke=\"#e5e5e5\" />\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6:0.##}\" y=\"{Y(fy) + 4:0.##}\" text-anchor=\"end\">").Append(Encode(EvaluationReport.Format(fy))).Append("</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left:0.##}\" y=\"{Top:0.##}\" width=\"{plotWidth:0.##}\" height=\"{plotHeight:0.##}\" fill=\"none\" stroke=\"#333\" />\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotWidth / 2):0.##}\" y=\"{height - 12:0.##}\" text-anchor=\"middle\">fraction of features perturbed</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{Top + (plotHeight / 2):0.##}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {Top + (plotHeight / 2):0.##})\">").Append(Encode(yLabel)).Append("</text>\n");

        for (int i = 0; i < curves.Count; i++)
        {
            var (method, set) = curves[i];
            string colour = Palette[i % Palette.Length];
            var points = set.Fractions.Zip(set.MeanCurve)
                .Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second))
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.First):0.##},{Y(p.Second):0.##}"));
            svg.Append("<polyline class=\"curve\" fill=\"none\" stroke=\"").Append(colour).Append("\" stroke-width=\"2\" points=\"")
                .AppendJoin(' ', points).Append("\"><title>").Append(Encode(method)).Append("</title></polyline>\n");
            double legendY = Top + 14 + (i * 16);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left + plotWidth - 190:0.##}\" y1=\"{legendY - 4:0.##}\" x2=\"{Left + plotWidth - 170:0.##}\" y2=\"{legendY - 4:0.##}\" stroke=\"{colour}\" stroke-width=\"2\" />\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + plotWidth - 165:0.##}\" y=\"{legendY:0.##}\">")
                .Append(Encode($"{method} (AUC {EvaluationReport.Format(set.Auc.Average())})")).Append("</text>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
