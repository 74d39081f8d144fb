using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Attribution;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Guided Grad-CAM (Selvaraju et al. 2017): Guided Backprop ⊙ Grad-CAM, broadcast over the input channels, in one of two
/// conventions (<see cref="CamOptions.GuidedGradCamConvention"/>). By default as pytorch-grad-cam's example computes it:
/// the Guided Backprop gradient [N, C, H, W] multiplied by the post-processed Grad-CAM map ([0, 1], upsampled to the
/// input size with half-pixel bilinear interpolation). <see cref="GuidedGradCamConvention.Captum"/> follows Captum's
/// <c>GuidedGradCam</c>: the raw layer map, ReLU'd but not normalised, upsampled by nearest-neighbour interpolation.
/// Batched (pytorch-grad-cam's <c>GuidedBackpropReLUModel</c> handles one image). Holds ONNX Runtime sessions: dispose it.
/// </summary>
public sealed class GuidedGradCam : IExplainer
{
    private readonly CamExplainer _cam;
    private readonly GradientExplainer _guided;
    private readonly GuidedGradCamConvention _convention;

    /// <summary>Prepares both halves. <paramref name="options"/>' method is ignored (Grad-CAM is used).</summary>
    public GuidedGradCam(OnnxModel model, CamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new CamOptions();
        if (!Enum.IsDefined(options.GuidedGradCamConvention))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.GuidedGradCamConvention, "Unknown Guided Grad-CAM convention.");
        }

        _convention = options.GuidedGradCamConvention;
        _cam = new CamExplainer(model, new CamOptions
        {
            Method = ExplanationMethods.GradCam,
            TargetLayer = options.TargetLayer,
            TokenGrid = options.TokenGrid,
            Layout = options.Layout,
            Output = options.Output,
            ExplainedInput = options.ExplainedInput,
            Execution = options.Execution,
            Rules = options.Rules,
        });
        try
        {
            _guided = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.GuidedBackprop, Output = options.Output, ExplainedInput = options.ExplainedInput, Execution = options.Execution, Rules = options.Rules });
        }
        catch
        {
            _cam.Dispose();
            throw;
        }
    }

    /// <summary>The Grad-CAM target layer.</summary>
    public TargetLayer Layer => _cam.Layer;

    /// <summary>The convention the Grad-CAM factor follows.</summary>
    public GuidedGradCamConvention Convention => _convention;

    /// <summary>Explains each row for a class (−1 or null: the predicted class).</summary>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity.</exception>
    /// <exception cref="NonFiniteResultException">A row's model output, gradient or map holds NaN or ±Infinity although its input is finite (the exception names the row and the stage).</exception>
    /// <exception cref="InputMismatchException">The input is not an image [N, C, H, W], or bad targets.</exception>
    public AttributionResult Explain(FloatTensor batch, long[]? targets = null, CancellationToken cancellationToken = default) =>
        Explain(new ExplanationRequest(batch) { Targets = targets, Cancellation = cancellationToken });

    /// <summary>Explains each row for a caller-given seed on the output.</summary>
    public AttributionResult Explain(FloatTensor batch, FloatTensor seed, CancellationToken cancellationToken = default) =>
        Explain(new ExplanationRequest(batch) { Seed = seed, Cancellation = cancellationToken });

    private AttributionResult Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cam = _cam.Explain(request);

        // Guided Backprop explains the classes Grad-CAM resolved, so both halves explain the same score.
        var guided = _guided.Explain(request.Seed is null
            ? new ExplanationRequest(request.Batch) { Targets = cam.Targets, Inputs = request.Inputs, Cancellation = request.Cancellation }
            : request);
        return Combine(request.Batch, cam, guided, _convention);
    }

    /// <summary>Guided Backprop ⊙ the Grad-CAM factor of <paramref name="convention"/>, broadcast over the input channels.</summary>
    internal static AttributionResult Combine(FloatTensor batch, CamResult cam, AttributionResult guided, GuidedGradCamConvention convention)
    {
        if (batch.Rank != 4)
        {
            throw new InputMismatchException($"Guided Grad-CAM needs an image input [N, C, H, W]; got {batch.ShapeText}.");
        }

        int channels = (int)batch.Shape[1], height = (int)batch.Shape[2], width = (int)batch.Shape[3], plane = height * width;
        var factor = convention == GuidedGradCamConvention.Captum ? CaptumFactor(cam.RawMaps, height, width) : cam.Maps;
        var result = (float[])guided.Attributions.Data.Clone();
        for (int r = 0; r < batch.BatchSize; r++)
        {
            var map = factor.Row(r);
            for (int c = 0; c < channels; c++)
            {
                int offset = ((r * channels) + c) * plane;
                for (int p = 0; p < plane; p++)
                {
                    result[offset + p] *= map[p];
                }
            }
        }

        return new AttributionResult(new FloatTensor(result, batch.Shape), guided.Targets, guided.TargetScores);
    }

    /// <summary>Captum's factor: ReLU of the raw layer maps [N, h, w], upsampled nearest-neighbour to [N, H, W], not normalised.</summary>
    internal static FloatTensor CaptumFactor(FloatTensor raw, int height, int width)
    {
        int n = raw.BatchSize, h = (int)raw.Shape[1], w = (int)raw.Shape[2];
        var result = new float[n * height * width];
        for (int r = 0; r < n; r++)
        {
            var source = raw.Row(r);
            for (int y = 0; y < height; y++)
            {
                int sy = ImageOps.NearestSource(y, h, height);
                for (int x = 0; x < width; x++)
                {
                    result[(((r * height) + y) * width) + x] = Math.Max(0f, source[(sy * w) + ImageOps.NearestSource(x, w, width)]);
                }
            }
        }

        return new FloatTensor(result, n, height, width);
    }

    /// <inheritdoc/>
    public ExplanationMethod Method => ExplanationMethods.GuidedGradCam;

    /// <inheritdoc/>
    Explanation IExplainer.Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = Explain(request);
        return new Explanation(Method, result.Attributions, result.Targets, result.TargetScores, $"target layer {Layer}{(_convention == GuidedGradCamConvention.Captum ? ", Captum's convention" : "")}");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _cam.Dispose();
        _guided.Dispose();
    }
}
