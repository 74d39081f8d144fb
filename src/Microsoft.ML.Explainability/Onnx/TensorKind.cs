using Microsoft.ML.Explainability.Onnx.Protobuf;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>What a tensor of the graph is: a run-time input, a stored constant, or a node's output.</summary>
public enum TensorKind
{
    /// <summary>A graph input fed at run time.</summary>
    Input,

    /// <summary>An initializer (a stored constant such as a weight).</summary>
    Initializer,

    /// <summary>The output of a node.</summary>
    NodeOutput,
}
