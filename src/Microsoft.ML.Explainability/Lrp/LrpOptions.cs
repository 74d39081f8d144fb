using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Lrp;

/// <summary>Options of an <see cref="LrpExplainer"/>.</summary>
public sealed class LrpOptions
{
    /// <summary>The rules, by operator and node. Default <see cref="LrpComposite.EpsilonPlus"/> (convolutions z⁺, dense layers ε = 1e-6).</summary>
    public LrpComposite Composite { get; init; } = LrpComposite.EpsilonPlus();

    /// <summary>The relevance at the output. Default <see cref="LrpSeed.OneHot"/>.</summary>
    public LrpSeed Seed { get; init; } = LrpSeed.OneHot;

    /// <summary>
    /// Whether to apply the composite's canonizers (<see cref="LrpComposite.Canonizers"/>; choose them there with
    /// <see cref="LrpComposite.WithCanonizers"/>). Default true; false applies none, whatever the composite lists.
    /// </summary>
    public bool Canonize { get; init; } = true;

    /// <summary>The output explained; null (the default) takes the model's first [N, classes] float output.</summary>
    public string? Output { get; init; }

    /// <summary>
    /// The input explained, for a model with several inputs; null takes the model's only input, or its only float image
    /// input [N, C, H, W]. The other inputs are fed with each request (<see cref="Explainers.ExplanationRequest.Inputs"/>)
    /// and held fixed.
    /// </summary>
    public string? ExplainedInput { get; init; }

    /// <summary>Intermediate tensors whose relevance is also returned (<see cref="LrpResult.LayerRelevances"/>), to check conservation layer by layer.</summary>
    public IReadOnlyList<string> RelevanceOf { get; init; } = [];

    /// <summary>Device, threads and rows per ONNX Runtime call.</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;
}
