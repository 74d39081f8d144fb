using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.ML.Data;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.ML;

/// <summary>The comparison of several methods' saliency columns over one scored view.</summary>
public sealed class ExplanationEvaluationResult
{
    internal ExplanationEvaluationResult(DataFrame perSample, EvaluationReport report)
    {
        PerSample = perSample;
        Report = report;
        Summary = report.ToDataFrame();
    }

    /// <summary>One row per input row × method: <c>Row</c> (the row's position in the view), <c>Method</c>, <c>Target</c> (the class scored), then one column per metric.</summary>
    public DataFrame PerSample { get; }

    /// <summary>Methods × metrics: mean, sample standard deviation, 95 % t-interval and n (<see cref="EvaluationReport.ToDataFrame"/>).</summary>
    public DataFrame Summary { get; }

    /// <summary>The report behind <see cref="Summary"/>, with the deletion and insertion curves (for <c>HtmlReport</c>).</summary>
    public EvaluationReport Report { get; }

    /// <summary>Writes <c>per-sample.csv</c> and <c>summary.csv</c> into <paramref name="folder"/> with <c>DataFrame.SaveCsv</c> (invariant culture, UTF-8 without BOM).</summary>
    /// <returns>The two paths.</returns>
    public (string PerSample, string Summary) SaveCsv(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        var files = (Path.Combine(folder, "per-sample.csv"), Path.Combine(folder, "summary.csv"));
        DataFrame.SaveCsv(PerSample, files.Item1, encoding: new UTF8Encoding(false), cultureInfo: CultureInfo.InvariantCulture);
        DataFrame.SaveCsv(Summary, files.Item2, encoding: new UTF8Encoding(false), cultureInfo: CultureInfo.InvariantCulture);
        return files;
    }
}
