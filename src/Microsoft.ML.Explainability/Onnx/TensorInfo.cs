using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>Element type, shape, producer and consumers of one tensor, as measured by <see cref="ShapeProbe"/>.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Kind">Input, initializer or node output.</param>
/// <param name="ElementType">The element type.</param>
/// <param name="Shape">The shape; <c>-1</c> marks a dimension that changes with the batch size.</param>
/// <param name="ProducerNodeIndex">Index of the producing node, or null for inputs and initializers.</param>
/// <param name="Producer">"OpType 'node name'" of the producing node, or null.</param>
/// <param name="Consumers">The nodes that read the tensor.</param>
public sealed record TensorInfo(
    string Name,
    TensorKind Kind,
    TensorElementType ElementType,
    IReadOnlyList<long> Shape,
    int? ProducerNodeIndex,
    string? Producer,
    IReadOnlyList<TensorConsumer> Consumers)
{
    /// <summary>Whether the element type is a floating-point type (only those can be differentiated).</summary>
    public bool IsFloatingPoint => ElementType is TensorElementType.Float or TensorElementType.Double or TensorElementType.Float16 or TensorElementType.BFloat16;

    /// <summary>
    /// k when the first dimension is k·N for a batch of N rows (measured as 2k and 3k at the probe's batch sizes 2 and 3):
    /// a tensor holding k slices per input row, such as Swin's windows ([N·windows, tokens, C]) or PyTorch
    /// <c>MultiheadAttention</c>'s heads ([N·heads, T, T]). 1 for a plain batch dimension and for batch-independent tensors.
    /// </summary>
    public long BatchMultiple { get; init; } = 1;

    /// <summary>The rank.</summary>
    public int Rank => Shape.Count;

    /// <summary>Whether dimension <paramref name="axis"/> changes with the batch size.</summary>
    public bool IsBatchDependent(int axis) => Shape[axis] < 0;

    /// <summary>The shape as text, with "N" for batch-dependent dimensions.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
