using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Attribution;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Guided Grad-CAM (Selvaraju et al. 2017): Guided Backprop ⊙ Grad-CAM, as pytorch-grad-cam's example computes it —
/// the Guided Backprop gradient [N, C, H, W] multiplied by the post-processed Grad-CAM map ([0, 1], upsampled to the
/// input size with half-pixel bilinear interpolation), broadcast over the input channels. Captum's
/// <c>GuidedGradCam</c> multiplies by the raw layer map instead, upsampled by nearest-neighbour interpolation.
/// Batched (pytorch-grad-cam's <c>GuidedBackpropReLUModel</c> handles one image). Holds ONNX Runtime sessions: dispose it.
/// </summary>
public sealed class GuidedGradCam : IExplainer
{
    private readonly CamExplainer _cam;
    private readonly GradientExplainer _guided;

    /// <summary>Prepares both halves. <paramref name="options"/>' method is ignored (Grad-CAM is used).</summary>
    public GuidedGradCam(OnnxModel model, CamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new CamOptions();
        _cam = new CamExplainer(model, new CamOptions
        {
            Method = ExplanationMethods.GradCam,
            TargetLayer = options.TargetLayer,
            TokenGrid = options.TokenGrid,
            Layout = options.Layout,
            Output = options.Output,
            Execution = options.Execution,
            Rules = options.Rules,
        });
        try
        {
            _guided = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.GuidedBackprop, Output = options.Output, Execution = options.Execution, Rules = options.Rules });
        }
        catch
        {
            _cam.Dispose();
            throw;
        }
    }

    /// <summary>The Grad-CAM target layer.</summary>
    public TargetLayer Layer => _cam.Layer;

    /// <summary>Explains each row for a class (−1 or null: the predicted class).</summary>
    /// <exception cref="NonFiniteInputException">The batch holds NaN or ±Infinity.</exception>
    /// <exception cref="NonFiniteResultException">A row's model output, gradient or map holds NaN or ±Infinity although its input is finite (the exception names the row and the stage).</exception>
    /// <exception cref="InputMismatchException">The input is not an image [N, C, H, W], or bad targets.</exception>
    public AttributionResult Explain(FloatTensor batch, long[]? targets = null, CancellationToken cancellationToken = default)
    {
        var cam = _cam.Explain(batch, targets, cancellationToken);
        var guided = _guided.Explain(batch, cam.Targets, cancellationToken);
        return Combine(batch, cam, guided);
    }

    /// <summary>Explains each row for a caller-given seed on the output.</summary>
    public AttributionResult Explain(FloatTensor batch, FloatTensor seed, CancellationToken cancellationToken = default)
    {
        var cam = _cam.Explain(batch, seed, cancellationToken);
        return Combine(batch, cam, _guided.Explain(batch, seed, cancellationToken));
    }

    private static AttributionResult Combine(FloatTensor batch, CamResult cam, AttributionResult guided)
    {
        if (batch.Rank != 4)
        {
            throw new InputMismatchException($"Guided Grad-CAM needs an image input [N, C, H, W]; got {batch.ShapeText}.");
        }

        int channels = (int)batch.Shape[1], plane = (int)(batch.Shape[2] * batch.Shape[3]);
        var result = (float[])guided.Attributions.Data.Clone();
        for (int r = 0; r < batch.BatchSize; r++)
        {
            var map = cam.Maps.Row(r);
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

    /// <inheritdoc/>
    public ExplanationMethod Method => ExplanationMethods.GuidedGradCam;

    /// <inheritdoc/>
    Explanation IExplainer.Explain(ExplanationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = request.Seed is null ? Explain(request.Batch, request.Targets, request.Cancellation) : Explain(request.Batch, request.Seed, request.Cancellation);
        return new Explanation(Method, result.Attributions, result.Targets, result.TargetScores, $"target layer {Layer}");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _cam.Dispose();
        _guided.Dispose();
    }
}
