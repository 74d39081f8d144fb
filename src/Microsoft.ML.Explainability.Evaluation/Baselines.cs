using System.Numerics.Tensors;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Evaluation;

/// <summary>Builds baselines b(x) of the same shape as the inputs.</summary>
public static class Baselines
{
    /// <summary>The baseline of every input row, per <paramref name="options"/>.</summary>
    public static FloatTensor Create(FloatTensor inputs, BaselineOptions? options = null)
    {
        EvaluationGuard.RequireInputs(inputs);
        options ??= new BaselineOptions();
        var layout = FeatureLayout.Of(inputs);
        var result = new float[inputs.Length];
        var random = new Random(options.Seed);
        for (int r = 0; r < inputs.BatchSize; r++)
        {
            var x = inputs.Row(r);
            var b = result.AsSpan(r * inputs.RowLength, inputs.RowLength);
            switch (options.Kind)
            {
                case BaselineKind.Zero:
                    break;
                case BaselineKind.Mean:
                    for (int c = 0; c < layout.Channels; c++)
                    {
                        var plane = x.Slice(c * layout.Features, layout.Features);
                        double sum = 0;
                        foreach (var v in plane)
                        {
                            sum += v;
                        }

                        b.Slice(c * layout.Features, layout.Features).Fill((float)(sum / layout.Features));
                    }

                    break;
                case BaselineKind.Blur:
                    for (int c = 0; c < layout.Channels; c++)
                    {
                        GaussianBlur(x.Slice(c * layout.Features, layout.Features), b.Slice(c * layout.Features, layout.Features), layout.Height, layout.Width, options.BlurSigma);
                    }

                    break;
                case BaselineKind.UniformNoise:
                    float min = float.MaxValue, max = float.MinValue;
                    foreach (var v in x)
                    {
                        min = Math.Min(min, v);
                        max = Math.Max(max, v);
                    }

                    for (int i = 0; i < b.Length; i++)
                    {
                        b[i] = (float)(min + ((max - min) * random.NextDouble()));
                    }

                    break;
                case BaselineKind.Black:
                    b.Fill(TensorPrimitives.Min(x));
                    break;
                case BaselineKind.White:
                    b.Fill(TensorPrimitives.Max(x));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "Unknown baseline kind.");
            }
        }

        return new FloatTensor(result, (long[])inputs.Shape.Clone());
    }

    /// <summary>Separable Gaussian blur of one H×W plane with clamped edges.</summary>
    internal static void GaussianBlur(ReadOnlySpan<float> source, Span<float> target, int height, int width, double sigma)
    {
        if (sigma <= 0)
        {
            source.CopyTo(target);
            return;
        }

        int radius = (int)Math.Ceiling(3 * sigma);
        var kernel = new double[(2 * radius) + 1];
        double total = 0;
        for (int k = -radius; k <= radius; k++)
        {
            kernel[k + radius] = Math.Exp(-(k * k) / (2 * sigma * sigma));
            total += kernel[k + radius];
        }

        for (int k = 0; k < kernel.Length; k++)
        {
            kernel[k] /= total;
        }

        var temp = new double[height * width];
        for (int i = 0; i < height; i++)
        {
            for (int j = 0; j < width; j++)
            {
                double sum = 0;
                for (int k = -radius; k <= radius; k++)
                {
                    sum += kernel[k + radius] * source[(i * width) + Math.Clamp(j + k, 0, width - 1)];
                }

                temp[(i * width) + j] = sum;
            }
        }

        for (int i = 0; i < height; i++)
        {
            for (int j = 0; j < width; j++)
            {
                double sum = 0;
                for (int k = -radius; k <= radius; k++)
                {
                    sum += kernel[k + radius] * temp[(Math.Clamp(i + k, 0, height - 1) * width) + j];
                }

                target[(i * width) + j] = (float)sum;
            }
        }
    }
}
