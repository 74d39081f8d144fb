using MathNet.Numerics.Statistics;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Similarity measures between two explanations (or any two equally long vectors or maps).</summary>
public static class Similarity
{
    /// <summary>
    /// Pearson's r = Σ(a − ā)(b − b̄) / √(Σ(a − ā)² Σ(b − b̄)²) (Math.NET Numerics' <c>Correlation.Pearson</c>), clamped
    /// to [−1, 1]; 0 when either vector is constant (where r is undefined, as a metric value "no linear relation").
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ or are below 2.</exception>
    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Check(a, b);
        if (IsConstant(a) || IsConstant(b))
        {
            return 0;
        }

        double r = Correlation.Pearson(a, b);
        return double.IsFinite(r) ? Math.Clamp(r, -1, 1) : 0;
    }

    /// <summary>Spearman's ρ: Pearson's r of the ranks, ties given their average rank (as scipy.stats.spearmanr); 0 when either vector is constant.</summary>
    /// <exception cref="ArgumentException">The lengths differ or are below 2.</exception>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Check(a, b);
        return Pearson(Ranks(a), Ranks(b));
    }

    /// <summary>Ranks 1…n, tied values sharing their average rank (Math.NET Numerics' <c>Statistics.Ranks</c>).</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Statistics.Ranks(values, RankDefinition.Average);
    }

    private static bool IsConstant(IReadOnlyList<double> values)
    {
        for (int i = 1; i < values.Count; i++)
        {
            if (values[i] != values[0])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Mean structural similarity (Wang, Bovik, Sheikh and Simoncelli, "Image Quality Assessment: From Error Visibility
    /// to Structural Similarity", IEEE TIP 2004): SSIM = ((2μ_aμ_b + C1)(2σ_ab + C2)) / ((μ_a² + μ_b² + C1)(σ_a² + σ_b² + C2))
    /// with C1 = (0.01·L)², C2 = (0.03·L)² for the data range L, local statistics over a uniform
    /// <paramref name="window"/>×<paramref name="window"/> window with sample (n − 1) covariances, averaged over every
    /// window that fits inside the image — the defaults of scikit-image's structural_similarity. Windows larger than
    /// the image shrink to its smaller side (made odd).
    /// </summary>
    /// <param name="a">First H×W map, row-major.</param>
    /// <param name="b">Second H×W map, row-major.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="dataRange">L, the range the values span (1 for maps scaled to [0, 1]).</param>
    /// <param name="window">Odd window side. Default 7.</param>
    public static double Ssim(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int height, int width, double dataRange = 1, int window = 7)
    {
        if (a.Length != height * width || b.Length != a.Length)
        {
            throw new ArgumentException("Both maps must hold H·W values.", nameof(a));
        }

        window = Math.Min(window, Math.Min(height, width));
        if (window % 2 == 0)
        {
            window--;
        }

        if (window < 1)
        {
            throw new ArgumentException("The maps are empty.", nameof(a));
        }

        double c1 = Math.Pow(0.01 * dataRange, 2), c2 = Math.Pow(0.03 * dataRange, 2);
        int np = window * window;
        double covNorm = np > 1 ? np / (np - 1.0) : 1;
        double total = 0;
        int count = 0;
        for (int i = 0; i + window <= height; i++)
        {
            for (int j = 0; j + window <= width; j++)
            {
                double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
                for (int di = 0; di < window; di++)
                {
                    for (int dj = 0; dj < window; dj++)
                    {
                        int p = ((i + di) * width) + j + dj;
                        sa += a[p];
                        sb += b[p];
                        saa += a[p] * a[p];
                        sbb += b[p] * b[p];
                        sab += a[p] * b[p];
                    }
                }

                double ma = sa / np, mb = sb / np;
                double va = covNorm * ((saa / np) - (ma * ma));
                double vb = covNorm * ((sbb / np) - (mb * mb));
                double vab = covNorm * ((sab / np) - (ma * mb));
                total += ((2 * ma * mb) + c1) * ((2 * vab) + c2) / (((ma * ma) + (mb * mb) + c1) * (va + vb + c2));
                count++;
            }
        }

        return total / count;
    }

    /// <summary>
    /// SSIM of two flattened explanations, as Quantus's <c>ssim</c> similarity (used by its random-logit test): the
    /// vectors are compared as 1-D signals with scikit-image's <c>structural_similarity</c> defaults (a uniform window
    /// of <paramref name="window"/> elements, sample covariances, the mean over every window that fits) and the data
    /// range L = max(a ∪ b) − min(a ∪ b). NaN when both are the same constant (L = 0).
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ or are shorter than the window.</exception>
    public static double Ssim1D(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int window = 7)
    {
        if (a.Length != b.Length || a.Length < window)
        {
            throw new ArgumentException($"1-D SSIM needs two vectors of equal length ≥ {window}; got {a.Length} and {b.Length}.", nameof(b));
        }

        double max = Math.Max(MaxOf(a), MaxOf(b)), min = Math.Min(MinOf(a), MinOf(b));
        double range = max - min;
        double c1 = Math.Pow(0.01 * range, 2), c2 = Math.Pow(0.03 * range, 2);
        double covNorm = window / (window - 1.0);
        double total = 0;
        int count = 0;
        for (int start = 0; start + window <= a.Length; start++)
        {
            double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
            for (int k = start; k < start + window; k++)
            {
                sa += a[k];
                sb += b[k];
                saa += a[k] * a[k];
                sbb += b[k] * b[k];
                sab += a[k] * b[k];
            }

            double ma = sa / window, mb = sb / window;
            double va = covNorm * ((saa / window) - (ma * ma));
            double vb = covNorm * ((sbb / window) - (mb * mb));
            double vab = covNorm * ((sab / window) - (ma * mb));
            total += ((2 * ma * mb) + c1) * ((2 * vab) + c2) / (((ma * ma) + (mb * mb) + c1) * (va + vb + c2));
            count++;
        }

        return total / count;
    }

    private static double MaxOf(ReadOnlySpan<double> v)
    {
        double m = double.NegativeInfinity;
        foreach (var x in v)
        {
            m = Math.Max(m, x);
        }

        return m;
    }

    private static double MinOf(ReadOnlySpan<double> v)
    {
        double m = double.PositiveInfinity;
        foreach (var x in v)
        {
            m = Math.Min(m, x);
        }

        return m;
    }

    /// <summary>
    /// SSIM between two explanation rows of an input layout: each is reduced to its saliency map (summed over channels),
    /// optionally made absolute, and min–max scaled to [0, 1] (a constant map becomes zeros), then compared with
    /// <see cref="Ssim(ReadOnlySpan{double}, ReadOnlySpan{double}, int, int, double, int)"/> (data range 1).
    /// </summary>
    public static double ExplanationSsim(ReadOnlySpan<float> a, ReadOnlySpan<float> b, FeatureLayout layout, bool absolute = false, int window = 7)
    {
        var ma = MinMax(layout.Saliency(a), absolute);
        var mb = MinMax(layout.Saliency(b), absolute);
        return Ssim(ma, mb, layout.Height, layout.Width, 1, window);
    }

    /// <summary>Saliency map scaled to [0, 1] by (s − min)/(max − min); zeros when constant.</summary>
    internal static double[] MinMax(double[] map, bool absolute)
    {
        var m = absolute ? map.Select(Math.Abs).ToArray() : map;
        double min = m.Min(), max = m.Max();
        return m.Select(v => max > min ? (v - min) / (max - min) : 0).ToArray();
    }

    private static void Check(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count || a.Count < 2)
        {
            throw new ArgumentException($"Correlation needs two vectors of equal length ≥ 2; got {a.Count} and {b.Count}.", nameof(b));
        }
    }
}
