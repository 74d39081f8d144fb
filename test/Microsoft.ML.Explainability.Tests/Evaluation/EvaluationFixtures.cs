using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>A linear classifier f(x) = W·flatten(x) + b over [N, 1, 28, 28] with known weights, and Fashion-MNIST images in [0, 1].</summary>
internal sealed class LinearFixture
{
    public const int Classes = 10;
    public const int Pixels = 784;

    public LinearFixture(int seed = 3, bool positiveWeights = false)
    {
        var random = new Random(seed);
        Weights = Enumerable.Range(0, Classes * Pixels).Select(_ => (float)(positiveWeights ? random.NextDouble() : (random.NextDouble() * 2) - 1)).ToArray();
        Bias = Enumerable.Range(0, Classes).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var t = new TestGraph();
        var x = t.Input("input", -1, 1, 28, 28);
        var flat = t.Node("Flatten", [x], AttributeValue.Int("axis", 1));
        var w = t.Constant("W", [Classes, Pixels], Weights);
        var b = t.Constant("b", [Classes], Bias);
        var logits = t.Node("Gemm", [flat, w, b], AttributeValue.Int("transB", 1));
        Model = t.Output(logits).Build();
        OutputName = logits;
    }

    public OnnxModel Model { get; }

    /// <summary>f(x) = W·x over [N, features] inputs, W [classes, features] row-major, no bias.</summary>
    public static OnnxModel Build(float[] weights, int classes, int features)
    {
        var t = new TestGraph();
        var x = t.Input("input", -1, features);
        var w = t.Constant("W", [classes, features], weights);
        var logits = t.Node("Gemm", [x, w], AttributeValue.Int("transB", 1));
        return t.Output(logits).Build();
    }

    public string OutputName { get; }

    public float[] Weights { get; }

    public float[] Bias { get; }

    public double Logit(ReadOnlySpan<float> x, long c)
    {
        double z = Bias[c];
        for (int i = 0; i < Pixels; i++)
        {
            z += (double)Weights[(c * Pixels) + i] * x[i];
        }

        return z;
    }

    /// <summary>Fashion-MNIST test images scaled to [0, 1], [count, 1, 28, 28].</summary>
    public static FloatTensor Images(int count, int offset = 0)
    {
        var (images, _) = TestAssets.FashionMnist(offset + count);
        var data = new float[count * Pixels];
        for (int n = 0; n < count; n++)
        {
            for (int p = 0; p < Pixels; p++)
            {
                data[(n * Pixels) + p] = images[offset + n][p] / 255f;
            }
        }

        return new FloatTensor(data, count, 1, 28, 28);
    }

    /// <summary>The exact attribution of a linear model, a_i = x_i · W[c, i].</summary>
    public FloatTensor InputTimesWeight(FloatTensor inputs, long[] targets)
    {
        var result = FloatTensor.Zeros(inputs.Shape);
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            for (int i = 0; i < Pixels; i++)
            {
                result.Data[(n * Pixels) + i] = inputs.Data[(n * Pixels) + i] * Weights[(targets[n] * Pixels) + i];
            }
        }

        return result;
    }

    /// <summary>The gradient of logit c, W[c, ·], for every row.</summary>
    public FloatTensor Gradient(FloatTensor inputs, long[] targets)
    {
        var result = FloatTensor.Zeros(inputs.Shape);
        for (int n = 0; n < inputs.BatchSize; n++)
        {
            Weights.AsSpan((int)targets[n] * Pixels, Pixels).CopyTo(result.Row(n));
        }

        return result;
    }

    public long[] Predicted(FloatTensor inputs) =>
        Enumerable.Range(0, inputs.BatchSize).Select(n => (long)Enumerable.Range(0, Classes).MaxBy(c => Logit(inputs.Row(n), c))).ToArray();

    public static FloatTensor RandomAttribution(long[] shape, int seed)
    {
        var random = new Random(seed);
        var count = (int)shape.Aggregate(1L, (a, b) => a * b);
        return new FloatTensor(Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray(), shape);
    }
}

/// <summary>Collects progress reports synchronously (unlike <see cref="Progress{T}"/>, which posts them).</summary>
internal sealed class ProgressLog : IProgress<EvaluationProgress>
{
    public List<EvaluationProgress> Reports { get; } = [];

    public void Report(EvaluationProgress value) => Reports.Add(value);
}
