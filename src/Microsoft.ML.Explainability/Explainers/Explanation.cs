using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Explainers;

/// <summary>The result of <see cref="IExplainer.Explain"/>, rows in input order, every value finite.</summary>
public sealed class Explanation
{
    internal Explanation(ExplanationMethod method, FloatTensor values, long[]? targets, float[]? targetScores, string detail, FloatTensor? layerMaps = null, IReadOnlyDictionary<string, FloatTensor>? extras = null)
    {
        NonFiniteResultException.ThrowIfAny(values.Data, values.RowLength, ComputationStage.Map, method.Name);
        Method = method;
        Values = values;
        Targets = targets;
        TargetScores = targetScores;
        Detail = detail;
        LayerMaps = layerMaps;
        Extras = extras ?? new Dictionary<string, FloatTensor>();
    }

    /// <summary>The method that computed it.</summary>
    public ExplanationMethod Method { get; }

    /// <summary>What <see cref="Values"/> holds: <see cref="ExplanationMethod.Layout"/>.</summary>
    public ExplanationLayout Layout => Method.Layout;

    /// <summary>
    /// [N, H, W] maps in [0, 1] at the input's height and width (<see cref="ExplanationLayout.Map"/>), or
    /// attributions shaped as the input batch (<see cref="ExplanationLayout.InputAttribution"/>).
    /// </summary>
    public FloatTensor Values { get; }

    /// <summary>
    /// Maps [N, h, w] at the target layer's or patch grid's resolution before post-processing (CAM, FullGrad and
    /// attention methods), else null. A CAM over several target layers gives the first layer's here and every layer's in
    /// <see cref="Extras"/> under <c>layer_map:</c> + the layer's name (<see cref="Cam.CamExplainer.LayerMapExtra"/>).
    /// </summary>
    public FloatTensor? LayerMaps { get; }

#pragma warning disable CA1819 // Plain per-row arrays are the natural result type here.
    /// <summary>The class explained in each row (predicted classes resolved); null when a seed was given.</summary>
    public long[]? Targets { get; }

    /// <summary>The target score y(x) of each row (output at the class, or ⟨seed, output⟩), when the method computes it.</summary>
    public float[]? TargetScores { get; }
#pragma warning restore CA1819

    /// <summary>What was used (target layer, composite, steps…), one line for people.</summary>
    public string Detail { get; }

    /// <summary>
    /// Method-specific per-row values by name, e.g. <c>"convergence_delta"</c> [N] for integrated gradients and the
    /// LRP relevance of named layers. Empty when the method has none.
    /// </summary>
    public IReadOnlyDictionary<string, FloatTensor> Extras { get; }
}
