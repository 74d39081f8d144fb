using MathNet.Numerics.Distributions;

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
    /// t-interval for the mean, x̄ ± t₀.₉₇₅,ₙ₋₁·s/√n, with the t quantile from Math.NET Numerics.
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

    /// <summary>The p-quantile of Student's t distribution with ν degrees of freedom (Math.NET Numerics' <c>StudentT.InvCDF</c>).</summary>
    public static double StudentTQuantile(double p, double degreesOfFreedom)
    {
        if (p is <= 0 or >= 1 || degreesOfFreedom <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(p), "Need 0 < p < 1 and ν > 0.");
        }

        return StudentT.InvCDF(0, 1, degreesOfFreedom, p);
    }

    /// <summary>The CDF of Student's t distribution with ν degrees of freedom (Math.NET Numerics' <c>StudentT.CDF</c>).</summary>
    public static double StudentTCdf(double t, double degreesOfFreedom) => StudentT.CDF(0, 1, degreesOfFreedom, t);
}
