using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// The CAM arithmetic on tensors already at hand (activations and gradients from a <see cref="GradientSession"/>, or
/// loaded from elsewhere): raw maps and pytorch-grad-cam's post-processing. <see cref="CamExplainer"/> uses these.
/// </summary>
public static class CamMaps
{
    /// <summary>
    /// The raw map of <paramref name="method"/> at layer resolution, [N, h, w], before ReLU and normalisation
    /// (pytorch-grad-cam's <c>get_cam_image</c>; Captum's <c>LayerGradCam</c> with <c>relu_attributions=False</c>).
    /// See <see cref="ExplanationMethods"/> for each formula.
    /// </summary>
    /// <param name="method">A CAM method of <see cref="ExplanationMethods"/> other than those that run the model (Score-CAM, Ablation-CAM, SS-CAM, IS-CAM, Smooth Grad-CAM++, Finer-CAM).</param>
    /// <param name="activations">A, [N, C, h, w].</param>
    /// <param name="gradients">G = ∂y/∂A, [N, C, h, w]; may be null for Eigen-CAM.</param>
    public static FloatTensor Raw(ExplanationMethod method, FloatTensor activations, FloatTensor? gradients)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(method);
        var weighting = method.CreateWeighting();

        if (activations.Rank != 4)
        {
            throw new ArgumentException($"Activations must be [N, C, h, w]; got {activations.ShapeText}.", nameof(activations));
        }

        if (weighting.UsesGradients && (gradients is null || !gradients.Shape.SequenceEqual(activations.Shape)))
        {
            throw new ArgumentException($"{method} needs gradients of the activations' shape {activations.ShapeText}; got {gradients?.ShapeText ?? "none"}.", nameof(gradients));
        }

        var (n, c, h, w) = ((int)activations.Shape[0], (int)activations.Shape[1], (int)activations.Shape[2], (int)activations.Shape[3]);
        if (weighting.RunsModel)
        {
            throw new ArgumentOutOfRangeException(nameof(method), method.Name, $"{method.DisplayName} runs the model (forward or gradient passes, or a score of its outputs); use CamExplainer.");
        }

        return weighting.MapEachImage(activations.Data, gradients?.Data, n, c, h, w);
    }

    /// <summary>Σₖ wₖ·Aᵏ per row: activations [N, C, h, w], weights [N, C] → [N, h, w].</summary>
    public static FloatTensor WeightedSum(FloatTensor activations, FloatTensor weights)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(weights);
        if (activations.Rank != 4 || weights.Rank != 2 || weights.Shape[0] != activations.Shape[0] || weights.Shape[1] != activations.Shape[1])
        {
            throw new ArgumentException($"Activations [N, C, h, w] and weights [N, C] expected; got {activations.ShapeText} and {weights.ShapeText}.", nameof(weights));
        }

        var (n, c, h, w) = ((int)activations.Shape[0], (int)activations.Shape[1], (int)activations.Shape[2], (int)activations.Shape[3]);
        var result = new float[n * h * w];
        for (int r = 0; r < n; r++)
        {
            var wr = weights.Row(r).ToArray().Select(v => (double)v).ToArray();
            CamWeighting.SumWeighted(activations.Row(r), wr, c, h * w, result.AsSpan(r * h * w, h * w));
        }

        return new FloatTensor(result, n, h, w);
    }

    /// <summary>
    /// pytorch-grad-cam's post-processing of a single-layer CAM, row by row: ReLU; m ← m − min(m), m ← m / (1e-7 + max(m));
    /// bilinear resize to <paramref name="height"/>×<paramref name="width"/> with half-pixel centres (as
    /// <c>cv2.resize</c>); then its multi-layer aggregation step on the one layer: ReLU (a no-op) and the same
    /// min-max once more. Values are in [0, 1); an all-zero map stays 0.
    /// </summary>
    /// <param name="raw">Raw maps [N, h, w].</param>
    /// <param name="height">Output height (the input image's).</param>
    /// <param name="width">Output width.</param>
    public static FloatTensor PostProcess(FloatTensor raw, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(raw);
        return Aggregate([raw], height, width, LayerAggregation.Mean);
    }

    /// <summary>
    /// The maps of a CAM over several target layers from each layer's raw maps [N, hₗ, wₗ] (rows aligned), as
    /// pytorch-grad-cam combines them. <see cref="LayerAggregation.Mean"/> (<c>compute_cam_per_layer</c> and
    /// <c>aggregate_multi_layers</c>): per layer ReLU, min-max (1e-7) and bilinear half-pixel resize to
    /// <paramref name="height"/>×<paramref name="width"/>; then ReLU, the mean over layers, min-max.
    /// <see cref="LayerAggregation.Product"/> (RefineCAM): per layer the single-layer result (<see cref="PostProcess"/>);
    /// then the product over layers, min-max. One layer under Mean is <see cref="PostProcess"/>.
    /// </summary>
    internal static FloatTensor Aggregate(IReadOnlyList<FloatTensor> raw, int height, int width, LayerAggregation aggregation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfZero(raw.Count, nameof(raw));
        foreach (var layer in raw)
        {
            if (layer.Rank != 3 || layer.BatchSize != raw[0].BatchSize)
            {
                throw new ArgumentException($"Raw maps must be [N, h, w] with the same N for every layer; got {string.Join(", ", raw.Select(r => r.ShapeText))}.", nameof(raw));
            }
        }

        int n = raw[0].BatchSize, plane = height * width;
        var result = new float[n * plane];
        var combined = new double[plane];
        var target = new float[plane];
        for (int r = 0; r < n; r++)
        {
            Array.Fill(combined, aggregation == LayerAggregation.Product ? 1.0 : 0.0);
            foreach (var layer in raw)
            {
                int h = (int)layer.Shape[1], w = (int)layer.Shape[2];
                var scratch = layer.Row(r).ToArray();
                ImageOps.Relu(scratch);
                ImageOps.MinMax(scratch);
                ImageOps.ResizeHalfPixel(scratch, h, w, target, height, width);
                if (aggregation == LayerAggregation.Product)
                {
                    ImageOps.Relu(target);
                    ImageOps.MinMax(target);
                }

                for (int p = 0; p < plane; p++)
                {
                    combined[p] = aggregation == LayerAggregation.Product ? combined[p] * target[p] : combined[p] + Math.Max(target[p], 0);
                }
            }

            var map = result.AsSpan(r * plane, plane);
            for (int p = 0; p < plane; p++)
            {
                map[p] = aggregation == LayerAggregation.Product ? (float)combined[p] : (float)(combined[p] / raw.Count);
            }

            ImageOps.MinMax(map);
        }

        return new FloatTensor(result, n, height, width);
    }

    /// <summary>
    /// Post-processing without the map ReLU, for studies of the ReLU's effect: each raw map m [N, h, w] is divided by
    /// max|m| (+1e-7), keeping its sign, and resized bilinearly with half-pixel centres to [N, <paramref name="height"/>,
    /// <paramref name="width"/>], as <see cref="PostProcess"/> resizes after its ReLU.
    /// </summary>
    public static FloatTensor SignedPostProcess(FloatTensor raw, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(raw);
        int n = raw.BatchSize, h = (int)raw.Shape[1], w = (int)raw.Shape[2];
        var result = new float[n * height * width];
        var scratch = new float[h * w];
        for (int r = 0; r < n; r++)
        {
            raw.Row(r).CopyTo(scratch);
            float max = 0;
            foreach (var value in scratch)
            {
                max = Math.Max(max, Math.Abs(value));
            }

            for (int p = 0; p < scratch.Length; p++)
            {
                scratch[p] /= max + 1e-7f;
            }

            ImageOps.ResizeHalfPixel(scratch, h, w, result.AsSpan(r * height * width, height * width), height, width);
        }

        return new FloatTensor(result, n, height, width);
    }

    /// <summary>
    /// <see cref="PostProcess"/> as ONNX nodes, for the explanation compiler: raw [N, h, w] → [N, H, W] by ReLU, min-max
    /// (1e-7), ONNX <c>Resize</c> linear with half-pixel centres (the taps of <c>ImageOps.ResizeHalfPixel</c>), ReLU, min-max.
    /// </summary>
    internal static string EmitPostProcess(GraphEmitter g, string raw, long height, long width) =>
        EmitAggregate(g, [raw], height, width, LayerAggregation.Mean);

    /// <summary><see cref="Aggregate"/> as ONNX nodes: each layer's raw [N, hₗ, wₗ] → [N, H, W].</summary>
    internal static string EmitAggregate(GraphEmitter g, IReadOnlyList<string> raw, long height, long width, LayerAggregation aggregation)
    {
        string? combined = null;
        foreach (var layer in raw)
        {
            var resized = EmitResize(g, g.Unsqueeze(EmitMinMax(g, g.Node("Relu", [layer]), [1, 2]), [1]), height, width);
            var scaled = aggregation == LayerAggregation.Product ? EmitMinMax(g, g.Node("Relu", [resized]), [2, 3]) : g.Node("Relu", [resized]);
            combined = combined is null ? scaled : aggregation == LayerAggregation.Product ? g.Mul(combined, scaled) : g.Add(combined, scaled);
        }

        var result = aggregation == LayerAggregation.Product || raw.Count == 1 ? combined! : g.Div(combined!, g.Scalar(raw.Count));
        return g.Squeeze(EmitMinMax(g, result, [2, 3]), [1]);
    }

    /// <summary>
    /// <c>ImageOps.ResizeHalfPixel</c> as an ONNX <c>Resize</c> (linear, half-pixel centres) of [N, C, h, w] to
    /// [N, C, <paramref name="height"/>, <paramref name="width"/>].
    /// </summary>
    internal static string EmitResize(GraphEmitter g, string maps, long height, long width)
    {
        var batchAndChannel = g.Node("Slice", [g.Shape(maps), g.Int64s(0), g.Int64s(2), g.Int64s(0)]);
        var sizes = g.Node("Concat", [batchAndChannel, g.Int64s(height, width)], AttributeValue.Int("axis", 0));
        return g.Node("Resize", [maps, "", "", sizes], AttributeValue.String("mode", "linear"), AttributeValue.String("coordinate_transformation_mode", "half_pixel"));
    }

    /// <summary><c>ImageOps.MinMax</c> over <paramref name="axes"/>: m ← m − min(m); m ← m / (1e-7 + max(m)).</summary>
    internal static string EmitMinMax(GraphEmitter g, string x, long[] axes)
    {
        var shifted = g.Sub(x, g.ReduceMin(x, axes, keepDims: true));
        return g.Div(shifted, g.Add(g.ReduceMax(shifted, axes, keepDims: true), g.Scalar(1e-7)));
    }
}
