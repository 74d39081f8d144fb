using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability.Tests.Transformers;

/// <summary>
/// The transformer methods on a hand-built two-block, two-head transformer (1 class token + 3×3 patch tokens, width 4)
/// against computations done here in float64 from the model's weights: the forward pass, the attention
/// probabilities, and gradients by central differences — nothing taken from the library under test.
/// </summary>
[TestClass]
public sealed class TinyTransformerTests
{
    private const int Tokens = 10, Channels = 4, Heads = 2, Blocks = 2, Hidden = 8, Classes = 3, Rows = 3;

    private static TinyTransformer Model(bool biases) => new(Tokens, Channels, Heads, Blocks, Hidden, Classes, biases, seed: 5);

    private static FloatTensor Batch()
    {
        var random = new Random(11);
        var data = Enumerable.Range(0, Rows * Tokens * Channels).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        return new FloatTensor(data, Rows, Tokens, Channels);
    }

    private static int ArgMax(double[] v) => Array.IndexOf(v, v.Max());

    [TestMethod]
    public void Discovery_finds_every_block_the_token_grid_and_the_last_blocks_norm()
    {
        var tiny = Model(biases: true);
        var layout = AttentionDiscovery.Discover(tiny.Model);

        CollectionAssert.AreEqual(tiny.AttentionTensors.ToArray(), layout.Blocks.Select(b => b.Tensor).ToArray());
        Assert.AreEqual(Heads, layout.Heads);
        Assert.AreEqual(Tokens, layout.Tokens);
        Assert.AreEqual(1, layout.PrefixTokens);
        Assert.AreEqual(3, layout.GridHeight);
        Assert.AreEqual(3, layout.GridWidth);
        Assert.AreEqual(tiny.Norm1Outputs[^1], layout.TokenLayer!.Name);
        StringAssert.Contains(layout.Describe(), "1 prefix + 3×3 patch grid");

        // Overrides: the first block only, a 1 + 9 grid read as 1 + 3×3 explicitly, the first block's norm as token layer.
        var overridden = AttentionDiscovery.Discover(tiny.Model, new AttentionDiscoveryOptions
        {
            AttentionTensors = [tiny.AttentionTensors[0]],
            TokenGrid = new(1, 3, 3),
            TokenLayer = tiny.Norm1Outputs[0],
        });
        Assert.AreEqual(1, overridden.Blocks.Count);
        Assert.AreEqual(tiny.Norm1Outputs[0], overridden.TokenLayer!.Name);
        Assert.ThrowsExactly<AttentionDiscoveryException>(() => AttentionDiscovery.Discover(tiny.Model, new AttentionDiscoveryOptions { TokenGrid = new(2, 3, 3) }));
        Assert.ThrowsExactly<AttentionDiscoveryException>(() => AttentionDiscovery.Discover(tiny.Model, new AttentionDiscoveryOptions { AttentionTensors = ["tokens"] }));
    }

    [TestMethod]
    public void Rollout_matches_the_rollout_computed_by_hand_for_each_head_fusion_and_discarding()
    {
        var tiny = Model(biases: true);
        var batch = Batch();
        (HeadFusion Fusion, double Discard)[] configurations = [(HeadFusion.Mean, 0), (HeadFusion.Max, 0.3), (HeadFusion.Min, 0.5)];
        foreach (var (fusion, discard) in configurations)
        {
            using var explainer = new TransformerExplainer(tiny.Model, new TransformerOptions { Method = TransformerMethod.AttentionRollout, HeadFusion = fusion, DiscardRatio = discard });
            var result = explainer.Explain(batch);
            CollectionAssert.AreEqual(new long[] { Rows, 3, 3 }, result.RawMaps.Shape);
            for (int r = 0; r < Rows; r++)
            {
                var probe = new TinyTransformer.Probe();
                var logits = tiny.Forward(batch.Row(r), probe);
                Assert.AreEqual(ArgMax(logits), result.Targets[r]);
                var expected = HandRollout(probe.Attentions, fusion, discard);
                for (int p = 0; p < 9; p++)
                {
                    Assert.AreEqual(expected[0, 1 + p], result.RawMaps.Row(r)[p], 2e-6, $"{fusion}, discard {discard}, row {r}, patch {p}");
                }
            }
        }
    }

    [TestMethod]
    public void Gradient_weighted_attention_matches_the_rule_with_attention_gradients_by_central_differences()
    {
        var tiny = Model(biases: true);
        var batch = Batch();
        using var explainer = new TransformerExplainer(tiny.Model, new TransformerOptions { Method = TransformerMethod.GradientWeightedAttention });
        long[] targets = [-1, 0, 2];
        var result = explainer.Explain(batch, targets);
        for (int r = 0; r < Rows; r++)
        {
            var x = batch.Row(r).ToArray();
            var probe = new TinyTransformer.Probe();
            var logits = tiny.Forward(x, probe);
            int target = targets[r] < 0 ? ArgMax(logits) : (int)targets[r];
            Assert.AreEqual(target, result.Targets[r]);
            Assert.AreEqual(logits[target], result.TargetScores[r], 1e-4);

            // R = I; for each block R ← R + Ā·R with Ā = mean over heads of ReLU(∂y/∂A ⊙ A).
            var relevance = Identity(Tokens);
            for (int b = 0; b < Blocks; b++)
            {
                var a = probe.Attentions[b];
                var weighted = new double[Tokens, Tokens];
                for (int e = 0; e < a.Length; e++)
                {
                    const double step = 1e-6;
                    var plus = (double[])a.Clone();
                    var minus = (double[])a.Clone();
                    plus[e] += step;
                    minus[e] -= step;
                    double gradient = (tiny.Forward(x, new TinyTransformer.Probe { ReplacedBlock = b, Replacement = plus })[target]
                        - tiny.Forward(x, new TinyTransformer.Probe { ReplacedBlock = b, Replacement = minus })[target]) / (2 * step);
                    int ij = e % (Tokens * Tokens);
                    weighted[ij / Tokens, ij % Tokens] += Math.Max(0, gradient * a[e]) / Heads;
                }

                var update = Multiply(weighted, relevance);
                relevance = Add(relevance, update);
            }

            double scale = Enumerable.Range(1, 9).Max(p => Math.Abs(relevance[0, p]));
            Assert.IsGreaterThan(1e-3, scale, "the expected map should not be trivially zero");
            for (int p = 0; p < 9; p++)
            {
                Assert.AreEqual(relevance[0, 1 + p], result.RawMaps.Row(r)[p], (1e-4 * scale) + 1e-7, $"row {r}, patch {p}");
            }
        }

        // The post-processed maps are the grid maps' ReLU + min-max (non-image input: no resize).
        var map = result.Maps.Row(0).ToArray();
        Assert.AreEqual(1, map.Max(), 1e-5);
        Assert.AreEqual(0, map.Min(), 1e-7);
    }

    [TestMethod]
    public void Token_grad_cam_at_the_last_blocks_norm_matches_grad_cam_computed_by_hand()
    {
        var tiny = Model(biases: true);
        var batch = Batch();
        using var explainer = new TransformerExplainer(tiny.Model, new TransformerOptions { Method = TransformerMethod.TokenGradCam });
        var result = explainer.Explain(batch);
        for (int r = 0; r < Rows; r++)
        {
            var x = batch.Row(r).ToArray();
            var probe = new TinyTransformer.Probe { Norm1Block = Blocks - 1 };
            var logits = tiny.Forward(x, probe);
            int target = ArgMax(logits);
            var activations = probe.Norm1!;
            var gradients = new double[activations.Length];
            for (int e = 0; e < activations.Length; e++)
            {
                const double step = 1e-6;
                var plus = (double[])activations.Clone();
                var minus = (double[])activations.Clone();
                plus[e] += step;
                minus[e] -= step;
                gradients[e] = (tiny.Forward(x, new TinyTransformer.Probe { Norm1Block = Blocks - 1, Norm1Replacement = plus })[target]
                    - tiny.Forward(x, new TinyTransformer.Probe { Norm1Block = Blocks - 1, Norm1Replacement = minus })[target]) / (2 * step);
            }

            // Grad-CAM over the 9 patch tokens (token 0, the class token, dropped): w_c = mean_p ∂y/∂A[p, c]; map = Σ_c w_c·A[p, c].
            var weights = Enumerable.Range(0, Channels).Select(c => Enumerable.Range(1, 9).Average(t => gradients[(t * Channels) + c])).ToArray();
            for (int p = 0; p < 9; p++)
            {
                double expected = Enumerable.Range(0, Channels).Sum(c => weights[c] * activations[((1 + p) * Channels) + c]);
                Assert.AreEqual(expected, result.RawMaps.Row(r)[p], 1e-4, $"row {r}, patch {p}");
            }
        }
    }

    [TestMethod]
    public void Transformer_lrp_without_biases_conserves_the_target_logit()
    {
        // No biases anywhere (linear layers, LayerNorm β, head): with σ, attention and GELU gates frozen the network is
        // linear in its input, so Σ R(tokens) = logit up to float32 rounding and the ε-rule's loss (ε = 1e-6 scales
        // each linear layer's relevance by z/(z ± ε)). Tolerance 1e-4·|logit| + 1e-4. The second graph reads the attention
        // through an Identity before A·V: it must still be recognised as attention, or half of A·V's relevance is lost.
        foreach (var identity in new[] { false, true })
        {
            LrpConserves(new TinyTransformer(Tokens, Channels, Heads, Blocks, Hidden, Classes, biases: false, seed: 5, identityAfterSoftmax: identity));
        }
    }

    private static void LrpConserves(TinyTransformer tiny)
    {
        var batch = Batch();
        using var explainer = new TransformerExplainer(tiny.Model, new TransformerOptions { Method = TransformerMethod.Lrp });
        var result = explainer.Explain(batch, [0, 1, 2]);
        var sums = TransformerLrp.RowSums(result.Relevance!);
        for (int r = 0; r < Rows; r++)
        {
            double logit = tiny.Forward(batch.Row(r))[r];
            Assert.AreEqual(logit, result.TargetScores[r], 1e-4);
            Console.WriteLine(FormattableString.Invariant($"row {r}: Σ R = {sums[r]:R}, logit = {logit:R}, difference {sums[r] - logit:E2}"));
            Assert.AreEqual(logit, sums[r], (1e-4 * Math.Abs(logit)) + 1e-4, $"row {r}: relevance sum {sums[r]} vs logit {logit}");
        }

        // The grid map is the patch tokens' relevance summed over channels; the class token's share is the rest.
        for (int r = 0; r < Rows; r++)
        {
            var relevance = result.Relevance!.Row(r);
            double classToken = 0;
            for (int c = 0; c < Channels; c++)
            {
                classToken += relevance[c];
            }

            Assert.AreEqual(sums[r], classToken + result.RawMaps.Row(r).ToArray().Sum(v => (double)v), 1e-4);
        }
    }

    [TestMethod]
    public void Transformer_lrp_is_gradient_times_input_of_the_frozen_network_and_biases_take_the_missing_relevance()
    {
        // With ε = 0 the rules give exactly x ⊙ ∇f_frozen(x), f_frozen the network with every LayerNorm's 1/σ, every
        // attention matrix and every GELU gate fixed at their values for x. f_frozen is affine, so Σ R = f(x) − f_frozen(0):
        // the relevance that does not reach the input is what the biases produce on their own.
        var tiny = Model(biases: true);
        var batch = Batch();
        using var explainer = new TransformerExplainer(tiny.Model, new TransformerOptions { Method = TransformerMethod.Lrp, LrpEpsilon = 0 });
        var result = explainer.Explain(batch);
        var sums = TransformerLrp.RowSums(result.Relevance!);
        for (int r = 0; r < Rows; r++)
        {
            var x = batch.Row(r).ToArray().Select(v => (double)v).ToArray();
            var probe = new TinyTransformer.Probe();
            var logits = tiny.Forward(x, probe);
            int target = ArgMax(logits);
            probe.Frozen = true;
            var expected = new double[x.Length];
            for (int e = 0; e < x.Length; e++)
            {
                const double step = 1e-3;
                var plus = (double[])x.Clone();
                var minus = (double[])x.Clone();
                plus[e] += step;
                minus[e] -= step;
                expected[e] = x[e] * (tiny.Forward(plus, probe)[target] - tiny.Forward(minus, probe)[target]) / (2 * step);
            }

            double scale = expected.Max(Math.Abs);
            for (int e = 0; e < x.Length; e++)
            {
                Assert.AreEqual(expected[e], result.Relevance!.Row(r)[e], (2e-4 * scale) + 1e-6, $"row {r}, element {e}");
            }

            double biasShare = tiny.Forward(new double[x.Length], probe)[target];
            Assert.IsGreaterThan(0.05, Math.Abs(biasShare), "the biases should hold a visible share here");
            Console.WriteLine(FormattableString.Invariant($"row {r}: Σ R = {sums[r]:R}, logit = {logits[target]:R}, bias share f_frozen(0) = {biasShare:R}"));
            Assert.AreEqual(logits[target] - biasShare, sums[r], (1e-4 * Math.Abs(logits[target])) + 1e-4, $"row {r}");
        }
    }

    private static double[,] HandRollout(List<double[]> attentions, HeadFusion fusion, double discard)
    {
        double[,]? rollout = null;
        foreach (var a in attentions)
        {
            var fused = new double[Tokens * Tokens];
            for (int e = 0; e < fused.Length; e++)
            {
                var heads = Enumerable.Range(0, Heads).Select(h => a[(h * Tokens * Tokens) + e]).ToArray();
                fused[e] = fusion switch { HeadFusion.Max => heads.Max(), HeadFusion.Min => heads.Min(), _ => heads.Average() };
            }

            // vit-explain: the ⌊ratio·T²⌋ lowest entries are zeroed, except flat index 0 (class token → class token).
            int count = (int)Math.Floor(discard * fused.Length);
            foreach (var e in Enumerable.Range(0, fused.Length).OrderBy(e => fused[e]).ThenBy(e => e).Take(count).Where(e => e != 0).ToArray())
            {
                fused[e] = 0;
            }

            var normalized = new double[Tokens, Tokens];
            for (int i = 0; i < Tokens; i++)
            {
                double sum = 0;
                for (int j = 0; j < Tokens; j++)
                {
                    normalized[i, j] = fused[(i * Tokens) + j] + (i == j ? 1 : 0);
                    sum += normalized[i, j];
                }

                for (int j = 0; j < Tokens; j++)
                {
                    normalized[i, j] /= sum;
                }
            }

            rollout = rollout is null ? normalized : Multiply(normalized, rollout);
        }

        return rollout!;
    }

    private static double[,] Identity(int n)
    {
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            m[i, i] = 1;
        }

        return m;
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0);
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                for (int k = 0; k < n; k++)
                {
                    m[i, j] += a[i, k] * b[k, j];
                }
            }
        }

        return m;
    }

    private static double[,] Add(double[,] a, double[,] b)
    {
        int n = a.GetLength(0);
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                m[i, j] = a[i, j] + b[i, j];
            }
        }

        return m;
    }
}
