using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Runtime;

/// <summary>The result of one <see cref="GradientSession.Run(IReadOnlyDictionary{string, FloatTensor}, long[], FloatTensor, CancellationToken)"/>, batch rows in input order.</summary>
public sealed class GradientResult
{
    internal GradientResult(IReadOnlyDictionary<string, FloatTensor> outputs, IReadOnlyDictionary<string, FloatTensor> gradients, long[]? targets, float[]? targetScores, IReadOnlyDictionary<string, FloatTensor>? hessianVectorProducts = null)
    {
        HessianVectorProducts = hessianVectorProducts ?? new Dictionary<string, FloatTensor>(StringComparer.Ordinal);
        Outputs = outputs;
        Gradients = gradients;
        Targets = targets;
        TargetScores = targetScores;
    }

    /// <summary>The model's float outputs and the requested activations, by tensor name.</summary>
    public IReadOnlyDictionary<string, FloatTensor> Outputs { get; }

    /// <summary>Gradients by the name of the tensor they are taken with respect to.</summary>
    public IReadOnlyDictionary<string, FloatTensor> Gradients { get; }

    /// <summary>
    /// Hessian-vector products H·v of the seeded score (<see cref="GradientRequest.HessianVectorProducts"/>), by the name
    /// of the tensor they are taken with respect to; empty when none was requested.
    /// </summary>
    public IReadOnlyDictionary<string, FloatTensor> HessianVectorProducts { get; }

    /// <summary>The class explained in each row (predicted ones resolved), for one-hot seeds; else null.</summary>
#pragma warning disable CA1819 // Plain per-row arrays are the natural result type here.
    public long[]? Targets { get; }

    /// <summary>The seeded output's value for each row's target class, for one-hot seeds; else null.</summary>
    public float[]? TargetScores { get; }
#pragma warning restore CA1819
}
