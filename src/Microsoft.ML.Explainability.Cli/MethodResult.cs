using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>The values a method computed for a batch.</summary>
/// <param name="Values">N×H×W maps (or N×h×w layer maps with --raw) or N×C×H×W attributions.</param>
/// <param name="Targets">The class explained per row, when the method reports it.</param>
/// <param name="Detail">What was used (target layer, composite…), for the console.</param>
/// <param name="Scores">The model's output at each row's explained class, when the method reports it (checked finite).</param>
internal sealed record MethodResult(FloatTensor Values, long[]? Targets, string? Detail, IReadOnlyList<float>? Scores = null);
