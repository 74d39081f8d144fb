using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Onnx;

/// <summary>The measured <see cref="TensorInfo"/> of every tensor of a model.</summary>
public sealed class ModelShapes
{
    private readonly Dictionary<string, TensorInfo> _tensors;

    internal ModelShapes(Dictionary<string, TensorInfo> tensors) => _tensors = tensors;

    /// <summary>The model the shapes were measured on (its graph gives the evidence that reading a tensor's layout needs).</summary>
    internal OnnxModel? Model { get; init; }

    /// <summary>All tensors, inputs first, then initializers, then node outputs in graph order.</summary>
    public IReadOnlyCollection<TensorInfo> Tensors => _tensors.Values;

    /// <summary>The information of one tensor.</summary>
    /// <exception cref="UnknownTensorException">The model has no such tensor.</exception>
    public TensorInfo this[string name] => _tensors.TryGetValue(name, out var info)
        ? info
        : throw new UnknownTensorException(name, $"The model has no tensor named '{name}' (or it lies inside a subgraph).");

    /// <summary>Whether the probe saw a tensor of that name.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);
}
