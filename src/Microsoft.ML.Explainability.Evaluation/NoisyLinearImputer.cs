namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>
/// The noisy linear imputation of ROAD (Rong, Leemann, Borisov, Kasneci and Kasneci, "A Consistent and Efficient
/// Evaluation Strategy for Attribution Methods", ICML 2022). Every removed pixel i takes the weighted average of its
/// eight neighbours n (weight 1/6 for the four direct neighbours, 1/12 for the diagonal ones, neighbours outside the
/// image left out): Σ_n w_n (x_i − x_n) = 0, where neighbours that are themselves removed are unknowns too. The sparse
/// system A·x_R = b (A_ii = Σ_n w_n, A_ij = −w_ij for removed neighbours j, b_i = Σ w_k x_k over kept neighbours k) is
/// symmetric positive semi-definite and is solved per channel by the conjugate-gradient method with a Jacobi
/// preconditioner (the authors' code uses LSQR). Gaussian noise of standard deviation σ is then added to the imputed
/// values. A group of removed pixels that touches no kept pixel gets the minimum-norm solution, zero.
/// </summary>
public static class NoisyLinearImputer
{
    private static readonly (int Di, int Dj, double W)[] Neighbours =
    [
        (1, 1, 1.0 / 12), (0, 1, 1.0 / 6), (-1, 1, 1.0 / 12), (1, -1, 1.0 / 12),
        (0, -1, 1.0 / 6), (-1, -1, 1.0 / 12), (1, 0, 1.0 / 6), (-1, 0, 1.0 / 6),
    ];

    /// <summary>Imputes the removed pixels of one channel plane in place.</summary>
    /// <param name="plane">The H×W plane, row-major; removed pixels' values are ignored and overwritten.</param>
    /// <param name="removed">H×W flags, true where the pixel is removed.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="noiseStd">σ of the Gaussian noise added to imputed values (0: none).</param>
    /// <param name="random">Source of the noise.</param>
    /// <param name="tolerance">Stop when the residual norm falls below tolerance·‖b‖ (or 1e-12 when b = 0).</param>
    public static void Impute(Span<float> plane, ReadOnlySpan<bool> removed, int height, int width, double noiseStd, Random random, double tolerance = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (plane.Length != height * width || removed.Length != plane.Length)
        {
            throw new ArgumentException("The plane and the removal flags must both hold H·W values.", nameof(plane));
        }

        var unknown = new int[plane.Length];
        var pixels = new List<int>();
        for (int p = 0; p < plane.Length; p++)
        {
            unknown[p] = removed[p] ? pixels.Count : -1;
            if (removed[p])
            {
                pixels.Add(p);
            }
        }

        int m = pixels.Count;
        if (m == 0)
        {
            return;
        }

        // Sparse rows: the diagonal, and (column, weight) of removed neighbours.
        var diagonal = new double[m];
        var rhs = new double[m];
        var offsets = new int[m + 1];
        var columns = new List<int>();
        var weights = new List<double>();
        for (int r = 0; r < m; r++)
        {
            int i = pixels[r] / width, j = pixels[r] % width;
            foreach (var (di, dj, w) in Neighbours)
            {
                int ni = i + di, nj = j + dj;
                if (ni < 0 || ni >= height || nj < 0 || nj >= width)
                {
                    continue;
                }

                diagonal[r] += w;
                int q = (ni * width) + nj;
                if (unknown[q] >= 0)
                {
                    columns.Add(unknown[q]);
                    weights.Add(w);
                }
                else
                {
                    rhs[r] += w * plane[q];
                }
            }

            offsets[r + 1] = columns.Count;
        }

        var solution = ConjugateGradient(diagonal, offsets, columns.ToArray(), weights.ToArray(), rhs, tolerance);
        for (int r = 0; r < m; r++)
        {
            plane[pixels[r]] = (float)(solution[r] + (noiseStd * Gaussian(random)));
        }
    }

    internal static double Gaussian(Random random)
    {
        // Box–Muller.
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static double[] ConjugateGradient(double[] diagonal, int[] offsets, int[] columns, double[] weights, double[] b, double tolerance)
    {
        int m = b.Length;
        void Multiply(double[] v, double[] result)
        {
            for (int r = 0; r < m; r++)
            {
                double sum = diagonal[r] * v[r];
                for (int e = offsets[r]; e < offsets[r + 1]; e++)
                {
                    sum -= weights[e] * v[columns[e]];
                }

                result[r] = sum;
            }
        }

        var x = new double[m];
        var residual = (double[])b.Clone();
        var z = new double[m];
        for (int r = 0; r < m; r++)
        {
            z[r] = residual[r] / diagonal[r];
        }

        var direction = (double[])z.Clone();
        var product = new double[m];
        double rz = Dot(residual, z);
        double stop = Math.Max(tolerance * Math.Sqrt(Dot(b, b)), 1e-12);
        for (int iteration = 0; iteration < Math.Max(100, 4 * m) && Math.Sqrt(Dot(residual, residual)) > stop; iteration++)
        {
            Multiply(direction, product);
            double curvature = Dot(direction, product);
            if (curvature <= 0)
            {
                break;
            }

            double alpha = rz / curvature;
            for (int r = 0; r < m; r++)
            {
                x[r] += alpha * direction[r];
                residual[r] -= alpha * product[r];
                z[r] = residual[r] / diagonal[r];
            }

            double next = Dot(residual, z);
            double beta = next / rz;
            rz = next;
            for (int r = 0; r < m; r++)
            {
                direction[r] = z[r] + (beta * direction[r]);
            }
        }

        return x;
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
