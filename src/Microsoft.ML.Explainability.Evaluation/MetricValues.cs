using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>The per-sample values of one metric (NaN where undefined), and the curves behind them when there are any.</summary>
/// <param name="PerSample">One value per sample.</param>
/// <param name="Curves">The perturbation curves, for plots; null when the metric has none.</param>
public sealed record MetricValues(IReadOnlyList<double> PerSample, PerturbationCurves? Curves = null);
