using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// A CAM method's weighting strategy: how the raw map [h, w] of an image comes from its activations A and gradients
/// G in channels-first order [C, h·w] (pytorch-grad-cam's <c>get_cam_weights</c> / <c>get_cam_image</c>). Most
/// weightings work image by image (<see cref="Map"/>); those that need forward passes of the model (Score-CAM,
/// Ablation-CAM) override <see cref="RawMaps"/> and read the model from the <see cref="CamBatch"/>. Sums are
/// accumulated in float64. A new CAM method is one subclass plus one line in <see cref="ExplanationMethods"/>.
/// </summary>
internal abstract class CamWeighting
{
    /// <summary>Whether the method reads the gradients (Eigen-CAM, Score-CAM and Ablation-CAM do not).</summary>
    public virtual bool UsesGradients => true;

    /// <summary>Whether the method reads H·A, the Hessian-vector product of the target score at the layer (Shapley-CAM).</summary>
    public virtual bool UsesSecondOrder => false;

    /// <summary>Whether the method runs the model itself (forward or gradient passes, or a score of the outputs), so that its maps cannot come from given activations and gradients alone.</summary>
    public virtual bool RunsModel => false;

    /// <summary>
    /// The score the method explains instead of the class logit (Finer-CAM's weighted difference), appended to the
    /// model by the explainer (<see cref="Targets.ExplanationTarget"/>); null (the default): the class logit or the
    /// caller's target.
    /// </summary>
    public virtual Targets.ExplanationTarget? Target => null;

    /// <summary>
    /// Whether the map is a channel sum of weighted activations Σₖ Wᵏ (pytorch-grad-cam's <c>get_cam_image</c> and the
    /// overrides that honour its <c>eigen_smooth</c>), so that <see cref="EigenSmooth"/> can replace the sum by a
    /// projection. False for maps that already are projections (Eigen-CAM, Eigen-Grad-CAM, KPCA-CAM, Seg-Eigen-CAM) and
    /// for FEM, whose pytorch-grad-cam form ignores <c>eigen_smooth</c>.
    /// </summary>
    public virtual bool SupportsEigenSmooth => true;

    /// <summary>
    /// pytorch-grad-cam's <c>eigen_smooth</c>: the map is the first-principal-component projection of the weighted
    /// activations Wᵏ (<see cref="EigenCamWeighting.Project"/>, with <see cref="ComponentSign"/>'s sign rule) instead of
    /// their sum over channels. Set by the explainer before the first map, only where <see cref="SupportsEigenSmooth"/>.
    /// </summary>
    public bool EigenSmooth { get; set; }

    /// <summary>How the post-processed maps of several target layers are combined (<see cref="LayerAggregation.Mean"/>, pytorch-grad-cam's default).</summary>
    public virtual LayerAggregation Aggregation => LayerAggregation.Mean;

    /// <summary>The raw maps [N, h, w] of a batch (before ReLU and normalisation); by default <see cref="Map"/> image by image.</summary>
    public virtual FloatTensor RawMaps(CamBatch batch) =>
        MapEachImage(batch.Activations, batch.Gradients, batch.Rows, batch.Channels, batch.Height, batch.Width);

    /// <summary><see cref="Map"/> for each of <paramref name="n"/> images: activations and gradients [N, C, h, w] → maps [N, h, w].</summary>
    public FloatTensor MapEachImage(float[] a, float[]? g, int n, int c, int h, int w)
    {
        int cells = h * w, row = c * cells;
        var result = new float[n * cells];
        for (int r = 0; r < n; r++)
        {
            var gr = g is null ? ReadOnlySpan<float>.Empty : g.AsSpan(r * row, row);
            Map(a.AsSpan(r * row, row), gr, c, cells, result.AsSpan(r * cells, cells));
        }

        return new FloatTensor(result, n, h, w);
    }

    /// <summary>Writes the raw map (before ReLU and normalisation) of one image into <paramref name="map"/> [h·w].</summary>
    public virtual void Map(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map) =>
        throw new NotSupportedException($"{GetType().Name} computes its maps from forward passes of the model, not image by image.");

    /// <summary>
    /// map = Σₖ wₖ·Aᵏ, or with <see cref="EigenSmooth"/> the first-principal-component projection of the weighted
    /// activations wₖ·Aᵏ (pytorch-grad-cam's <c>get_cam_image</c>).
    /// </summary>
    protected void WeightedSum(ReadOnlySpan<float> a, ReadOnlySpan<double> weights, int channels, int cells, Span<float> map)
    {
        if (EigenSmooth)
        {
            var weighted = new double[channels * cells];
            for (int i = 0; i < weighted.Length; i++)
            {
                weighted[i] = weights[i / cells] * a[i];
            }

            EigenCamWeighting.Project(weighted, channels, cells, map);
            return;
        }

        SumWeighted(a, weights, channels, cells, map);
    }

    /// <summary>map = Σₖ wₖ·Aᵏ (sums in float64).</summary>
    internal static void SumWeighted(ReadOnlySpan<float> a, ReadOnlySpan<double> weights, int channels, int cells, Span<float> map)
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

    /// <summary><see cref="WeightedSum"/> for every row of a batch, weights [N·C] → maps [N, h, w].</summary>
    protected FloatTensor WeightedSums(CamBatch batch, double[] weights)
    {
        int c = batch.Channels, cells = batch.Height * batch.Width;
        var data = new float[batch.Rows * cells];
        for (int r = 0; r < batch.Rows; r++)
        {
            WeightedSum(batch.Activations.AsSpan(r * c * cells, c * cells), weights.AsSpan(r * c, c), c, cells, data.AsSpan(r * cells, cells));
        }

        return new FloatTensor(data, batch.Rows, batch.Height, batch.Width);
    }

    /// <summary>
    /// map = Σₖ f(Aᵏ, Gᵏ) cell by cell, or with <see cref="EigenSmooth"/> the first-principal-component projection of
    /// the element-wise weighted activations f(Aᵏ, Gᵏ) (pytorch-grad-cam's HiResCAM, LayerCAM, GradCAMElementWise).
    /// </summary>
    protected void ElementWiseSum(ReadOnlySpan<float> a, ReadOnlySpan<float> g, int channels, int cells, Span<float> map, Func<double, double, double> f)
    {
        if (EigenSmooth)
        {
            var weighted = new double[channels * cells];
            for (int i = 0; i < weighted.Length; i++)
            {
                weighted[i] = f(a[i], g[i]);
            }

            EigenCamWeighting.Project(weighted, channels, cells, map);
            return;
        }

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

    /// <summary>
    /// The same raw map as ONNX nodes, for the explanation compiler: activations and gradients [N, C, h, w] → [N, h, w]
    /// (before ReLU and normalisation). Null when the weighting is not one fixed computation on A and G (it runs the
    /// model). Written next to <see cref="Map"/> in each weighting's file so the two cannot drift apart.
    /// </summary>
    internal virtual string? EmitRawMap(GraphEmitter g, string activations, string gradients) => null;

    /// <summary>
    /// <see cref="EmitRawMap(GraphEmitter, string, string)"/> for a weighting that <see cref="UsesSecondOrder"/>: also
    /// given H·A, the Hessian of the score applied to the activations ([N, C, h, w]).
    /// </summary>
    internal virtual string? EmitRawMap(GraphEmitter g, string activations, string gradients, string hessianTimesActivations) => null;

    /// <summary>Refuses a target layer the weighting cannot explain (before any session runs or graph is compiled).</summary>
    /// <exception cref="Explainers.TargetLayerException">The layer does not suit the weighting.</exception>
    internal virtual void CheckLayer(Explainers.TargetLayer layer)
    {
    }

    /// <summary>Σₖ wₖ·Aᵏ in the graph: weights [N, C, 1, 1] and activations [N, C, h, w] → [N, h, w].</summary>
    internal static string EmitWeightedSum(GraphEmitter g, string weights, string activations) =>
        g.ReduceSum(g.Mul(weights, activations), [1], keepDims: false);
}
