using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>What a metric needs besides the inputs and explanations.</summary>
[Flags]
public enum MetricNeeds
{
    /// <summary>Nothing else: it reads the explanations only.</summary>
    None = 0,

    /// <summary>Forward passes of the model (<see cref="MetricContext.Scorer"/>).</summary>
    ModelPasses = 1,

    /// <summary>Gradients of the model directly (no built-in metric needs them: methods that need gradients get them through <see cref="ExplainerReruns"/>).</summary>
    Gradients = 2,

    /// <summary>Re-running the explanation method on new inputs or models (<see cref="MetricContext.Explain"/>).</summary>
    ExplainerReruns = 4,

    /// <summary>Ground-truth object masks (<see cref="MetricContext.Masks"/>).</summary>
    Masks = 8,

    /// <summary>At least two samples: the samples' explanations are compared with each other.</summary>
    SeveralSamples = 16,

    /// <summary>Mosaics built from the batch (<see cref="Mosaics.FromBatch"/>), explained through <see cref="MetricContext.Explain"/>.</summary>
    Mosaics = 32,
}

/// <summary>An explanation method as a callback: explanations of <paramref name="inputs"/> by <paramref name="model"/> for one class per row, in the inputs' shape.</summary>
/// <param name="model">The model to explain (the original one, or a randomised or input-shifted copy).</param>
/// <param name="inputs">The batch, [M, …].</param>
/// <param name="targets">The class explained for each row.</param>
public delegate FloatTensor ExplainFunction(OnnxModel model, FloatTensor inputs, long[] targets);
