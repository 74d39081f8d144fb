using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Score-CAM's channel weights (Wang et al. 2020, pytorch-grad-cam's <c>ScoreCAM.get_cam_weights</c>): each channel
/// Aᵏ is upsampled to the input size by bilinear interpolation with aligned corners (<c>UpsamplingBilinear2d</c>),
/// normalised to Mᵏ = (Aᵏ − min)/(max − min + 1e-8), the input is multiplied by Mᵏ (broadcast over input channels),
/// and wₖ = softmaxₖ of the target scores of the C masked inputs. The C·N forward passes run in batches of
/// <see cref="ExecutionOptions.BatchSize"/> rows.
/// </summary>
internal sealed class ScoreCamWeighting : CamWeighting
{
    public override bool UsesGradients => false;

    public override bool RunsModel => true;

    public override FloatTensor RawMaps(CamBatch batch) =>
        WeightedSums(batch, Compute(batch.Forward(), batch.Inputs, batch.Model.Output, batch.Input, batch.Activations, batch.Layer, batch.Targets, batch.Seed, batch.Execution.BatchSize, batch.Cancellation));

    private static double[] Compute(ForwardRunner forward, FixedInputs others, string output, FloatTensor batch, float[] activations, TargetLayer layer, long[]? targets, FloatTensor? seed, int rowsPerCall, CancellationToken cancellationToken)
    {
        if (batch.Rank != 4)
        {
            throw new InputMismatchException($"Score-CAM multiplies the input image by upsampled channels; it needs an image input [N, C, H, W], not {batch.ShapeText}.");
        }

        int n = batch.BatchSize, c = layer.Channels, h = layer.Height, w = layer.Width, cells = h * w;
        int inChannels = (int)batch.Shape[1], height = (int)batch.Shape[2], width = (int)batch.Shape[3], plane = height * width;
        var weights = new double[n * c];
        var mask = new float[plane];
        for (int r = 0; r < n; r++)
        {
            var x = batch.Row(r).ToArray();
            var scores = new double[c];
            for (int start = 0; start < c; start += rowsPerCall)
            {
                int count = Math.Min(rowsPerCall, c - start);
                var masked = new float[count * inChannels * plane];
                for (int i = 0; i < count; i++)
                {
                    int k = start + i;
                    ImageOps.ResizeAlignCorners(activations.AsSpan(((r * c) + k) * cells, cells), h, w, mask, height, width);
                    float min = float.PositiveInfinity, max = float.NegativeInfinity;
                    foreach (var v in mask)
                    {
                        min = Math.Min(min, v);
                        max = Math.Max(max, v);
                    }

                    float range = max - min + 1e-8f;
                    for (int p = 0; p < plane; p++)
                    {
                        float m = (mask[p] - min) / range;
                        for (int ch = 0; ch < inChannels; ch++)
                        {
                            int offset = (ch * plane) + p;
                            masked[(i * inChannels * plane) + offset] = x[offset] * m;
                        }
                    }
                }

                var outputs = forward.Run(new FloatTensor(masked, count, inChannels, height, width), others.OfRow(r, count), cancellationToken)[output];
                var s = ExplainedModel.Scores(outputs, targets, seed, _ => r);
                for (int i = 0; i < count; i++)
                {
                    scores[start + i] = s[i];
                }
            }

            double top = scores.Max(), sum = 0;
            for (int k = 0; k < c; k++)
            {
                weights[(r * c) + k] = Math.Exp(scores[k] - top);
                sum += weights[(r * c) + k];
            }

            for (int k = 0; k < c; k++)
            {
                weights[(r * c) + k] /= sum;
            }
        }

        return weights;
    }
}
