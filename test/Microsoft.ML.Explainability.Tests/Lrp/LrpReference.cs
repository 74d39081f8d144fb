namespace Microsoft.ML.Explainability.Tests.Lrp;

/// <summary>
/// Float64 reference implementations of the LRP rules on an explicit matrix form of a layer: z = M·x + b with M
/// built from (possibly modified) stored weights. Written from the rule definitions (Zennit's formulations), with no
/// use of the library: stab(z) = z + ε·sign(z), sign(0) = +1.
/// </summary>
internal sealed class LrpReference
{
    private readonly Func<double[], double[,]> _matrix;
    private readonly Func<double[]?, double[]> _bias;

    /// <param name="weights">Stored weights.</param>
    /// <param name="bias">Stored bias (null: none).</param>
    /// <param name="matrix">Matrix [out, in] of the layer for given stored weights (includes Gemm's alpha).</param>
    /// <param name="biasVector">Bias vector [out] for given stored bias (includes Gemm's beta); null → zeros.</param>
    public LrpReference(double[] weights, double[]? bias, Func<double[], double[,]> matrix, Func<double[]?, double[]> biasVector)
    {
        Weights = weights;
        Bias = bias;
        _matrix = matrix;
        _bias = biasVector;
    }

    public double[] Weights { get; }

    public double[]? Bias { get; }

    public static double Stab(double z, double epsilon = 1e-6) => z + (epsilon * (z >= 0 ? 1 : -1));

    public double[] Epsilon(double[] x, double[] r, double epsilon)
    {
        var m = _matrix(Weights);
        var z = Add(MatVec(m, x), _bias(Bias));
        var s = Ratio(r, z, epsilon);
        return Mul(x, MatTVec(m, s));
    }

    public double[] ZPlus(double[] x, double[] r)
    {
        var (xp, xn) = Split(x);
        var mp = _matrix(Map(Weights, w => Math.Max(w, 0)));
        var mn = _matrix(Map(Weights, w => Math.Min(w, 0)));
        var z = Add(Add(MatVec(mp, xp), MatVec(mn, xn)), _bias(MapN(Bias, b => Math.Max(b, 0))));
        var s = Ratio(r, z, 1e-6);
        return Add(Mul(xp, MatTVec(mp, s)), Mul(xn, MatTVec(mn, s)));
    }

    public double[] AlphaBeta(double[] x, double[] r, double alpha, double beta)
    {
        var (xp, xn) = Split(x);
        var mp = _matrix(Map(Weights, w => Math.Max(w, 0)));
        var mn = _matrix(Map(Weights, w => Math.Min(w, 0)));
        var za = Add(Add(MatVec(mp, xp), MatVec(mn, xn)), _bias(MapN(Bias, b => Math.Max(b, 0))));
        var zb = Add(Add(MatVec(mn, xp), MatVec(mp, xn)), _bias(MapN(Bias, b => Math.Min(b, 0))));
        var sa = Ratio(r, za, 1e-6);
        var sb = Ratio(r, zb, 1e-6);
        var positive = Add(Mul(xp, MatTVec(mp, sa)), Mul(xn, MatTVec(mn, sa)));
        var negative = Add(Mul(xp, MatTVec(mn, sb)), Mul(xn, MatTVec(mp, sb)));
        return positive.Select((p, i) => (alpha * p) - (beta * negative[i])).ToArray();
    }

    public double[] Gamma(double[] x, double[] r, double gamma)
    {
        var (xp, xn) = Split(x);
        var up = _matrix(Map(Weights, w => w + (gamma * Math.Max(w, 0))));
        var down = _matrix(Map(Weights, w => w + (gamma * Math.Min(w, 0))));
        var y = Add(MatVec(_matrix(Weights), x), _bias(Bias));
        var zUp = Add(Add(MatVec(up, xp), MatVec(down, xn)), _bias(MapN(Bias, b => b + (gamma * Math.Max(b, 0)))));
        var zDown = Add(Add(MatVec(down, xp), MatVec(up, xn)), _bias(MapN(Bias, b => b + (gamma * Math.Min(b, 0)))));
        var sUp = zUp.Select((z, j) => (y[j] > 0 ? r[j] : 0) / Stab(z)).ToArray();
        var sDown = zDown.Select((z, j) => (y[j] < 0 ? r[j] : 0) / Stab(z)).ToArray();
        var total = Mul(xp, MatTVec(up, sUp));
        total = Add(total, Mul(xn, MatTVec(down, sUp)));
        total = Add(total, Mul(xp, MatTVec(down, sDown)));
        return Add(total, Mul(xn, MatTVec(up, sDown)));
    }

    public double[] ZBox(double[] x, double[] r, double[] low, double[] high)
    {
        var m = _matrix(Weights);
        var mp = _matrix(Map(Weights, w => Math.Max(w, 0)));
        var mn = _matrix(Map(Weights, w => Math.Min(w, 0)));
        var z = Sub(Sub(MatVec(m, x), MatVec(mp, low)), MatVec(mn, high));
        var s = Ratio(r, z, 1e-6);
        return Sub(Sub(Mul(x, MatTVec(m, s)), Mul(low, MatTVec(mp, s))), Mul(high, MatTVec(mn, s)));
    }

    public double[] Flat(double[] x, double[] r)
    {
        var m = _matrix(Map(Weights, _ => 1));
        var ones = x.Select(_ => 1.0).ToArray();
        var s = Ratio(r, MatVec(m, ones), 1e-6);
        return MatTVec(m, s);
    }

    public double[] WSquare(double[] x, double[] r)
    {
        var m = _matrix(Map(Weights, w => w * w));
        var ones = x.Select(_ => 1.0).ToArray();
        var s = Ratio(r, Add(MatVec(m, ones), _bias(MapN(Bias, b => b * b))), 1e-6);
        return MatTVec(m, s);
    }

    public static double[] MatVec(double[,] m, double[] v)
    {
        var result = new double[m.GetLength(0)];
        for (int j = 0; j < result.Length; j++)
        {
            for (int i = 0; i < v.Length; i++)
            {
                result[j] += m[j, i] * v[i];
            }
        }

        return result;
    }

    public static double[] MatTVec(double[,] m, double[] v)
    {
        var result = new double[m.GetLength(1)];
        for (int j = 0; j < v.Length; j++)
        {
            for (int i = 0; i < result.Length; i++)
            {
                result[i] += m[j, i] * v[j];
            }
        }

        return result;
    }

    /// <summary>Gemm's matrix [M, K] = α·B′ᵀ (B stored [K, M], transB = 0) or α·B′ (B stored [M, K], transB = 1).</summary>
    public static Func<double[], double[,]> GemmMatrix(int k, int m, bool transB, double alpha) => w =>
    {
        var result = new double[m, k];
        for (int j = 0; j < m; j++)
        {
            for (int i = 0; i < k; i++)
            {
                result[j, i] = alpha * (transB ? w[(j * k) + i] : w[(i * m) + j]);
            }
        }

        return result;
    };

    /// <summary>
    /// A 2-D convolution (group 1) as a matrix [Cout·Ho·Wo, Cin·H·W], straight from its definition:
    /// y[o, oy, ox] = Σ W[o, c, ky, kx] · x[c, oy·s − padTop + ky·d, ox·s − padLeft + kx·d] over in-bounds positions.
    /// </summary>
    public static Func<double[], double[,]> ConvMatrix(int cout, int cin, int k, int h, int w, int stride, int dilation, int padTop, int padLeft, int ho, int wo) => weights =>
    {
        var m = new double[cout * ho * wo, cin * h * w];
        for (int o = 0; o < cout; o++)
        {
            for (int oy = 0; oy < ho; oy++)
            {
                for (int ox = 0; ox < wo; ox++)
                {
                    for (int c = 0; c < cin; c++)
                    {
                        for (int ky = 0; ky < k; ky++)
                        {
                            for (int kx = 0; kx < k; kx++)
                            {
                                int iy = (oy * stride) - padTop + (ky * dilation);
                                int ix = (ox * stride) - padLeft + (kx * dilation);
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                {
                                    m[(((o * ho) + oy) * wo) + ox, (((c * h) + iy) * w) + ix] += weights[(((((o * cin) + c) * k) + ky) * k) + kx];
                                }
                            }
                        }
                    }
                }
            }
        }

        return m;
    };

    /// <summary>A per-output-channel bias repeated over <paramref name="spatial"/> positions, scaled by <paramref name="scale"/>.</summary>
    public static Func<double[]?, double[]> ChannelBias(int channels, int spatial, double scale = 1) => b =>
        Enumerable.Range(0, channels * spatial).Select(i => b is null ? 0 : scale * b[i / spatial]).ToArray();

    private static double[] Ratio(double[] r, double[] z, double epsilon) => r.Select((v, j) => v / Stab(z[j], epsilon)).ToArray();

    private static (double[] Positive, double[] Negative) Split(double[] x) => (x.Select(v => Math.Max(v, 0)).ToArray(), x.Select(v => Math.Min(v, 0)).ToArray());

    private static double[] Map(double[] a, Func<double, double> f) => a.Select(f).ToArray();

    private static double[]? MapN(double[]? a, Func<double, double> f) => a?.Select(f).ToArray();

    private static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();

    private static double[] Sub(double[] a, double[] b) => a.Select((v, i) => v - b[i]).ToArray();

    private static double[] Mul(double[] a, double[] b) => a.Select((v, i) => v * b[i]).ToArray();
}
