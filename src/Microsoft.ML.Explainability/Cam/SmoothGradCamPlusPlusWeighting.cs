using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cam;

/// <summary>
/// Smooth Grad-CAM++ (Omeiza et al., "Smooth Grad-CAM++: An Enhanced Inference Level Visualization Technique for Deep
/// Convolutional Neural Network Models", 2019) as torch-cam's <c>SmoothGradCAMpp</c> with its defaults (4 samples,
/// σ = 0.3 absolute noise on the input): over noisy copies x + 𝒩(0, σ²) the gradient powers are averaged,
/// D₂ = mean G², D₃ = mean G³; αᵏᵢⱼ = D₂ / (2·D₂ + Σₐᵦ D₃ᵏₐᵦ·Aᵏₐᵦ + 1e-8) (torch-cam's correction of the paper's
/// numerator); wₖ = Σᵢⱼ αᵏᵢⱼ·ReLU(Gᵏᵢⱼ); map = Σₖ wₖAᵏ. A and G are those of the clean input, as torch-cam's formula
/// states (its code reuses the tensors its hooks last saw, those of the last noisy copy). The noisy copies of a batch
/// run as one gradient batch, split by <see cref="ExecutionOptions.BatchSize"/>.
/// </summary>
internal sealed class SmoothGradCamPlusPlusWeighting : CamWeighting
{
    public const int DefaultSamples = 4;
    public const double DefaultNoise = 0.3;

    public override bool RunsModel => true;

    public override FloatTensor RawMaps(CamBatch batch)
    {
        int samples = batch.Options.Samples ?? DefaultSamples;
        double sigma = batch.Options.NoiseLevel ?? DefaultNoise;
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1, nameof(CamOptions.Samples));
        int n = batch.Rows, rowLength = batch.Input.RowLength, c = batch.Channels, cells = batch.Height * batch.Width, layerRow = c * cells;
        var random = new Random(batch.Options.Seed);
        var noisy = new float[n * samples * rowLength];
        for (int r = 0; r < n; r++)
        {
            var x = batch.Input.Row(r);
            for (int s = 0; s < samples; s++)
            {
                int offset = ((r * samples) + s) * rowLength;
                for (int i = 0; i < rowLength; i++)
                {
                    noisy[offset + i] = (float)(x[i] + (sigma * CamNoise.Gaussian(random)));
                }
            }
        }

        long[]? targets = batch.Targets is null ? null : Enumerable.Range(0, n * samples).Select(i => batch.Targets[i / samples]).ToArray();
        FloatTensor? seed = null;
        if (batch.Seed is { } given)
        {
            int k = given.RowLength;
            var data = new float[n * samples * k];
            for (int i = 0; i < n * samples; i++)
            {
                given.Row(i / samples).CopyTo(data.AsSpan(i * k, k));
            }

            seed = new FloatTensor(data, [n * samples, .. given.Shape.Skip(1)]);
        }

        var gradientsAt = batch.GradientsAt ?? throw new InvalidOperationException("Smooth Grad-CAM++ needs the explainer's gradient passes.");
        var (_, g) = gradientsAt(new FloatTensor(noisy, [n * samples, .. batch.Input.Shape.Skip(1)]), batch.Inputs.RepeatEach(samples), targets, seed);
        var weights = new double[n * c];
        for (int r = 0; r < n; r++)
        {
            for (int k = 0; k < c; k++)
            {
                var d2 = new double[cells];
                var d3 = new double[cells];
                for (int s = 0; s < samples; s++)
                {
                    var gs = g.AsSpan((((r * samples) + s) * layerRow) + (k * cells), cells);
                    for (int p = 0; p < cells; p++)
                    {
                        double v = gs[p];
                        d2[p] += v * v / samples;
                        d3[p] += v * v * v / samples;
                    }
                }

                var a = batch.Activations.AsSpan((r * layerRow) + (k * cells), cells);
                var clean = batch.Gradients.AsSpan((r * layerRow) + (k * cells), cells);
                double sumD3A = 0;
                for (int p = 0; p < cells; p++)
                {
                    sumD3A += d3[p] * a[p];
                }

                double w = 0;
                for (int p = 0; p < cells; p++)
                {
                    w += d2[p] / ((2 * d2[p]) + sumD3A + 1e-8) * Math.Max(0, clean[p]);
                }

                weights[(r * c) + k] = w;
            }
        }

        return WeightedSums(batch, weights);
    }
}
