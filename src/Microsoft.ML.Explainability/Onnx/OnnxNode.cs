namespace Microsoft.ML.Explainability.Onnx;

/// <summary>One node of a model's main graph, as read by <see cref="OnnxModel.Nodes"/>.</summary>
/// <param name="Index">The node's position in the graph (topological order, as stored).</param>
/// <param name="Name">The node's name as written by the exporter; empty when it has none.</param>
/// <param name="OpType">The operator type, for example "Conv".</param>
/// <param name="Domain">The operator's domain; empty for the default ONNX domain.</param>
/// <param name="Inputs">The input tensor names, in order; an empty name marks an omitted optional input.</param>
/// <param name="Outputs">The output tensor names, in order.</param>
public sealed record OnnxNode(int Index, string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);
