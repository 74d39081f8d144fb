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

/// <summary>How features with equal saliency are ordered in a ranking (deletion, pixel flipping, region perturbation, …).</summary>
public enum TieBreak
{
    /// <summary>
    /// Ascending feature index (row-major over the spatial grid) within a tie, in both orders: a stable sort, as
    /// <c>np.argsort(-a, kind="stable")</c> for most-relevant-first. Deterministic and the default.
    /// </summary>
    IndexOrder,

    /// <summary>A seeded random order within each tie (<see cref="RankingOptions.Seed"/>, derived per sample).</summary>
    SeededRandom,
}

/// <summary>What one feature of a multi-channel input is.</summary>
public enum FeatureUnit
{
    /// <summary>
    /// A pixel: all C channels of one spatial position together; its saliency is the attribution summed over the
    /// channels, and removing it replaces every channel. The default under both conventions (Quantus's explain
    /// function sums explanations over the channel axis, so its features are pixels too).
    /// </summary>
    Pixel,

    /// <summary>One element of one channel: the C·H·W elements are ranked and removed one by one.</summary>
    ChannelElement,
}

/// <summary>How rankings are built.</summary>
public sealed class RankingOptions
{
    /// <summary>The default: ties in index order, pixels as features.</summary>
    public static RankingOptions Default { get; } = new();

    /// <summary>How ties are ordered. Default <see cref="TieBreak.IndexOrder"/>.</summary>
    public TieBreak Ties { get; init; } = TieBreak.IndexOrder;

    /// <summary>Seed of <see cref="TieBreak.SeededRandom"/>. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>What a feature is on multi-channel inputs. Default <see cref="FeatureUnit.Pixel"/>.</summary>
    public FeatureUnit Unit { get; init; } = FeatureUnit.Pixel;

    /// <summary>
    /// Feature indices ordered by saliency, most relevant first (<paramref name="descending"/>) or least relevant first,
    /// ties broken per <see cref="Ties"/>; <paramref name="sample"/> derives the random tie order's seed.
    /// </summary>
    public int[] Order(IReadOnlyList<double> saliency, bool descending, int sample = 0)
    {
        ArgumentNullException.ThrowIfNull(saliency);
        var order = Enumerable.Range(0, saliency.Count).ToArray();
        if (Ties == TieBreak.SeededRandom)
        {
            // Shuffle first; the stable sort then keeps the shuffled order within each tie.
            new Random(Seeds.Derive(Seed, sample)).Shuffle(order);
        }

        // LINQ's OrderBy is a stable sort: ties keep the (index or shuffled) order they came in.
        return descending ? order.OrderByDescending(i => saliency[i]).ToArray() : order.OrderBy(i => saliency[i]).ToArray();
    }

    /// <summary>The layout of <paramref name="inputs"/> under <see cref="Unit"/>.</summary>
    public FeatureLayout Layout(Runtime.FloatTensor inputs) => FeatureLayout.Of(inputs, Unit);
}
