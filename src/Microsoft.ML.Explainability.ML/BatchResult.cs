using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.ML;

/// <summary>The per-row results of one batched explanation call, rows in input order.</summary>
/// <param name="Maps">Saliency maps, <see cref="MethodRunner.MapLength"/> values per row.</param>
/// <param name="Raw">Raw layer maps (CAM methods, when asked for), <see cref="MethodRunner.RawLength"/> per row.</param>
/// <param name="Classes">The class each row was explained for.</param>
/// <param name="Scores">The explained output's value at that class (when asked for).</param>
internal sealed record BatchResult(float[] Maps, float[]? Raw, long[] Classes, float[]? Scores);
