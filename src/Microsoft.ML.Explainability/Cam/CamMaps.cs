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
            CamWeighting.WeightedSum(activations.Row(r), wr, c, h * w, result.AsSpan(r * h * w, h * w));
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
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (raw.Rank != 3)
        {
            throw new ArgumentException($"Raw maps must be [N, h, w]; got {raw.ShapeText}.", nameof(raw));
        }

        int n = raw.BatchSize, h = (int)raw.Shape[1], w = (int)raw.Shape[2];
        var result = new float[n * height * width];
        var scratch = new float[h * w];
        for (int r = 0; r < n; r++)
        {
            raw.Row(r).CopyTo(scratch);
            ImageOps.Relu(scratch);
            ImageOps.MinMax(scratch);
            var target = result.AsSpan(r * height * width, height * width);
            ImageOps.ResizeHalfPixel(scratch, h, w, target, height, width);
            ImageOps.Relu(target);
            ImageOps.MinMax(target);
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
    internal static string EmitPostProcess(GraphEmitter g, string raw, long height, long width)
    {
        var normalised = EmitMinMax(g, g.Node("Relu", [raw]), [1, 2]);
        var resized = EmitResize(g, g.Unsqueeze(normalised, [1]), height, width);
        return g.Squeeze(EmitMinMax(g, g.Node("Relu", [resized]), [2, 3]), [1]);
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
