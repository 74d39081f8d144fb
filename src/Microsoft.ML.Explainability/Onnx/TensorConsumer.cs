using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>A node that reads a tensor, and at which input position.</summary>
/// <param name="NodeIndex">Position of the node in the graph's node list (topological order once the model is prepared).</param>
/// <param name="NodeName">The node's name (or a generated "#index" when the exporter left it empty).</param>
/// <param name="OpType">The node's operator type.</param>
/// <param name="InputIndex">Which of the node's inputs the tensor is, or <see cref="GraphIndex.CapturedInput"/> when a
/// subgraph of the node (an <c>If</c> branch, a <c>Loop</c> or <c>Scan</c> body) reads it from the outer scope.</param>
public readonly record struct TensorConsumer(int NodeIndex, string NodeName, string OpType, int InputIndex);
