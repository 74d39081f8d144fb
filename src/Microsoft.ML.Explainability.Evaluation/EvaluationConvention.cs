namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// Which set of defaults the metrics of <see cref="MetricRegistry"/> use. Options given explicitly always win; the
/// convention only fills in what the caller left out.
/// </summary>
public enum EvaluationConvention
{
    /// <summary>
    /// This library's defaults, chosen per metric where they are better justified than Quantus's (each metric's
    /// options document why): the zero baseline (the dataset mean for normalised inputs, so a removed feature carries
    /// no signal), curves over the fraction axis including the unperturbed point (so AUCs of different step counts are
    /// comparable), probabilities where the paper reports them, sample counts sized for interactive use.
    /// </summary>
    Default,

    /// <summary>
    /// Quantus 0.6's published defaults (Hedström et al., "Quantus: An Explainable AI Toolkit for Responsible
    /// Evaluation of Neural Network Explanations and Beyond", JMLR 2023), for comparison with papers that used it:
    /// baseline "black" (the per-sample minimum, <see cref="BaselineKind.Black"/>); AUC by <c>np.trapz</c> with dx = 1
    /// over the perturbed points only (<see cref="PerturbationCurves.UnitStepAuc"/>); ROAD with floored counts and
    /// accuracy; max-sensitivity with radius 0.2, 200 samples, relative; faithfulness correlation with 100 runs of 224
    /// features; random-logit SSIM over the flattened explanation (1-D); completeness as a boolean
    /// (<c>np.isclose</c>); explanations divided by their largest absolute value where Quantus's default normalisation
    /// changes the value (completeness, random logit; the robustness and complexity metrics that normalise under both
    /// conventions say so). Each entry of <see cref="MetricRegistry"/> states its Quantus settings. Features are pixels (channels summed), as Quantus's
    /// own explain function returns explanations summed over the channel axis.
    /// </summary>
    Quantus,
}
