using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// One column cos(y, v) = y·v / (max(‖y‖₂, ε)·max(‖v‖₂, ε)), ε = 1e-8 (torch's <c>CosineSimilarity</c>), of an
/// embedding output flattened to [N, D] and a concept v of length D; see <see cref="ExplanationTargets.Similarity"/>.
/// </summary>
internal sealed class SimilarityTarget : ExplanationTarget
{
    private const double Epsilon = 1e-8;
    private readonly float[] _concept;

    public SimilarityTarget(float[] concept)
    {
        ArgumentNullException.ThrowIfNull(concept);
        if (concept.Length == 0 || concept.Any(v => !float.IsFinite(v)))
        {
            throw new ExplanationTargetException(ExplanationTargets.Similarity.Name, "The concept vector must be non-empty and finite.");
        }

        _concept = concept;
    }

    public override ExplanationTargetKind Kind => ExplanationTargets.Similarity;

    internal override string NotForRelevancePropagation => "a cosine similarity divides by the embedding's norm, so it is not a sum of contributions to distribute";

    internal override string EmitScores(TargetGraph graph)
    {
        var info = graph.OutputInfo;
        long length = info.Shape.Skip(1).Aggregate(1L, (a, d) => a * d);
        if (info.Rank < 2 || info.Shape.Skip(1).Any(d => d < 0))
        {
            throw graph.Error("a similarity target needs an embedding output [N, D, …] of fixed size.");
        }

        if (length != _concept.Length)
        {
            throw graph.Error($"the concept vector has {_concept.Length} values; the embedding has {length} per row.");
        }

        var g = graph.Emitter;
        double norm = Math.Sqrt(_concept.Sum(v => (double)v * v));
        var concept = g.Constant(TensorElementType.Float, [1, length], _concept.Select(v => (double)v).ToArray());
        var y = g.Node("Flatten", [info.ElementType == TensorElementType.Float ? graph.Output : g.Cast(graph.Output, TensorElementType.Float)], AttributeValue.Int("axis", 1));
        var dot = g.ReduceSum(g.Mul(y, concept), [1], keepDims: true);
        var yNorm = g.Node("Sqrt", [g.ReduceSum(g.Mul(y, y), [1], keepDims: true)]);
        var denominator = g.Mul(g.Node("Max", [yNorm, g.Scalar(Epsilon)]), g.Scalar(Math.Max(norm, Epsilon)));
        return g.Div(dot, denominator);
    }
}
