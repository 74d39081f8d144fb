namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// One CAM method's map for one image, from its activations A and gradients G in channels-first order
/// [C, h·w] (pytorch-grad-cam's <c>get_cam_image</c>). Sums are accumulated in float64.
/// </summary>
internal abstract class CamWeighting
{
    /// <summary>Whether the method reads the gradients (Eigen-CAM, Score-CAM and Ablation-CAM do not).</summary>
    public virtual bool UsesGradients => true;

    /// <summary>Writes the raw map (before ReLU and normalisation) of one image into <paramref name="map"/> [h·w].</summary>
    public abstract void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map);

    /// <summary>The weighting of <paramref name="method"/>; Score-CAM and Ablation-CAM need forward passes and have none.</summary>
    public static CamWeighting For(CamMethod method) => method switch
    {
        CamMethod.GradCam => new GradCamWeighting(),
        CamMethod.HiResCam => new HiResCamWeighting(),
        CamMethod.GradCamElementWise => new GradCamElementWiseWeighting(),
        CamMethod.XGradCam => new XGradCamWeighting(),
        CamMethod.GradCamPlusPlus => new GradCamPlusPlusWeighting(),
        CamMethod.LayerCam => new LayerCamWeighting(),
        CamMethod.EigenCam => new EigenCamWeighting(onGradientTimesActivation: false),
        CamMethod.EigenGradCam => new EigenCamWeighting(onGradientTimesActivation: true),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Score-CAM and Ablation-CAM weights come from forward passes of the model; use CamExplainer."),
    };

    /// <summary>map = Σₖ wₖ·Aₖ.</summary>
    public static void WeightedSum(ReadOnlySpan<float> a, ReadOnlySpan<double> weights, int channels, int cells, Span<float> map)
    {
        var sum = new double[cells];
        for (int k = 0; k < channels; k++)
        {
            double w = weights[k];
            var ak = a.Slice(k * cells, cells);
            for (int p = 0; p < cells; p++)
            {
                sum[p] += w * ak[p];
            }
        }

        for (int p = 0; p < cells; p++)
        {
            map[p] = (float)sum[p];
        }
    }

    /// <summary>map = Σₖ f(Aₖ, Gₖ) cell by cell.</summary>
    protected static void ElementWiseSum(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map, Func<double, double, double> f)
    {
        var sum = new double[cells];
        for (int i = 0; i < channels * cells; i++)
        {
            sum[i % cells] += f(a[i], g[i]);
        }

        for (int p = 0; p < cells; p++)
        {
            map[p] = (float)sum[p];
        }
    }
}
