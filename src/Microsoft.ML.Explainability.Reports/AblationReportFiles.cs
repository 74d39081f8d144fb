using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Reports;

/// <summary>The files of an <see cref="AblationStudy"/>'s report.</summary>
/// <param name="Csv">ablation.csv: <see cref="AblationResult.ToDataFrame"/> as CSV (<see cref="ReportWriters.ToCsv"/>).</param>
/// <param name="Markdown">ablation.md: <see cref="AblationResult.ToMarkdown"/>.</param>
/// <param name="Html">ablation.html: the summary, the differences, the curves and the maps of every variant.</param>
public sealed record AblationReportFiles(string Csv, string Markdown, string Html);
