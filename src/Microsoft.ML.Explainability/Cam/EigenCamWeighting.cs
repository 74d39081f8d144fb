using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Eigen-CAM (Muhammad &amp; Yeasin 2020) as pytorch-grad-cam's <c>get_2d_projection</c>: X = A as an (h·w)×k matrix
/// (NaN set to 0), columns centred, map = X·v₁ with v₁ its first right singular vector. Eigen-Grad-CAM applies the
/// same to G ⊙ A. v₁ is the top eigenvector of XᵀX (or Xᵀu₁/‖Xᵀu₁‖ from XXᵀ when h·w &lt; k), found by cyclic Jacobi
/// rotations in float64. Sign: the SVD leaves it free (NumPy's choice is arbitrary); <see cref="ComponentSign"/> makes the
/// projection's largest-magnitude value positive.
/// </summary>
internal sealed class EigenCamWeighting(bool onGradientTimesActivation) : CamWeighting
{
    public override bool UsesGradients => onGradientTimesActivation;

    public override bool SupportsEigenSmooth => false;

    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map)
    {
        var values = new double[channels * cells];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = onGradientTimesActivation ? (double)a[i] * g[i] : a[i];
        }

        Project(values, channels, cells, map);
    }

    /// <summary>
    /// pytorch-grad-cam's <c>get_2d_projection</c> of one image's values [C, h·w] (channels first) with our sign rule:
    /// NaN set to 0, X = the values as an (h·w)×C matrix with centred columns, map = X·v₁ for the first right singular
    /// vector v₁ of X, oriented by <see cref="ComponentSign"/>. All zero when X is. Shared by Eigen-CAM, Eigen-Grad-CAM,
    /// Seg-Eigen-CAM and the EigenSmooth option.
    /// </summary>
    internal static void Project(ReadOnlySpan<double> values, int channels, int cells, Span<float> map)
    {
        // x[p, k], row-major, p = cell, k = channel.
        var x = new double[cells * channels];
        var mean = new double[channels];
        for (int k = 0; k < channels; k++)
        {
            for (int p = 0; p < cells; p++)
            {
                double v = values[(k * cells) + p];
                v = double.IsNaN(v) ? 0 : v;
                x[(p * channels) + k] = v;
                mean[k] += v / cells;
            }
        }

        for (int p = 0; p < cells; p++)
        {
            for (int k = 0; k < channels; k++)
            {
                x[(p * channels) + k] -= mean[k];
            }
        }

        var v1 = channels <= cells ? TopEigenvector(Gram(x, cells, channels, transposeFirst: true), channels) : RightFromLeft(x, cells, channels);
        if (v1 is null)
        {
            map.Clear();
            return;
        }

        var projection = new double[cells];
        for (int p = 0; p < cells; p++)
        {
            double s = 0;
            for (int k = 0; k < channels; k++)
            {
                s += x[(p * channels) + k] * v1[k];
            }

            projection[p] = s;
        }

        ComponentSign.Orient(projection);
        for (int p = 0; p < cells; p++)
        {
            map[p] = (float)projection[p];
        }
    }

    /// <summary>XᵀX (k×k) when <paramref name="transposeFirst"/>, else XXᵀ (cells×cells), for X [cells, k] row-major.</summary>
    private static double[] Gram(double[] x, int cells, int channels, bool transposeFirst)
    {
        int n = transposeFirst ? channels : cells;
        var m = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                double s = 0;
                if (transposeFirst)
                {
                    for (int p = 0; p < cells; p++)
                    {
                        s += x[(p * channels) + i] * x[(p * channels) + j];
                    }
                }
                else
                {
                    for (int k = 0; k < channels; k++)
                    {
                        s += x[(i * channels) + k] * x[(j * channels) + k];
                    }
                }

                m[(i * n) + j] = s;
                m[(j * n) + i] = s;
            }
        }

        return m;
    }

    private static double[]? RightFromLeft(double[] x, int cells, int channels)
    {
        var u = TopEigenvector(Gram(x, cells, channels, transposeFirst: false), cells);
        if (u is null)
        {
            return null;
        }

        var v = new double[channels];
        for (int p = 0; p < cells; p++)
        {
            for (int k = 0; k < channels; k++)
            {
                v[k] += x[(p * channels) + k] * u[p];
            }
        }

        double norm = Math.Sqrt(v.Sum(t => t * t));
        if (norm == 0)
        {
            return null;
        }

        for (int k = 0; k < channels; k++)
        {
            v[k] /= norm;
        }

        return v;
    }

    /// <summary>The unit eigenvector of the largest eigenvalue of symmetric <paramref name="m"/> (n×n), by cyclic Jacobi; null for a zero matrix.</summary>
    internal static double[]? TopEigenvector(double[] m, int n)
    {
        var a = (double[])m.Clone();
        var vectors = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            vectors[(i * n) + i] = 1;
        }

        double total = a.Sum(t => t * t);
        if (total == 0)
        {
            return null;
        }

        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int i = 0; i < n; i++)
            {
                for (int j = i + 1; j < n; j++)
                {
                    off += a[(i * n) + j] * a[(i * n) + j];
                }
            }

            if (off <= 1e-30 * total)
            {
                break;
            }

            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[(p * n) + q];
                    if (Math.Abs(apq) < 1e-300)
                    {
                        continue;
                    }

                    double theta = (a[(q * n) + q] - a[(p * n) + p]) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
                    if (theta == 0)
                    {
                        t = 1;
                    }

                    double c = 1 / Math.Sqrt((t * t) + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[(k * n) + p], akq = a[(k * n) + q];
                        a[(k * n) + p] = (c * akp) - (s * akq);
                        a[(k * n) + q] = (s * akp) + (c * akq);
                    }

                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[(p * n) + k], aqk = a[(q * n) + k];
                        a[(p * n) + k] = (c * apk) - (s * aqk);
                        a[(q * n) + k] = (s * apk) + (c * aqk);
                    }

                    for (int k = 0; k < n; k++)
                    {
                        double vkp = vectors[(k * n) + p], vkq = vectors[(k * n) + q];
                        vectors[(k * n) + p] = (c * vkp) - (s * vkq);
                        vectors[(k * n) + q] = (s * vkp) + (c * vkq);
                    }
                }
            }
        }

        int best = 0;
        for (int i = 1; i < n; i++)
        {
            best = a[(i * n) + i] > a[(best * n) + best] ? i : best;
        }

        var result = new double[n];
        for (int k = 0; k < n; k++)
        {
            result[k] = vectors[(k * n) + best];
        }

        return result;
    }

    /// <summary>Squarings of the normalised Gram matrix in the graph: 2^12 = 4096 power iterations.</summary>
    internal const int GraphSquarings = 12;

    /// <summary>
    /// In the graph there is no SVD: v₁ is the top eigenvector of M = XᵀX by a fixed number of power iterations, done
    /// as <see cref="GraphSquarings"/> repeated squarings M ← M²/max|M²| (M converges to v₁v₁ᵀ up to scale), v₁ then
    /// read as M's largest column, normalised. Same centring, NaN rule and sign rule as <see cref="Map"/>. Accurate when
    /// λ₂/λ₁ is not within about 1e-3 of 1 (else v₁ is ill-defined for the SVD too).
    /// </summary>
    internal override string? EmitRawMap(GraphEmitter g, string activations, string gradients) =>
        EmitProjection(g, onGradientTimesActivation ? g.Mul(activations, gradients) : activations);

    /// <summary><see cref="Project"/> in the graph: values [N, C, h, w] → [N, h, w] (see <see cref="EmitRawMap"/>).</summary>
    internal static string EmitProjection(GraphEmitter g, string values)
    {
        var zero = g.Scalar(0);
        values = g.Where(g.Node("IsNaN", [values]), zero, values);
        var x = g.Reshape(values, g.Int64s(0, 0, -1));                      // [N, C, P]
        var mean = g.ReduceMean(x, [2], keepDims: true);                     // [N, C, 1]
        var centred = g.Sub(x, mean);
        var m = g.Node("MatMul", [centred, g.Transpose(centred, [0, 2, 1])]); // [N, C, C]
        var tiny = g.Scalar(1e-30);
        m = g.Div(m, g.Add(g.ReduceMax(g.Node("Abs", [m]), [1, 2], keepDims: true), tiny));
        for (int i = 0; i < GraphSquarings; i++)
        {
            var squared = g.Node("MatMul", [m, m]);
            m = g.Div(squared, g.Add(g.ReduceMax(g.Node("Abs", [squared]), [1, 2], keepDims: true), tiny));
        }

        var columnNorms = g.ReduceSum(g.Mul(m, m), [1], keepDims: false);   // [N, C]
        var largest = g.Node("ArgMax", [columnNorms], AttributeValue.Int("axis", 1), AttributeValue.Int("keepdims", 0));
        var depth = g.Node("Slice", [g.Shape(m), g.Int64s(2), g.Int64s(3)]);
        var pick = g.Node("OneHot", [largest, depth, g.Constant(TensorElementType.Float, [2], [0.0, 1.0])], AttributeValue.Int("axis", -1));
        var v = g.Node("MatMul", [m, g.Unsqueeze(pick, [2])]);               // [N, C, 1]
        var norm = g.Node("Sqrt", [g.ReduceSum(g.Mul(v, v), [1], keepDims: true)]);
        v = g.Where(g.Node("Greater", [norm, zero]), g.Div(v, g.Add(norm, tiny)), g.ZerosLike(v));
        var projection = g.Node("MatMul", [g.Transpose(centred, [0, 2, 1]), v]); // [N, P, 1]

        // Sign (ComponentSign): the projection's largest-magnitude value is positive — flip when |min| > |max|.
        var max = g.ReduceMax(projection, [1, 2], keepDims: true);
        var min = g.ReduceMin(projection, [1, 2], keepDims: true);
        var sign = g.Where(g.Node("Greater", [g.Node("Abs", [min]), g.Node("Abs", [max])]), g.Scalar(-1), g.Scalar(1));
        return g.ReshapeLike(g.Mul(sign, projection), g.ReduceSum(values, [1], keepDims: false));
    }
}
