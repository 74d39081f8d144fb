namespace Microsoft.ML.Explainability.Targets;

/// <summary>
/// Every kind of explanation target, declared once; the CLI (<c>--target-kind</c>), the ML.NET <c>Explain</c> options and
/// <see cref="Explainers.MethodSettings.Target"/> enumerate <see cref="All"/>. Each follows pytorch-grad-cam's
/// <c>model_targets.py</c> definition named on its line. A new kind is one <see cref="ExplanationTarget"/> file in
/// <c>Targets/</c> plus one line here.
/// </summary>
public static class ExplanationTargets
{
    /// <summary>The class logit y_c (pytorch-grad-cam's <c>ClassifierOutputTarget</c>): the default; the model is not changed.</summary>
    public static readonly ExplanationTargetKind ClassLogit = new("class-logit", "the logit y_c of the row's class (the default)", "pytorch-grad-cam ClassifierOutputTarget", TargetParameters.None, _ => ClassLogitTarget.Instance);

    /// <summary>The softmax probability p_c = exp(y_c) / Σⱼ exp(yⱼ) over the last axis of a [N, classes] output (pytorch-grad-cam's <c>ClassifierOutputSoftmaxTarget</c>).</summary>
    public static readonly ExplanationTargetKind Softmax = new("softmax", "the softmax probability of the row's class", "pytorch-grad-cam ClassifierOutputSoftmaxTarget", TargetParameters.None, _ => new SoftmaxTarget());

    /// <summary>A binary classifier's single output y: class 1 explains +y, class 0 explains −y (pytorch-grad-cam's <c>BinaryClassifierOutputTarget</c>; no sigmoid is applied).</summary>
    public static readonly ExplanationTargetKind Binary = new("binary", "+y for class 1, −y for class 0, of a single-output (sigmoid) classifier", "pytorch-grad-cam BinaryClassifierOutputTarget", TargetParameters.None, _ => new BinaryTarget());

    /// <summary>Semantic segmentation: Σ_(i,j) mask_ij · y[c, i, j] of an [N, classes, H, W] output (pytorch-grad-cam's <c>SemanticSegmentationTarget</c>).</summary>
    public static readonly ExplanationTargetKind Segmentation = new("segmentation", "the sum of the row's class logits over a pixel mask", "pytorch-grad-cam SemanticSegmentationTarget", TargetParameters.Mask, s => new SegmentationTarget(s.Mask!));

    /// <summary>
    /// Detector boxes (pytorch-grad-cam's <c>FasterRCNNBoxScoreTarget</c>): for each reference box, the detection with the
    /// largest IoU; if that IoU exceeds the threshold (default 0.5) and its label equals the reference's, IoU + score is
    /// added. The score is the sum over reference boxes.
    /// </summary>
    public static readonly ExplanationTargetKind DetectorBoxes = new("detector-boxes", "IoU + score of the detections matching reference boxes by IoU and label", "pytorch-grad-cam FasterRCNNBoxScoreTarget", TargetParameters.Boxes, s => new DetectorBoxTarget(s.Boxes!, s.IouThreshold ?? 0.5, s.DetectorOutputs ?? ("boxes", "scores", "labels")));

    /// <summary>Cosine similarity y·v / (max(‖y‖, ε)·max(‖v‖, ε)), ε = 1e-8, of an embedding output to a concept vector v (pytorch-grad-cam's <c>SimilarityToConceptTarget</c> tutorial target, torch's <c>CosineSimilarity</c>).</summary>
    public static readonly ExplanationTargetKind Similarity = new("similarity", "the cosine similarity of the embedding to a concept vector", "pytorch-grad-cam SimilarityToConceptTarget (Pixel Attribution for embeddings)", TargetParameters.Concept, s => new SimilarityTarget(s.Concept!));

    /// <summary>
    /// Finer-CAM's weighted difference (pytorch-grad-cam's <c>FinerWeightedTarget</c>): s = Σⱼ pⱼ·(y_c − α·yⱼ) / (Σⱼ pⱼ + 1e-9)
    /// over the comparison classes j (the <see cref="TargetSettings.Comparisons"/> classes ≠ c whose logits are closest to
    /// y_c, default 3, ties by index), p = softmax(y), α default 1.
    /// </summary>
    public static readonly ExplanationTargetKind Finer = new("finer", "the class logit minus α times the softmax-weighted logits of its most similar classes", "pytorch-grad-cam FinerWeightedTarget", TargetParameters.None, s => new FinerTarget(s.Alpha ?? 1, s.Comparisons ?? 3));

    /// <summary>Every kind, in help order.</summary>
    public static IReadOnlyList<ExplanationTargetKind> All { get; } = [ClassLogit, Softmax, Binary, Segmentation, DetectorBoxes, Similarity, Finer];

    /// <summary>The kind named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ExplanationTargetException">No kind has that name; the message lists the names.</exception>
    public static ExplanationTargetKind Find(string name) =>
        All.FirstOrDefault(k => string.Equals(k.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ExplanationTargetException(name ?? "", $"Unknown target kind '{name}'. Target kinds: {string.Join(", ", All.Select(k => k.Name))}.");
}
