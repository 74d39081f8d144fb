namespace Microsoft.ML.Explainability.Evaluation;

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
