using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// The score weighting shared by torch-cam's Score-CAM variants (SS-CAM, IS-CAM): each channel Aᵏ is min-max normalised
/// at layer resolution, Mᵏ = (Aᵏ − min)/(max − min + 1e-8) (torch-cam's <c>_normalize</c>), then upsampled to the input
/// size by bilinear interpolation with half-pixel centres (<c>F.interpolate(align_corners=False)</c>); for each of S
/// samples the input x is replaced by cₛ·(M̃ᵏₛ ⊙ x) (the mask broadcast over the input channels); and
/// wₖ = softmaxₖ((1/S)·Σₛ (y(masked) − y(x))). The S·C forward passes per image run in batches of
/// <see cref="ExecutionOptions.BatchSize"/> rows. Subclasses give S, cₛ and the perturbed mask M̃ᵏₛ.
/// </summary>
internal abstract class TorchCamScoreWeighting : CamWeighting
{
    public override bool UsesGradients => false;

    public override bool RunsModel => true;

    /// <summary>S for these options.</summary>
    protected abstract int Samples(CamOptions options);

    /// <summary>cₛ, the factor of sample <paramref name="sample"/> (0-based) of <paramref name="samples"/>.</summary>
    protected virtual double Scale(int sample, int samples) => 1;

    /// <summary>Perturbs the upsampled mask of one channel for one sample in place (default: unchanged).</summary>
    protected virtual void Perturb(Span<float> mask, Random random, CamOptions options)
    {
    }

    public override FloatTensor RawMaps(CamBatch batch)
    {
        if (batch.Input.Rank != 4)
        {
            throw new InputMismatchException($"{GetType().Name[..^"Weighting".Length]} multiplies the input image by upsampled channels; it needs an image input [N, C, H, W], not {batch.Input.ShapeText}.");
        }

        int samples = Samples(batch.Options);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1, nameof(CamOptions.Samples));
        var forward = batch.Forward();
        int n = batch.Rows, c = batch.Channels, h = batch.Height, w = batch.Width, cells = h * w, rowsPerCall = batch.Execution.BatchSize;
        int inChannels = (int)batch.Input.Shape[1], height = (int)batch.Input.Shape[2], width = (int)batch.Input.Shape[3], plane = height * width;
        var baseline = batch.Scores;
        var random = new Random(batch.Options.Seed);
        var weights = new double[n * c];
        var normalised = new float[cells];
        for (int r = 0; r < n; r++)
        {
            var x = batch.Input.Row(r).ToArray();
            var masks = new float[c * plane];
            for (int k = 0; k < c; k++)
            {
                batch.Activations.AsSpan(((r * c) + k) * cells, cells).CopyTo(normalised);
                float min = normalised.Min();
                for (int p = 0; p < cells; p++)
                {
                    normalised[p] -= min;
                }

                float scale = normalised.Max() + 1e-8f;
                for (int p = 0; p < cells; p++)
                {
                    normalised[p] /= scale;
                }

                ImageOps.ResizeHalfPixel(normalised, h, w, masks.AsSpan(k * plane, plane), height, width);
            }

            var total = new double[c];
            var mask = new float[plane];
            for (int s = 0; s < samples; s++)
            {
                double factor = Scale(s, samples);
                for (int start = 0; start < c; start += rowsPerCall)
                {
                    batch.Cancellation.ThrowIfCancellationRequested();
                    int count = Math.Min(rowsPerCall, c - start);
                    var masked = new float[count * inChannels * plane];
                    for (int i = 0; i < count; i++)
                    {
                        masks.AsSpan((start + i) * plane, plane).CopyTo(mask);
                        Perturb(mask, random, batch.Options);
                        for (int ch = 0; ch < inChannels; ch++)
                        {
                            int offset = ch * plane, target = (i * inChannels * plane) + offset;
                            for (int p = 0; p < plane; p++)
                            {
                                masked[target + p] = (float)(factor * (mask[p] * x[offset + p]));
                            }
                        }
                    }

                    var outputs = forward.Run(new FloatTensor(masked, count, inChannels, height, width), batch.Inputs.OfRow(r, count), batch.Cancellation)[batch.Model.Output];
                    var scores = ExplainedModel.Scores(outputs, batch.Targets, batch.Seed, _ => r);
                    for (int i = 0; i < count; i++)
                    {
                        total[start + i] += (double)scores[i] - baseline[r];
                    }
                }
            }

            double top = total.Max() / samples, sum = 0;
            for (int k = 0; k < c; k++)
            {
                weights[(r * c) + k] = Math.Exp((total[k] / samples) - top);
                sum += weights[(r * c) + k];
            }

            for (int k = 0; k < c; k++)
            {
                weights[(r * c) + k] /= sum;
            }
        }

        return WeightedSums(batch, weights);
    }
}
