using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Cam;

/// <summary>
/// x [N, 2, 5, 5] → Conv(3×3, pad 1, 4 channels) → [Relu] → GlobalAveragePool → Flatten → Gemm (5 classes), with its
/// weights, so tests can compute the layer activations and logits directly. The layer is 5×5 like the input, so every
/// bilinear upsampling of a layer map to the input is the identity.
/// </summary>
internal sealed class CamTestModel
{
    public const int Cin = 2, Cout = 4, Size = 5, Classes = 5, Cells = Size * Size;

    public CamTestModel(bool relu, int seed = 21)
    {
        var random = new Random(seed);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        ConvW = Values(Cout * Cin * 9);
        ConvB = Values(Cout);
        Fc = Values(Classes * Cout);
        FcB = Values(Classes);
        Relu = relu;
        var t = new TestGraph();
        var x = t.Input("x", -1, Cin, Size, Size);
        var conv = t.Node("Conv", [x, t.Constant("w", [Cout, Cin, 3, 3], ConvW), t.Constant("b", [Cout], ConvB)], AttributeValue.Ints("pads", [1, 1, 1, 1]));
        ConvOutput = conv;
        Layer = relu ? t.Node("Relu", [conv]) : conv;
        var gap = t.Node("GlobalAveragePool", [Layer]);
        var flat = t.Node("Flatten", [gap]);
        var logits = t.Node("Gemm", [flat, t.Constant("fc", [Classes, Cout], Fc), t.Constant("fcb", [Classes], FcB)], AttributeValue.Int("transB", 1));
        Model = t.Output(logits).Build();
    }

    public OnnxModel Model { get; }

    public string Layer { get; }

    /// <summary>The Conv's output (before the ReLU when there is one).</summary>
    public string ConvOutput { get; }

    public bool Relu { get; }

    public float[] ConvW { get; }

    public float[] ConvB { get; }

    public float[] Fc { get; }

    public float[] FcB { get; }

    /// <summary>The layer's activations of row <paramref name="row"/>, [Cout][Cells] (the Conv's output when <paramref name="beforeRelu"/>).</summary>
    public double[][] Activations(FloatTensor x, int row, bool beforeRelu = false)
    {
        var a = new double[Cout][];
        for (int o = 0; o < Cout; o++)
        {
            a[o] = new double[Cells];
            for (int i = 0; i < Size; i++)
            {
                for (int j = 0; j < Size; j++)
                {
                    double s = ConvB[o];
                    for (int c = 0; c < Cin; c++)
                    {
                        for (int di = 0; di < 3; di++)
                        {
                            for (int dj = 0; dj < 3; dj++)
                            {
                                int y = i + di - 1, z = j + dj - 1;
                                if (y >= 0 && y < Size && z >= 0 && z < Size)
                                {
                                    s += ConvW[(((((o * Cin) + c) * 3) + di) * 3) + dj] * x[row, c, y, z];
                                }
                            }
                        }
                    }

                    a[o][(i * Size) + j] = Relu && !beforeRelu ? Math.Max(0, s) : s;
                }
            }
        }

        return a;
    }

    /// <summary>Logits from the layer's activations.</summary>
    public double[] Logits(double[][] a) =>
        Enumerable.Range(0, Classes).Select(c => FcB[c] + Enumerable.Range(0, Cout).Sum(k => Fc[(c * Cout) + k] * a[k].Average())).ToArray();

    /// <summary>Logits of an input row [Cin·Size·Size].</summary>
    public double[] Logits(float[] row) => Logits(Activations(new FloatTensor(row, 1, Cin, Size, Size), 0));

    /// <summary>Σₖ wₖ·Aᵏ at cell <paramref name="p"/>.</summary>
    public static double WeightedSum(double[][] a, double[] w, int p) => Enumerable.Range(0, Cout).Sum(k => w[k] * a[k][p]);

    public static double[] Softmax(double[] v)
    {
        double top = v.Max();
        var e = v.Select(t => Math.Exp(t - top)).ToArray();
        return e.Select(t => t / e.Sum()).ToArray();
    }
}
