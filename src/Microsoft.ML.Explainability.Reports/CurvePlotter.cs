using Microsoft.ML.Explainability.Evaluation;
using ScottPlot;

namespace Microsoft.ML.Explainability.Reports;

/// <summary>Plots perturbation curves (mean over samples, one line per method) with ScottPlot 5 and encodes them as PNG.</summary>
public static class CurvePlotter
{
    /// <summary>A line plot of the mean curves of several methods for one metric (e.g. all "deletion" curves).</summary>
    /// <param name="title">The plot title.</param>
    /// <param name="curves">(method, curves) pairs; each curve set's <see cref="PerturbationCurves.MeanCurve"/> is drawn against its fractions.</param>
    /// <param name="width">Width in pixels. Default 640.</param>
    /// <param name="height">Height in pixels. Default 400.</param>
    /// <param name="yLabel">Label of the y axis. Default "target score".</param>
    public static byte[] Png(string title, IReadOnlyList<(string Method, PerturbationCurves Curves)> curves, int width = 640, int height = 400, string yLabel = "target score")
    {
        ArgumentNullException.ThrowIfNull(curves);
        if (curves.Count == 0)
        {
            throw new EvaluationInputException("No curve to plot.");
        }

        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < curves.Count; i++)
        {
            var (method, set) = curves[i];
            var line = plot.Add.ScatterLine(set.Fractions.ToArray(), set.MeanCurve.ToArray(), palette.GetColor(i));
            line.LineWidth = 2;
            line.LegendText = $"{method} (AUC {EvaluationReport.Format(set.Auc.Average())})";
        }

        plot.Title(title);
        plot.XLabel("fraction of features perturbed");
        plot.YLabel(yLabel);
        plot.ShowLegend();
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
