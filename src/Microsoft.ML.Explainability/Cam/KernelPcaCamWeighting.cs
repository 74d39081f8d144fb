namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// KPCA-CAM (Karmani et al., "KPCA-CAM: Visual Explainability of Deep Computer Vision Models using Kernel PCA", IEEE
/// MMSP 2024), as pytorch-grad-cam's <c>KPCA_CAM</c> with its defaults (<c>get_2d_projection_kernel</c> calling
/// scikit-learn's <c>KernelPCA(n_components=1, kernel="sigmoid", gamma=None)</c>): X = A as an (h·w)×C matrix, NaN set
/// to 0, columns centred; the sigmoid kernel Kᵢⱼ = tanh(γ·⟨xᵢ, xⱼ⟩ + 1) with γ = 1/C; K centred in feature space
/// (K − 1K − K1 + 1K1, 1 = the all-1/(h·w) matrix); map = √λ₁·u₁ for the largest eigenvalue λ₁ of the centred K and
/// its unit eigenvector u₁, oriented by <see cref="ComponentSign"/> (scikit-learn's own <c>svd_flip</c> rule, so the
/// sign matches the reference). The eigenvector comes from cyclic Jacobi rotations in float64 on the (h·w)² kernel,
/// O((h·w)³) per image. λ₁ ≤ 0 (scikit-learn raises) gives an all-zero map.
/// </summary>
internal sealed class KernelPcaCamWeighting : CamWeighting
{
    public override bool SupportsEigenSmooth => false;

    public override bool UsesGradients => false;

    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map)
    {
        var x = new double[cells * channels];
        for (int c = 0; c < channels; c++)
        {
            double mean = 0;
            for (int p = 0; p < cells; p++)
            {
                double v = a[(c * cells) + p];
                v = double.IsNaN(v) ? 0 : v;
                x[(p * channels) + c] = v;
                mean += v;
            }

            mean /= cells;
            for (int p = 0; p < cells; p++)
            {
                x[(p * channels) + c] -= mean;
            }
        }

        var kernel = CentredSigmoidKernel(x, cells, channels, 1.0 / channels, 1.0);
        var u = EigenCamWeighting.TopEigenvector(kernel, cells);
        double lambda = u is null ? 0 : RayleighQuotient(kernel, u, cells);
        if (u is null || !(lambda > 0))
        {
            map.Clear();
            return;
        }

        var projection = new double[cells];
        double scale = Math.Sqrt(lambda);
        for (int p = 0; p < cells; p++)
        {
            projection[p] = scale * u[p];
        }

        ComponentSign.Orient(projection);
        for (int p = 0; p < cells; p++)
        {
            map[p] = (float)projection[p];
        }
    }

    /// <summary>The feature-space-centred kernel tanh(γ·XXᵀ + c₀), [cells, cells] row-major.</summary>
    internal static double[] CentredSigmoidKernel(double[] x, int cells, int channels, double gamma, double coef0)
    {
        var k = new double[cells * cells];
        for (int i = 0; i < cells; i++)
        {
            for (int j = i; j < cells; j++)
            {
                double dot = 0;
                for (int c = 0; c < channels; c++)
                {
                    dot += x[(i * channels) + c] * x[(j * channels) + c];
                }

                k[(i * cells) + j] = k[(j * cells) + i] = Math.Tanh((gamma * dot) + coef0);
            }
        }

        var rowMean = new double[cells];
        double total = 0;
        for (int i = 0; i < cells; i++)
        {
            for (int j = 0; j < cells; j++)
            {
                rowMean[i] += k[(i * cells) + j] / cells;
            }

            total += rowMean[i] / cells;
        }

        // K is symmetric, so its column means equal its row means.
        for (int i = 0; i < cells; i++)
        {
            for (int j = 0; j < cells; j++)
            {
                k[(i * cells) + j] += total - rowMean[i] - rowMean[j];
            }
        }

        return k;
    }

    private static double RayleighQuotient(double[] m, double[] u, int n)
    {
        double s = 0;
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            for (int j = 0; j < n; j++)
            {
                row += m[(i * n) + j] * u[j];
            }

            s += u[i] * row;
        }

        return s;
    }
}
