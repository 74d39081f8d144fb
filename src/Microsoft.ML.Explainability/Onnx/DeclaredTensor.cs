using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>
/// A graph input or output as the model file declares it, before any run: name, element type and shape. Measured
/// shapes (batch-dependent dimensions, intermediate tensors) come from <see cref="ShapeProbe"/> instead.
/// </summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="ElementType">The declared element type; <see cref="TensorElementType.DataTypeMax"/> when the file declares none.</param>
/// <param name="Shape">The declared dimensions; −1 for a symbolic or unknown dimension. Empty when the file declares no shape.</param>
public sealed record DeclaredTensor(string Name, TensorElementType ElementType, IReadOnlyList<long> Shape);
