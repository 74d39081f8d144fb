using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Transformers;

/// <summary>
/// A hand-built pre-norm vision transformer over given tokens, as PyTorch exports timm's blocks:
/// tokens [N, T, C] → L × (LayerNorm → q/k/v MatMul → Reshape/Transpose to heads → Softmax(q·kᵀ/√d) → A·V →
/// Transpose/Reshape → MatMul → residual Add; LayerNorm → MatMul → GELU as x·½(1 + erf(x/√2)) → MatMul → residual Add)
/// → LayerNorm → Gather token 0 → Gemm → logits. Holds its weights and computes the same forward in float64 in C#,
/// with the attention probabilities of any block replaceable (to differentiate with respect to them).
/// </summary>
internal sealed class TinyTransformer
{
    private readonly Block[] _blocks;
    private readonly float[] _finalGamma;
    private readonly float[]? _finalBeta;
    private readonly float[] _head;
    private readonly float[]? _headBias;

    private readonly bool _identityAfterSoftmax;

    public TinyTransformer(int tokens, int channels, int heads, int blocks, int hidden, int classes, bool biases, int seed, bool identityAfterSoftmax = false)
    {
        _identityAfterSoftmax = identityAfterSoftmax;
        Tokens = tokens;
        Channels = channels;
        Heads = heads;
        Hidden = hidden;
        Classes = classes;
        var random = new Random(seed);
        float[] Values(int n, double low = -1, double high = 1) => Enumerable.Range(0, n).Select(_ => (float)(low + ((high - low) * random.NextDouble()))).ToArray();
        float[]? Bias(int n) => biases ? Values(n, -0.3, 0.3) : null;
        _blocks = Enumerable.Range(0, blocks).Select(_ => new Block(
            Values(channels, 0.5, 1.5), Bias(channels), Values(channels * channels), Bias(channels), Values(channels * channels), Bias(channels),
            Values(channels * channels), Bias(channels), Values(channels * channels), Bias(channels),
            Values(channels, 0.5, 1.5), Bias(channels), Values(channels * hidden), Bias(hidden), Values(hidden * channels), Bias(channels))).ToArray();
        _finalGamma = Values(channels, 0.5, 1.5);
        _finalBeta = Bias(channels);
        _head = Values(classes * channels, -2, 2);
        _headBias = Bias(classes);
        (Model, AttentionTensors, Norm1Outputs) = BuildGraph();
    }

    public int Tokens { get; }

    public int Channels { get; }

    public int Heads { get; }

    public int Hidden { get; }

    public int Classes { get; }

    public OnnxModel Model { get; }

    /// <summary>The Softmax outputs, one per block.</summary>
    public IReadOnlyList<string> AttentionTensors { get; }

    /// <summary>The first LayerNormalization output of each block (the attention's input).</summary>
    public IReadOnlyList<string> Norm1Outputs { get; }

    /// <summary>The head bias of a class (0 without biases).</summary>
    public double HeadBias(int k) => _headBias?[k] ?? 0;

    /// <summary>The logits of one row x [T·C] in float64, observed or altered by <paramref name="probe"/>.</summary>
    public double[] Forward(ReadOnlySpan<float> x, Probe? probe = null) => Forward(x.ToArray().Select(v => (double)v).ToArray(), probe);

    /// <summary>The logits of one row x [T·C] in float64, observed or altered by <paramref name="probe"/>.</summary>
    public double[] Forward(double[] x, Probe? probe = null)
    {
        int t = Tokens, c = Channels, h = Heads, d = c / h;
        var current = (double[])x.Clone();
        probe?.Rewind();
        for (int b = 0; b < _blocks.Length; b++)
        {
            var p = _blocks[b];
            var n1 = LayerNorm(current, p.Gamma1, p.Beta1, probe);
            if (probe is { Norm1Block: var nb } && nb == b)
            {
                probe.Norm1 = (double[])n1.Clone();
                if (probe.Norm1Replacement is { } r)
                {
                    n1 = (double[])r.Clone();
                }
            }

            var q = Linear(n1, p.Wq, p.Bq, c, c);
            var k = Linear(n1, p.Wk, p.Bk, c, c);
            var v = Linear(n1, p.Wv, p.Bv, c, c);
            var a = new double[h * t * t];
            for (int head = 0; head < h; head++)
            {
                for (int i = 0; i < t; i++)
                {
                    var row = new double[t];
                    for (int j = 0; j < t; j++)
                    {
                        double s = 0;
                        for (int e = 0; e < d; e++)
                        {
                            s += q[(i * c) + (head * d) + e] * k[(j * c) + (head * d) + e];
                        }

                        row[j] = s / Math.Sqrt(d);
                    }

                    double max = row.Max(), sum = row.Sum(z => Math.Exp(z - max));
                    for (int j = 0; j < t; j++)
                    {
                        a[(((head * t) + i) * t) + j] = Math.Exp(row[j] - max) / sum;
                    }

                }
            }

            if (probe is not null)
            {
                a = probe.Attention(b, a);
            }

            var o = new double[t * c];
            for (int head = 0; head < h; head++)
            {
                for (int i = 0; i < t; i++)
                {
                    for (int e = 0; e < d; e++)
                    {
                        double s = 0;
                        for (int j = 0; j < t; j++)
                        {
                            s += a[(((head * t) + i) * t) + j] * v[(j * c) + (head * d) + e];
                        }

                        o[(i * c) + (head * d) + e] = s;
                    }
                }
            }

            var projected = Linear(o, p.Wo, p.Bo, c, c);
            for (int i = 0; i < current.Length; i++)
            {
                current[i] += projected[i];
            }

            var n2 = LayerNorm(current, p.Gamma2, p.Beta2, probe);
            var hidden = Linear(n2, p.W1, p.B1, c, Hidden);
            var gates = hidden.Select(z => 0.5 * (1 + Erf(z / Math.Sqrt(2)))).ToArray();
            if (probe is not null)
            {
                gates = probe.Gates(gates);
            }

            for (int i = 0; i < hidden.Length; i++)
            {
                hidden[i] *= gates[i];
            }

            var mlp = Linear(hidden, p.W2, p.B2, Hidden, c);
            for (int i = 0; i < current.Length; i++)
            {
                current[i] += mlp[i];
            }
        }

        var final = LayerNorm(current, _finalGamma, _finalBeta, probe);
        var logits = new double[Classes];
        for (int k = 0; k < Classes; k++)
        {
            double s = _headBias?[k] ?? 0;
            for (int e = 0; e < c; e++)
            {
                s += _head[(k * c) + e] * final[e];
            }

            logits[k] = s;
        }

        return logits;
    }

    /// <summary>erf in float64: its Maclaurin series for |x| ≤ 3, the asymptotic erfc series beyond.</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax <= 3)
        {
            double term = x, sum = x;
            for (int n = 1; n < 80; n++)
            {
                term *= -x * x / n;
                sum += term / ((2 * n) + 1);
            }

            return 2 / Math.Sqrt(Math.PI) * sum;
        }

        double inv = 1 / (ax * ax);
        double erfc = Math.Exp(-ax * ax) / (ax * Math.Sqrt(Math.PI)) * (1 - (inv / 2) + (3 * inv * inv / 4) - (15 * inv * inv * inv / 8));
        return Math.Sign(x) * (1 - erfc);
    }

    private double[] LayerNorm(double[] x, float[] gamma, float[]? beta, Probe? probe)
    {
        var invStd = new double[Tokens];
        int t = Tokens, c = Channels;
        var y = new double[x.Length];
        for (int i = 0; i < t; i++)
        {
            var token = x.AsSpan(i * c, c);
            double mean = 0;
            foreach (var v in token)
            {
                mean += v;
            }

            mean /= c;
            double variance = 0;
            foreach (var v in token)
            {
                variance += (v - mean) * (v - mean);
            }

            variance /= c;
            invStd[i] = 1 / Math.Sqrt(variance + 1e-5);
        }

        if (probe is not null)
        {
            invStd = probe.InvStd(invStd);
        }

        for (int i = 0; i < t; i++)
        {
            double mean = 0;
            for (int e = 0; e < c; e++)
            {
                mean += x[(i * c) + e];
            }

            mean /= c;
            for (int e = 0; e < c; e++)
            {
                y[(i * c) + e] = ((x[(i * c) + e] - mean) * invStd[i] * gamma[e]) + (beta?[e] ?? 0);
            }
        }

        return y;
    }

    /// <summary>y = x·W + b per token, W [in, out] row-major.</summary>
    private double[] Linear(double[] x, float[] w, float[]? b, int inputs, int outputs)
    {
        var y = new double[Tokens * outputs];
        for (int i = 0; i < Tokens; i++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double s = b?[o] ?? 0;
                for (int e = 0; e < inputs; e++)
                {
                    s += x[(i * inputs) + e] * w[(e * outputs) + o];
                }

                y[(i * outputs) + o] = s;
            }
        }

        return y;
    }

    private (OnnxModel Model, string[] Attention, string[] Norm1) BuildGraph()
    {
        int t = Tokens, c = Channels, h = Heads, d = c / h;
        var g = new TestGraph();
        var current = g.Input("tokens", -1, t, c);
        var headShape = g.Int64s("head_shape", 0, t, h, d);
        var tokenShape = g.Int64s("token_shape", 0, t, c);
        var scale = g.Constant("scale", [], [(float)(1 / Math.Sqrt(d))]);
        var sqrt2 = g.Constant("sqrt2", [], [(float)Math.Sqrt(2)]);
        var one = g.Constant("one", [], [1f]);
        var half = g.Constant("half", [], [0.5f]);
        var attention = new List<string>();
        var norm1 = new List<string>();
        string Linear(string x, string name, float[] w, float[]? b, int inputs, int outputs)
        {
            var y = g.Node("MatMul", [x, g.Constant(name, [inputs, outputs], w)]);
            return b is null ? y : g.Node("Add", [g.Constant(name + "_b", [outputs], b), y]);
        }

        string Norm(string x, string name, float[] gamma, float[]? beta) =>
            g.Node("LayerNormalization", beta is null ? [x, g.Constant(name, [c], gamma)] : [x, g.Constant(name, [c], gamma), g.Constant(name + "_b", [c], beta)],
                AttributeValue.Int("axis", -1), AttributeValue.Float("epsilon", 1e-5f));

        for (int b = 0; b < _blocks.Length; b++)
        {
            var p = _blocks[b];
            var n1 = Norm(current, $"b{b}_g1", p.Gamma1, p.Beta1);
            norm1.Add(n1);
            var q = g.Node("Transpose", [g.Node("Reshape", [Linear(n1, $"b{b}_q", p.Wq, p.Bq, c, c), headShape])], AttributeValue.Ints("perm", [0, 2, 1, 3]));
            var kT = g.Node("Transpose", [g.Node("Reshape", [Linear(n1, $"b{b}_k", p.Wk, p.Bk, c, c), headShape])], AttributeValue.Ints("perm", [0, 2, 3, 1]));
            var v = g.Node("Transpose", [g.Node("Reshape", [Linear(n1, $"b{b}_v", p.Wv, p.Bv, c, c), headShape])], AttributeValue.Ints("perm", [0, 2, 1, 3]));
            var scores = g.Node("Mul", [g.Node("MatMul", [q, kT]), scale]);
            var a = g.Node("Softmax", [scores], AttributeValue.Int("axis", -1));
            attention.Add(a);
            var used = _identityAfterSoftmax ? g.Node("Identity", [a]) : a;
            var o = g.Node("Reshape", [g.Node("Transpose", [g.Node("MatMul", [used, v])], AttributeValue.Ints("perm", [0, 2, 1, 3])), tokenShape]);
            current = g.Node("Add", [current, Linear(o, $"b{b}_o", p.Wo, p.Bo, c, c)]);
            var n2 = Norm(current, $"b{b}_g2", p.Gamma2, p.Beta2);
            var hidden = Linear(n2, $"b{b}_fc1", p.W1, p.B1, c, Hidden);
            var gate = g.Node("Add", [g.Node("Erf", [g.Node("Div", [hidden, sqrt2])]), one]);
            var gelu = g.Node("Mul", [g.Node("Mul", [hidden, gate]), half]);
            current = g.Node("Add", [current, Linear(gelu, $"b{b}_fc2", p.W2, p.B2, Hidden, c)]);
        }

        var final = Norm(current, "final_g", _finalGamma, _finalBeta);
        g.Graph.Initializer.Add(TensorProtos.Int64("class_index", [], [0]));
        var cls = g.Node("Gather", [final, "class_index"], AttributeValue.Int("axis", 1));
        var head = g.Constant("head", [Classes, c], _head);
        var logits = g.Node("Gemm", _headBias is null ? [cls, head] : [cls, head, g.Constant("head_b", [Classes], _headBias)], AttributeValue.Int("transB", 1));
        return (g.Output(logits).Build(), attention.ToArray(), norm1.ToArray());
    }

    /// <summary>
    /// Observes and alters a forward pass: records every block's attention probabilities, every LayerNorm's 1/σ and
    /// every GELU gate Φ; replaces one block's attention or its first LayerNorm output; or, when frozen, reuses the
    /// recorded 1/σ, attentions and gates (the network then is an affine function of its input — what transformer
    /// LRP's rules differentiate).
    /// </summary>
    public sealed class Probe
    {
        private readonly List<double[]> _invStd = [];
        private readonly List<double[]> _gates = [];
        private int _invStdCursor;
        private int _gateCursor;

        /// <summary>Each block's attention probabilities [H·T·T] of the last recording pass.</summary>
        public List<double[]> Attentions { get; } = [];

        public int ReplacedBlock { get; init; } = -1;

        public double[]? Replacement { get; init; }

        public int Norm1Block { get; init; } = -1;

        public double[]? Norm1Replacement { get; init; }

        /// <summary>The first LayerNorm output of <see cref="Norm1Block"/> seen last.</summary>
        public double[]? Norm1 { get; set; }

        /// <summary>Reuse what was recorded instead of recomputing 1/σ, attentions and gates.</summary>
        public bool Frozen { get; set; }

        internal void Rewind()
        {
            _invStdCursor = 0;
            _gateCursor = 0;
            if (!Frozen)
            {
                _invStd.Clear();
                _gates.Clear();
                Attentions.Clear();
            }
        }

        internal double[] Attention(int block, double[] computed)
        {
            if (Frozen)
            {
                return Attentions[block];
            }

            var a = block == ReplacedBlock ? (double[])Replacement!.Clone() : computed;
            Attentions.Add(a);
            return a;
        }

        internal double[] InvStd(double[] computed) => Record(_invStd, ref _invStdCursor, computed);

        internal double[] Gates(double[] computed) => Record(_gates, ref _gateCursor, computed);

        private double[] Record(List<double[]> list, ref int cursor, double[] computed)
        {
            if (Frozen)
            {
                return list[cursor++];
            }

            list.Add(computed);
            cursor++;
            return computed;
        }
    }

    private sealed record Block(
        float[] Gamma1, float[]? Beta1, float[] Wq, float[]? Bq, float[] Wk, float[]? Bk, float[] Wv, float[]? Bv, float[] Wo, float[]? Bo,
        float[] Gamma2, float[]? Beta2, float[] W1, float[]? B1, float[] W2, float[]? B2);
}
