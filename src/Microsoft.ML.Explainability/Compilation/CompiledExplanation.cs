using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;

namespace Microsoft.ML.Explainability.Compilation;

/// <summary>A compiled explanation: a standalone ONNX model and what it computes.</summary>
/// <remarks>
/// Run it with float32 convolutions: on a GPU, turn TF32 off (ONNX Runtime's CUDA option <c>use_tf32</c> = 0, as the
/// library's own sessions do). The backward pass builds ReLU and Clip masks as exact steps from a 1×1 convolution,
/// and TF32's 10-bit rounding of the convolution's input would misplace the step next to a Clip bound.
/// </remarks>
/// <param name="Model">
/// The model: the original inputs and outputs, plus the int64 input <see cref="ExplanationCompiler.TargetsInput"/>
/// (optional unless <see cref="CompileOptions.RequiredTargets"/>), the float output
/// <see cref="ExplanationCompiler.ExplanationOutput"/> and the int64 [N] output <see cref="ExplanationCompiler.ClassOutput"/>.
/// </param>
/// <param name="Method">The registry entry compiled.</param>
/// <param name="Input">The model's image input.</param>
/// <param name="ExplanationShape">The explanation output's layout, e.g. "[N, 28, 28]" (N: the batch).</param>
/// <param name="Detail">Target layer, composite, steps or samples.</param>
public sealed record CompiledExplanation(OnnxModel Model, ExplanationMethod Method, string Input, string ExplanationShape, string Detail);
