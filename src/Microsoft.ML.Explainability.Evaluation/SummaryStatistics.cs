namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Mean, standard deviation and 95 % confidence interval of a metric over samples.</summary>
/// <param name="Mean">The sample mean x̄.</param>
/// <param name="StandardDeviation">The sample standard deviation s = √(Σ(x − x̄)² / (n − 1)); NaN for n &lt; 2.</param>
/// <param name="ConfidenceLow">x̄ − t₀.₉₇₅,ₙ₋₁ · s/√n; NaN for n &lt; 2.</param>
/// <param name="ConfidenceHigh">x̄ + t₀.₉₇₅,ₙ₋₁ · s/√n; NaN for n &lt; 2.</param>
/// <param name="Count">n, the number of finite values.</param>
public readonly record struct SummaryStatistics(double Mean, double StandardDeviation, double ConfidenceLow, double ConfidenceHigh, int Count)
{
    /// <summary>
    /// Summarises the finite values (NaN and infinities are left out of n). The interval is Student's two-sided 95 %
    /// t-interval for the mean, with the t quantile computed by inverting the t distribution's CDF,
    /// F(t) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½), where I is the regularised incomplete beta function (continued fraction,
    /// Press et al., Numerical Recipes, 3rd ed., §6.4).
    /// </summary>
    /// <exception cref="EvaluationInputException">There is no finite value.</exception>
    public static SummaryStatistics Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
        {
            throw new EvaluationInputException("No finite value to summarise: the metric was computed on an empty input set or every value is NaN.");
        }

        double mean = finite.Average();
        if (finite.Length < 2)
        {
            return new SummaryStatistics(mean, double.NaN, double.NaN, double.NaN, 1);
        }

        double std = Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1));
        double half = StudentTQuantile(0.975, finite.Length - 1) * std / Math.Sqrt(finite.Length);
        return new SummaryStatistics(mean, std, mean - half, mean + half, finite.Length);
    }

    /// <summary>The p-quantile of Student's t distribution with ν degrees of freedom (bisection on the CDF to 1e-12).</summary>
    public static double StudentTQuantile(double p, double degreesOfFreedom)
    {
        if (p is <= 0 or >= 1 || degreesOfFreedom <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(p), "Need 0 < p < 1 and ν > 0.");
        }

        if (p < 0.5)
        {
            return -StudentTQuantile(1 - p, degreesOfFreedom);
        }

        double low = 0, high = 1;
        while (StudentTCdf(high, degreesOfFreedom) < p)
        {
            high *= 2;
        }

        for (int i = 0; i < 200 && high - low > 1e-12 * Math.Max(1, high); i++)
        {
            double mid = (low + high) / 2;
            if (StudentTCdf(mid, degreesOfFreedom) < p)
            {
                low = mid;
            }
            else
            {
                high = mid;
            }
        }

        return (low + high) / 2;
    }

    /// <summary>The CDF of Student's t distribution with ν degrees of freedom.</summary>
    public static double StudentTCdf(double t, double degreesOfFreedom)
    {
        double x = degreesOfFreedom / (degreesOfFreedom + (t * t));
        double tail = 0.5 * RegularizedIncompleteBeta(degreesOfFreedom / 2, 0.5, x);
        return t >= 0 ? 1 - tail : tail;
    }

    private static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (x <= 0)
        {
            return 0;
        }

        if (x >= 1)
        {
            return 1;
        }

        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + (a * Math.Log(x)) + (b * Math.Log(1 - x)));
        return x < (a + 1) / (a + b + 2)
            ? front * BetaContinuedFraction(a, b, x) / a
            : 1 - (front * BetaContinuedFraction(b, a, 1 - x) / b);
    }

    private static double BetaContinuedFraction(double a, double b, double x)
    {
        const double Tiny = 1e-300;
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - (qab * x / qap);
        d = Math.Abs(d) < Tiny ? Tiny : d;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 300; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + (aa * d);
            d = Math.Abs(d) < Tiny ? Tiny : d;
            c = 1 + (aa / c);
            c = Math.Abs(c) < Tiny ? Tiny : c;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + (aa * d);
            d = Math.Abs(d) < Tiny ? Tiny : d;
            c = 1 + (aa / c);
            c = Math.Abs(c) < Tiny ? Tiny : c;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15)
            {
                break;
            }
        }

        return h;
    }

    private static double LogGamma(double x)
    {
        // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
        double[] g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        if (x < 0.5)
        {
            return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        }

        x -= 1;
        double sum = g[0];
        for (int i = 1; i < g.Length; i++)
        {
            sum += g[i] / (x + i);
        }

        double t = x + 7.5;
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(sum);
    }
}
