using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>The values a method computed for a batch.</summary>
/// <param name="Values">N×H×W maps (or N×h×w raw maps) or N×C×H×W attributions.</param>
/// <param name="Targets">The class explained per row, when the method reports it.</param>
/// <param name="Detail">What was used (target layer, composite…), for the console.</param>
/// <param name="Scores">The model's output at each row's explained class, when the method reports it (checked finite).</param>
internal sealed record MethodResult(FloatTensor Values, long[]? Targets, string? Detail, IReadOnlyList<float>? Scores = null);
