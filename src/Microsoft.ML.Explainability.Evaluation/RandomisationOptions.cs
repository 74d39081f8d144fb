using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Settings of the model-parameter randomisation test.</summary>
public sealed class RandomisationOptions
{
    /// <summary>Operator types whose float initializers make up a layer. Default Conv, ConvTranspose, Gemm and MatMul.</summary>
    public IReadOnlyCollection<string> LayerOperators { get; init; } = ["Conv", "ConvTranspose", "Gemm", "MatMul"];

    /// <summary>
    /// Cascading (default): stage k re-initialises the top k layers together, from the output down. Independent: stage k
    /// re-initialises layer k alone.
    /// </summary>
    public bool Cascading { get; init; } = true;

    /// <summary>Seed of the new parameters. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Side of the SSIM window. Default 7.</summary>
    public int SsimWindow { get; init; } = 7;

    /// <summary>
    /// At most this many stages are explained and compared, evenly spaced over the layers (top first) and always
    /// including the last one (in a cascade, every layer randomised); a cascade still randomises every layer above a
    /// reported stage. Null (the default): every layer is a stage. Bounds the cost on deep models.
    /// </summary>
    public int? MaxStages { get; init; }
}
