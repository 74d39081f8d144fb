using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Tests.Evaluation;

/// <summary>
/// The Quantus convention on the fixture CNN, 16 Fashion-MNIST images, saliency and Grad-CAM: every deterministic
/// registry metric against the value computed here from Quantus 0.6's definition with plain ONNX Runtime passes
/// (black = per-sample minimum, probabilities where Quantus's softmax is on, np.trapz with dx = 1 over the perturbed
/// points, stable index order for ties).
/// </summary>
[TestClass]
public sealed class QuantusConventionTests
{
    private const int Count = 16;
    private static OnnxModel _model = null!;
    private static InferenceSession _forward = null!;
    private static FloatTensor _x = null!;
    private static long[] _targets = null!;
    private static FloatTensor _masks = null!;
    private static Dictionary<string, FloatTensor> _explanations = null!;
    private static Dictionary<string, ExplainFunction> _explainers = null!;

    [ClassInitialize]
    public static void Initialize(TestContext context)
    {
        _ = context;
        _model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        // Plain ONNX Runtime with its default graph optimisations: the reference side runs about as many passes as the registry.
        _forward = new InferenceSession(_model.WithSymbolicBatch().ToBytes());
        _x = TestAssets.FashionMnistBatch(Count);
        _targets = Enumerable.Range(0, Count).Select(n => (long)ArgMax(Logits(_x.Row(n).ToArray()))).ToArray();
        _masks = ObjectMasks.BrighterThanBackground(_x);
        // One session per (method, model), reused across calls: continuity and input invariance call the method often.
        FloatTensor Saliency(OnnxModel m, FloatTensor batch, long[] targets)
        {
            var session = (GradientSession)Cached(("saliency", m), () => new GradientSession(GradientModel.Build(m, new GradientRequest { Output = "logits", WithRespectTo = [m.InputNames[0]] })));
            var g = session.Run(batch, targets).Gradients[m.InputNames[0]];
            return new FloatTensor(g.Data.Select(Math.Abs).ToArray(), g.Shape);
        }

        FloatTensor GradCam(OnnxModel m, FloatTensor batch, long[] targets)
        {
            var cam = (CamExplainer)Cached(("grad-cam", m), () => new CamExplainer(m));
            var maps = cam.Explain(batch, targets).Maps;
            return new FloatTensor(maps.Data, batch.Shape);
        }

        _explainers = new() { ["saliency"] = Saliency, ["grad-cam"] = GradCam };
        _explanations = _explainers.ToDictionary(kv => kv.Key, kv => kv.Value(_model, _x, _targets));
    }

    private static readonly Dictionary<(string, OnnxModel), IDisposable> Sessions = [];

    [ClassCleanup]
    public static void Cleanup()
    {
        _forward?.Dispose();
        foreach (var session in Sessions.Values)
        {
            session.Dispose();
        }
    }

    private static IDisposable Cached((string, OnnxModel) key, Func<IDisposable> create)
    {
        lock (Sessions)
        {
            if (!Sessions.TryGetValue(key, out var session))
            {
                session = create();
                Sessions[key] = session;
            }

            return session;
        }
    }

    [TestMethod]
    [DataRow("saliency")]
    [DataRow("grad-cam")]
    public void Deterministic_metrics_match_Quantus_definitions_computed_by_hand(string method)
    {
        var a = _explanations[method];
        using var scorer = new ModelScorer(_model, "logits");
        using var context = new MetricContext
        {
            Model = _model, Scorer = scorer, Inputs = _x, Explanations = a, Targets = _targets, Masks = _masks,
            Explain = _explainers[method], Convention = EvaluationConvention.Quantus,
        };
        var expected = Expected(method, a);
        foreach (var (name, values) in expected)
        {
            var actual = MetricRegistry.Find(name).Compute(context).PerSample;
            Assert.HasCount(Count, actual, name);
            for (int n = 0; n < Count; n++)
            {
                Assert.AreEqual(values[n], actual[n], 1e-4 + (1e-4 * Math.Abs(values[n])), $"{method} {name}, sample {n}");
            }
        }

        // Every registry metric whose value is deterministic under the Quantus convention is covered.
        string[] stochastic = ["road-morf", "road-lerf", "faithfulness-correlation", "infidelity-gaussian", "monotonicity-correlation", "sensitivity-n", "region-perturbation",
            "max-sensitivity", "average-sensitivity", "local-lipschitz-estimate", "relative-input-stability", "relative-output-stability", "relative-representation-stability",
            "mprt", "smooth-mprt", "efficient-mprt", "random-logit", "focus"];
        CollectionAssert.AreEquivalent(MetricRegistry.All.Select(m => m.Name).Except(stochastic).ToArray(), expected.Keys.ToArray());
    }

    private static Dictionary<string, double[]> Expected(string method, FloatTensor explanations)
    {
        var result = new Dictionary<string, double[]>();
        void Put(string name, Func<int, double> value) => result[name] = Enumerable.Range(0, Count).Select(value).ToArray();
        var x = Enumerable.Range(0, Count).Select(n => _x.Row(n).ToArray()).ToArray();
        var a = Enumerable.Range(0, Count).Select(n => explanations.Row(n).ToArray().Select(v => (double)v).ToArray()).ToArray();
        var black = x.Select(r => r.Min()).ToArray();
        var desc = a.Select(r => Enumerable.Range(0, 784).OrderByDescending(p => r[p]).ToArray()).ToArray();
        double P(int n, float[] row) => Softmax(Logits(row))[_targets[n]];
        double Z(int n, float[] row) => Logits(row)[_targets[n]];
        float[] Set(float[] row, IEnumerable<int> pixels, Func<int, float> value)
        {
            var copy = (float[])row.Clone();
            foreach (var p in pixels)
            {
                copy[p] = value(p);
            }

            return copy;
        }

        // Deletion / insertion: 50 steps of round(k·784/50) pixels, black, probability, trapz dx = 1 over k = 1…50.
        var counts = Enumerable.Range(0, 51).Select(k => (int)Math.Round(k * 784 / 50.0)).ToArray();
        Put("deletion", n => UnitTrapezoid(counts.Skip(1).Select(c => P(n, Set(x[n], desc[n].Take(c), _ => black[n])))));
        Put("insertion", n => UnitTrapezoid(counts.Skip(1).Select(c => P(n, Set(Enumerable.Repeat(black[n], 784).ToArray(), desc[n].Take(c), p => x[n][p])))));

        // Pixel flipping: one pixel per step, most relevant first, black, probability, trapz dx = 1.
        var flipped = Enumerable.Range(0, Count).Select(n => Batch(Enumerable.Range(1, 784).Select(k => Set(x[n], desc[n].Take(k), _ => black[n])))).ToArray();
        Put("pixel-flipping", n => UnitTrapezoid(flipped[n].Select(z => Softmax(z)[_targets[n]])));

        // Faithfulness estimate: each pixel alone to black; Pearson(a_i, z(x) − z(x_i)) on logits.
        var single = Enumerable.Range(0, Count).Select(n => Batch(Enumerable.Range(0, 784).Select(p => Set(x[n], [p], _ => black[n])))).ToArray();
        Put("faithfulness-estimate", n => Pearson(a[n], single[n].Select(z => Z(n, x[n]) - z[_targets[n]]).ToArray()));

        // Monotonicity: from all-black, put pixels back in order of increasing |a|; 1 when the probability never falls.
        Put("monotonicity", n =>
        {
            var asc = Enumerable.Range(0, 784).OrderBy(p => Math.Abs(a[n][p])).ToArray();
            var curve = Batch(Enumerable.Range(1, 784).Select(k => Set(Enumerable.Repeat(black[n], 784).ToArray(), asc.Take(k), p => x[n][p]))).Select(z => Softmax(z)[_targets[n]]).ToArray();
            return Enumerable.Range(1, 783).All(k => curve[k] >= curve[k - 1]) ? 1 : 0;
        });

        // Patch infidelity: 4×4 patches row-major replaced cumulatively by black; mean (Δz − Σ a(x − x̃))².
        Put("infidelity-patch", n =>
        {
            var patches = Patches(4);
            double loss = 0;
            var current = x[n];
            foreach (var patch in patches)
            {
                current = Set(current, patch, _ => black[n]);
                double delta = Z(n, x[n]) - Z(n, current), s = Enumerable.Range(0, 784).Sum(p => a[n][p] * (x[n][p] - current[p]));
                loss += (delta - s) * (delta - s);
            }

            return loss / patches.Length;
        });

        // Selectivity: 8×8 patches (partial at the edges) by attribution sum, removed cumulatively; trapz dx = 1 of the probabilities.
        Put("selectivity", n =>
        {
            var order = Patches(8).OrderByDescending(q => q.Sum(p => a[n][p])).ToArray();
            return UnitTrapezoid(Enumerable.Range(1, order.Length).Select(k => P(n, Set(x[n], order.Take(k).SelectMany(q => q), _ => black[n]))));
        });

        // IROF with 4×4 segments (where Quantus runs SLIC): by mean attribution, replaced by the image mean; S − trapz(p_k/p_0).
        Put("irof", n =>
        {
            float mean = x[n].Average();
            var order = Patches(4).OrderByDescending(q => q.Average(p => a[n][p])).ToArray();
            double p0 = P(n, x[n]);
            return order.Length - UnitTrapezoid(Enumerable.Range(1, order.Length).Select(k => P(n, Set(x[n], order.Take(k).SelectMany(q => q), _ => mean)) / p0));
        });

        // Sufficiency (threshold 0.6, standardised Euclidean) and consistency (signs of the first five elements) on |a|/max|a|.
        var predicted = _targets;
        var normalised = a.Select(r => { double m = r.Max(Math.Abs); return r.Select(v => m > 0 ? Math.Abs(v) / m : 0).ToArray(); }).ToArray();
        var variance = Enumerable.Range(0, 784).Select(k => { double m = normalised.Average(r => r[k]); return normalised.Sum(r => (r[k] - m) * (r[k] - m)) / (Count - 1); }).ToArray();
        double Distance(int i, int j) => Math.Sqrt(Enumerable.Range(0, 784).Where(k => variance[k] > 0).Sum(k => Math.Pow(normalised[i][k] - normalised[j][k], 2) / variance[k]));
        Put("sufficiency", i =>
        {
            var close = Enumerable.Range(0, Count).Where(j => j != i && Distance(i, j) <= 0.6).ToArray();
            return close.Length == 0 ? 0 : (double)close.Count(j => predicted[j] == predicted[i]) / close.Length;
        });
        var labels = normalised.Select(r => string.Join(",", r.Take(5).Select(Math.Sign))).ToArray();
        Put("consistency", i =>
        {
            var same = Enumerable.Range(0, Count).Where(j => j != i && labels[j] == labels[i]).ToArray();
            return same.Length == 0 ? 0 : (double)same.Count(j => predicted[j] == predicted[i]) / same.Length;
        });

        // Localisation against the masks.
        var inside = Enumerable.Range(0, Count).Select(n => _masks.Row(n).ToArray().Select(v => v != 0).ToArray()).ToArray();
        Put("pointing-game", n => inside[n][Array.IndexOf(a[n], a[n].Max())] ? 1 : 0);
        Put("relevance-mass-accuracy", n => a[n].Where((v, p) => inside[n][p] && v > 0).Sum() / a[n].Where(v => v > 0).Sum());
        Put("relevance-mass-accuracy-signed", n => a[n].Where((_, p) => inside[n][p]).Sum() / a[n].Sum());
        Put("relevance-rank-accuracy", n => (double)desc[n].Take(inside[n].Count(v => v)).Count(p => inside[n][p]) / inside[n].Count(v => v));
        Put("attribution-localisation", n => a[n].Where((_, p) => inside[n][p]).Sum(Math.Abs) / a[n].Sum(Math.Abs));
        Put("auc", n =>
        {
            var ins = a[n].Where((_, p) => inside[n][p]).ToArray();
            var outs = a[n].Where((_, p) => !inside[n][p]).OrderBy(v => v).ToArray();
            double wins = ins.Sum(v => outs.Count(o => o < v) + (0.5 * outs.Count(o => o == v)));
            return wins / ((double)ins.Length * outs.Length);
        });
        Put("top-k-intersection", n => (double)inside[n].Count(v => v) / 784);

        // Complexity.
        Put("sparseness", n =>
        {
            var s = a[n].Select(Math.Abs).OrderBy(v => v).ToArray();
            return Enumerable.Range(1, 784).Sum(k => ((2.0 * k) - 785) * s[k - 1]) / (784 * s.Sum());
        });
        Put("complexity", n => { double t = a[n].Sum(Math.Abs); return -a[n].Select(v => Math.Abs(v) / t).Where(p => p > 0).Sum(p => p * Math.Log(p)); });
        Put("effective-complexity", n => { double m = a[n].Max(Math.Abs); return a[n].Count(v => Math.Abs(v) / m > 1e-5); });

        // Completeness: np.isclose(Σ a/max|a|, z(x) − z(black)).
        Put("completeness", n =>
        {
            double sum = a[n].Sum() / a[n].Max(Math.Abs), delta = Z(n, x[n]) - Z(n, Enumerable.Repeat(black[n], 784).ToArray());
            return Math.Abs(sum - delta) <= 1e-8 + (1e-5 * Math.Abs(delta)) ? 1 : 0;
        });

        // Non-sensitivity: per pixel, "|a|/max|a| < 1e-5" XOR "|Δp| < 1e-5" with the pixel alone at black.
        Put("non-sensitivity", n =>
        {
            double max = a[n].Max(Math.Abs), p0 = P(n, x[n]);
            return Enumerable.Range(0, 784).Count(p => (Math.Abs(a[n][p]) / max < 1e-5) ^ (Math.Abs(p0 - Softmax(single[n][p])[_targets[n]]) < 1e-5));
        });

        // Input invariance: the shifted model's first node undoes the shift, so gradients and CAM activations are
        // unchanged: both methods are input-invariant (1 for every sample).
        Put("input-invariance", _ => 1);

        // Continuity: 28 translations by t = −28 + 2k (k = 1…28), black fill; max ‖|Φ|/max − |Φ_t|/max‖₁ / ‖x − x_t‖₂.
        Put("continuity", n =>
        {
            var shifts = Enumerable.Range(1, 28).Select(k => -28 + (2 * k)).ToArray();
            var rows = shifts.Select(t => Enumerable.Range(0, 784).Select(p => { int j = (p % 28) - t; return j is >= 0 and < 28 ? x[n][(p / 28 * 28) + j] : black[n]; }).ToArray()).ToArray();
            var stack = new FloatTensor([.. x[n], .. rows.SelectMany(r => r)], 29, 1, 28, 28);
            var e = _explainers[method](_model, stack, Enumerable.Repeat(_targets[n], 29).ToArray());
            double[] Norm(int r) { var v = e.Row(r).ToArray().Select(f => Math.Abs((double)f)).ToArray(); double m = v.Max(); return v.Select(f => m > 0 ? f / m : 0).ToArray(); }
            var e0 = Norm(0);
            return Enumerable.Range(1, 28).Max(r => Norm(r).Zip(e0, (p, q) => Math.Abs(p - q)).Sum() / (Math.Sqrt(rows[r - 1].Zip(x[n], (p, q) => (double)(p - q) * (p - q)).Sum()) + 1e-9));
        });
        return result;
    }

    private static int[][] Patches(int side) =>
        [.. from i0 in Enumerable.Range(0, (28 + side - 1) / side)
            from j0 in Enumerable.Range(0, (28 + side - 1) / side)
            select Enumerable.Range(0, 784).Where(p => p / 28 / side == i0 && p % 28 / side == j0).ToArray()];

    private static float[] Logits(float[] row) => Run(row, 1).Data;

    private static FloatTensor Run(float[] rows, int count)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(rows, [count, 1, 28, 28]);
        using var runOptions = new RunOptions();
        using var outputs = _forward.Run(runOptions, ["input"], [value], ["logits"]);
        return new FloatTensor(outputs[0].GetTensorDataAsSpan<float>().ToArray(), count, 10);
    }

    private static float[][] Batch(IEnumerable<float[]> rows)
    {
        var all = rows.ToArray();
        var result = new List<float[]>();
        for (int start = 0; start < all.Length; start += 256)
        {
            var chunk = all.Skip(start).Take(256).ToArray();
            var z = Run(chunk.SelectMany(r => r).ToArray(), chunk.Length);
            result.AddRange(Enumerable.Range(0, chunk.Length).Select(r => z.Row(r).ToArray()));
        }

        return [.. result];
    }

    private static double[] Softmax(float[] z)
    {
        double max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        double s = e.Sum();
        return e.Select(v => v / s).ToArray();
    }

    private static int ArgMax(float[] z) => Array.IndexOf(z, z.Max());

    private static double UnitTrapezoid(IEnumerable<double> y)
    {
        var v = y.ToArray();
        return Enumerable.Range(0, v.Length - 1).Sum(k => (v[k] + v[k + 1]) / 2);
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double ab = a.Zip(b, (p, q) => (p - ma) * (q - mb)).Sum(), aa = a.Sum(p => (p - ma) * (p - ma)), bb = b.Sum(q => (q - mb) * (q - mb));
        return aa > 0 && bb > 0 ? ab / Math.Sqrt(aa * bb) : 0;
    }
}
