using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;
using Microsoft.ML.Data;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.ML.Data;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.ML;

/// <summary>A saliency column of a scored view and the method that wrote it.</summary>
/// <param name="Method">The method's name (a row label of the report, e.g. "grad-cam").</param>
/// <param name="ColumnName">The saliency column: [H, W] maps (spread evenly over the C channels) or [C, H, W] attributions.</param>
public sealed record ExplanationColumn(string Method, string ColumnName);
