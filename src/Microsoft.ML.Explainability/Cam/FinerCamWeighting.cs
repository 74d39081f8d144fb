using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Finer-CAM (Zhang et al., "Finer-CAM: Spotting the Difference Reveals Finer Details for Visual Explanation", CVPR
/// 2025), as pytorch-grad-cam's <c>FinerCAM</c> with its defaults (base method Grad-CAM, α = 1, comparison categories
/// = ranks 1, 2, 3): the explained score of a row with target class m is
/// s = Σⱼ pⱼ·(y_m − α·yⱼ) / (Σⱼ pⱼ + 1e-9) over the comparison classes j — the classes whose logits are closest to
/// y_m (|yⱼ − y_m| ascending, ties by index), p = softmax(y) — pytorch-grad-cam's <c>FinerWeightedTarget</c>.
/// Its gradient flows through p as in the reference; the seed is ∂s/∂y at the row's outputs, so the layer gradient is
/// exactly ∂s/∂A and the Grad-CAM weighting is applied to it. A model with fewer than 4 classes compares with all the
/// others. With a caller-given seed, the seed is explained as given (plain Grad-CAM).
/// </summary>
internal sealed class FinerCamWeighting(double alpha, int comparisons) : CamWeighting
{
    public override bool ExplainsOwnScore => true;

    public override bool RunsModel => true;

    public override void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map) =>
        WeightedSum(a, GradCamWeighting.Weights(g, channels, cells), channels, cells, map);

    public override (FloatTensor Seed, float[] Scores)? ScoreSeed(FloatTensor outputs, long[] classes)
    {
        int rows = outputs.BatchSize, k = outputs.RowLength;
        if (k < 2)
        {
            throw new InputMismatchException($"Finer-CAM compares the target class with similar classes; the output has {k} class(es).");
        }

        var seed = new float[rows * k];
        var scores = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            var y = outputs.Row(r).ToArray().Select(v => (double)v).ToArray();
            var (score, gradient) = ScoreAndGradient(y, (int)classes[r], ComparisonClasses(y, (int)classes[r], comparisons), alpha);
            scores[r] = (float)score;
            for (int i = 0; i < k; i++)
            {
                seed[(r * k) + i] = (float)gradient[i];
            }
        }

        return (new FloatTensor(seed, outputs.Shape), scores);
    }

    /// <summary>The <paramref name="count"/> classes other than <paramref name="target"/> with the closest logits (ties by index).</summary>
    internal static int[] ComparisonClasses(double[] y, int target, int count) =>
        Enumerable.Range(0, y.Length).Where(j => j != target).OrderBy(j => Math.Abs(y[j] - y[target])).ThenBy(j => j).Take(count).ToArray();

    /// <summary>s = Σⱼ pⱼ(y_m − α yⱼ)/(Σⱼ pⱼ + 1e-9) with p = softmax(y), and ∂s/∂y.</summary>
    internal static (double Score, double[] Gradient) ScoreAndGradient(double[] y, int m, int[] comparison, double alpha)
    {
        int k = y.Length;
        double top = y.Max();
        var p = y.Select(v => Math.Exp(v - top)).ToArray();
        double z = p.Sum();
        for (int i = 0; i < k; i++)
        {
            p[i] /= z;
        }

        double numerator = 0, sum = 0;
        foreach (var j in comparison)
        {
            numerator += p[j] * (y[m] - (alpha * y[j]));
            sum += p[j];
        }

        double denominator = sum + 1e-9;

        // ∂pⱼ/∂yᵢ = pⱼ(δᵢⱼ − pᵢ); ∂(y_m − α yⱼ)/∂yᵢ = δᵢₘ − α δᵢⱼ.
        var dNumerator = new double[k];
        var dSum = new double[k];
        for (int i = 0; i < k; i++)
        {
            dNumerator[i] = (-p[i] * numerator) + (i == m ? sum : 0);
            dSum[i] = -p[i] * sum;
        }

        foreach (var j in comparison)
        {
            double d = y[m] - (alpha * y[j]);
            dNumerator[j] += (p[j] * d) - (alpha * p[j]);
            dSum[j] += p[j];
        }

        var gradient = new double[k];
        for (int i = 0; i < k; i++)
        {
            gradient[i] = ((dNumerator[i] * denominator) - (numerator * dSum[i])) / (denominator * denominator);
        }

        return (numerator / denominator, gradient);
    }
}
