namespace Microsoft.ML.Explainability.Attribution;

/// <summary>Nodes and weights on [0, 1].</summary>
internal static class Quadrature
{
    public static (double[] Alphas, double[] Weights) For(IntegrationRule rule, int steps) => rule switch
    {
        IntegrationRule.GaussLegendre => GaussLegendre(steps),
        IntegrationRule.RiemannTrapezoid => Trapezoid(steps),
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown integration rule."),
    };

    public static (double[] Alphas, double[] Weights) Trapezoid(int n)
    {
        if (n < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "The trapezoid rule needs at least 2 steps.");
        }

        var alphas = Enumerable.Range(0, n).Select(i => (double)i / (n - 1)).ToArray();
        var weights = Enumerable.Repeat(1.0 / (n - 1), n).ToArray();
        weights[0] /= 2;
        weights[^1] /= 2;
        return (alphas, weights);
    }

    /// <summary>Gauss–Legendre nodes by Newton's method on Pₙ (three-term recurrence), ascending, mapped to [0, 1].</summary>
    public static (double[] Alphas, double[] Weights) GaussLegendre(int n)
    {
        if (n < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "Gauss–Legendre needs at least 1 step.");
        }

        var alphas = new double[n];
        var weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            double t = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            double derivative = 0;
            for (int iteration = 0; iteration < 100; iteration++)
            {
                double p0 = 1, p1 = t;
                for (int k = 2; k <= n; k++)
                {
                    double p2 = (((2 * k) - 1) * t * p1 - ((k - 1) * p0)) / k;
                    p0 = p1;
                    p1 = p2;
                }

                if (n == 1)
                {
                    p0 = 1;
                }

                derivative = n * ((t * p1) - p0) / ((t * t) - 1);
                double step = p1 / derivative;
                t -= step;
                if (Math.Abs(step) < 1e-15)
                {
                    break;
                }
            }

            double w = 2 / ((1 - (t * t)) * derivative * derivative);
            // t is the i-th largest root: place ±t symmetrically, ascending.
            alphas[n - 1 - i] = (1 + t) / 2;
            alphas[i] = (1 - t) / 2;
            weights[n - 1 - i] = w / 2;
            weights[i] = w / 2;
        }

        return (alphas, weights);
    }
}
