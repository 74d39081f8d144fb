namespace Microsoft.ML.Explainability.Targets;

/// <summary>The class logit y_c: the model is explained as it is (the one-hot seed of the engine). See <see cref="ExplanationTargets.ClassLogit"/>.</summary>
internal sealed class ClassLogitTarget : ExplanationTarget
{
    public static readonly ClassLogitTarget Instance = new();

    public override ExplanationTargetKind Kind => ExplanationTargets.ClassLogit;

    internal override bool IsIdentity => true;

    internal override string EmitScores(TargetGraph graph) => graph.Output;
}
