using System.Globalization;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability.Tests.Transformers;

/// <summary>
/// Conservation of <see cref="LrpComposite.Transformer"/> through <see cref="LrpExplainer"/> (and so through
/// <see cref="TransformerMethod.Lrp"/>): on a small ViT built here (patch-embedding Conv, a class token concatenated by
/// Expand, pre-norm blocks of LayerNorm, two-head attention with Softmax and two run-time MatMuls, a GELU MLP exported
/// with Erf, residual Adds, a final LayerNorm and a linear head) and on the repository's DeiT fixture with its biases set
/// to zero. Without biases, with the LayerNorm σ, the attention probabilities and the GELU gates constant, the network is
/// linear in its input, so Σ R_input = the target logit up to the stabiliser: ε = 1e-6 changes each layer's relevance by
/// a factor z/stab(z) = 1 − ε/|z|, relative 1e-6/|z| per element: the tolerance is 1e-4·|logit| + 1e-5 on the small ViT
/// (measured ≤ 2e-6·|logit|) and 3e-4·|logit| on the four-block DeiT (measured ≤ 1.3e-4·|logit|).
/// </summary>
[TestClass]
public sealed class TransformerLrpConservationTests
{
    private const int Channels = 8, Heads = 2, Hidden = 16, Classes = 3, Rows = 3, Patches = 4, Tokens = Patches + 1;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Small_vit_without_biases_conserves_the_logit_from_the_tokens_to_the_image()
    {
        var model = SmallVit(out var tokens);
        var batch = GradientCheck.RandomTensor(new Random(4), [Rows, 3, 8, 8]);
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.Transformer(), Seed = LrpSeed.Logit, RelevanceOf = [tokens] });
        var result = lrp.Explain(batch);
        var tokenRelevance = result.LayerRelevances[tokens];
        for (int r = 0; r < Rows; r++)
        {
            double logit = result.TargetScores![r];
            double atTokens = tokenRelevance.Row(r).ToArray().Sum(v => (double)v);
            double atPatches = tokenRelevance.Row(r)[Channels..].ToArray().Sum(v => (double)v);
            double atImage = result.Relevance.Row(r).ToArray().Sum(v => (double)v);
            TestContext.WriteLine(string.Create(CultureInfo.InvariantCulture, $"row {r}: logit {logit:R}, Σ R tokens {atTokens:R} (class token {atTokens - atPatches:R}), Σ R image {atImage:R}"));
            Assert.IsGreaterThan(0.05, Math.Abs(logit), "the logit should not be trivially zero");
            Assert.AreEqual(logit, atTokens, (1e-4 * Math.Abs(logit)) + 1e-5, $"row {r}: tokens");

            // The class token is a constant: its relevance stays there; the patches' relevance reaches the image
            // unchanged (Reshape/Transpose move it, the bias-free patch Conv's ε-rule keeps it up to ε).
            Assert.IsGreaterThan(1e-3, Math.Abs(atTokens - atPatches), "the class token should hold relevance");
            Assert.AreEqual(atPatches, atImage, (1e-4 * Math.Abs(logit)) + 1e-5, $"row {r}: image");
        }

        // TransformerExplainer's LRP is the same LrpExplainer computation, its grid map the per-patch sums.
        using var explainer = new TransformerExplainer(model, new TransformerOptions { Method = TransformerMethod.Lrp });
        var viaExplainer = explainer.Explain(batch);
        for (int i = 0; i < batch.Length; i++)
        {
            Assert.AreEqual(result.Relevance.Data[i], viaExplainer.Relevance!.Data[i], 1e-6, $"element {i}");
        }

        for (int r = 0; r < Rows; r++)
        {
            Assert.AreEqual(result.Relevance.Row(r).ToArray().Sum(v => (double)v), viaExplainer.RawMaps.Row(r).ToArray().Sum(v => (double)v), 1e-5);
        }
    }

    [TestMethod]
    public void Deit_fixture_with_zero_biases_conserves_the_logit()
    {
        var model = WithZeroBiases(OnnxModel.Load(TestAssets.ModelPath("fmnist_deit.onnx")), out int zeroed);
        Assert.IsGreaterThan(10, zeroed, "the fixture's biases, LayerNorm shifts, tokens and positional embedding");
        var batch = TestAssets.FashionMnistBatch(8);
        using var lrp = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.Transformer(), Seed = LrpSeed.Logit });
        var result = lrp.Explain(batch);
        for (int r = 0; r < batch.BatchSize; r++)
        {
            // 4 blocks over 51 tokens × 64 channels: the stabiliser's ε/|z| losses at ~40 relevance-carrying layers (ε-rule,
            // LN-rule, Norm at the residual and bias Adds) add up to at most 1.3e-4·|logit| measured (with ε = 0 in the
            // composite 0.3–0.9e-4·|logit| remain: the Norm rule's own fixed ε at the Adds, and float32 rounding).
            double logit = result.TargetScores![r];
            double sum = result.Relevance.Row(r).ToArray().Sum(v => (double)v);
            TestContext.WriteLine(string.Create(CultureInfo.InvariantCulture, $"row {r}: logit {logit:R}, Σ R input {sum:R}, difference {sum - logit:E2}"));
            Assert.AreEqual(logit, sum, 3e-4 * Math.Abs(logit), $"row {r}");
        }
    }

    /// <summary>
    /// Sets to zero every float initializer that adds to the signal rather than scaling it: Conv/Gemm biases and
    /// LayerNorm shifts (input 2), constant operands of Add/Sub, and constant (or expanded constant) Concat inputs.
    /// </summary>
    private static OnnxModel WithZeroBiases(OnnxModel model, out int zeroed)
    {
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n, StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            IEnumerable<string> candidates = node.OpType switch
            {
                "Conv" or "Gemm" or "LayerNormalization" => node.Input.Skip(2),
                "Add" or "Sub" => node.Input,
                "Concat" => node.Input.Select(i => producers.TryGetValue(i, out var p) && p.OpType is "Expand" or "Tile" ? p.Input[0] : i),
                _ => [],
            };
            names.UnionWith(candidates);
        }

        zeroed = 0;
        for (int i = 0; i < graph.Initializer.Count; i++)
        {
            var t = graph.Initializer[i];
            if (names.Contains(t.Name) && t.DataType == (int)TensorProto.Types.DataType.Float)
            {
                graph.Initializer[i] = TensorProtos.Float(t.Name, [.. t.Dims], new float[TensorProtos.ToDoubles(t).Length]);
                zeroed++;
            }
        }

        return new OnnxModel(proto);
    }

    /// <summary>A two-block ViT over 8×8 RGB images with 4×4 patches, without biases.</summary>
    private static OnnxModel SmallVit(out string tokens)
    {
        const int d = Channels / Heads;
        var t = new TestGraph(seed: 9);
        var image = t.Input("image", -1, 3, 8, 8);
        var embedded = t.Node("Conv", [image, t.Random("patch_w", [Channels, 3, 4, 4], -0.5, 0.5)], AttributeValue.Ints("kernel_shape", [4, 4]), AttributeValue.Ints("strides", [4, 4]));
        var patches = t.Node("Transpose", [t.Node("Reshape", [embedded, t.Int64s("flat", 0, Channels, Patches)])], AttributeValue.Ints("perm", [0, 2, 1]));
        var batchSize = t.Node("Slice", [t.Node("Shape", [patches]), t.Int64s("zero", 0), t.Int64s("one", 1)]);
        var clsShape = t.Node("Concat", [batchSize, t.Int64s("cls_rest", 1, Channels)], AttributeValue.Int("axis", 0));
        var cls = t.Node("Expand", [t.Random("cls", [1, 1, Channels]), clsShape]);
        tokens = t.Node("Concat", [cls, patches], AttributeValue.Int("axis", 1));
        var headShape = t.Int64s("head_shape", 0, Tokens, Heads, d);
        var tokenShape = t.Int64s("token_shape", 0, Tokens, Channels);
        var scale = t.Constant("scale", [], [(float)(1 / Math.Sqrt(d))]);
        var sqrt2 = t.Constant("sqrt2", [], [(float)Math.Sqrt(2)]);
        var one = t.Constant("one_f", [], [1f]);
        var half = t.Constant("half", [], [0.5f]);
        string Norm(string x, string name) =>
            t.Node("LayerNormalization", [x, t.Random(name, [Channels], 0.5, 1.5)], AttributeValue.Int("axis", -1), AttributeValue.Float("epsilon", 1e-5f));
        string Linear(string x, string name, int inputs, int outputs) => t.Node("MatMul", [x, t.Random(name, [inputs, outputs], -0.6, 0.6)]);
        string Heads4(string x, long[] perm) => t.Node("Transpose", [t.Node("Reshape", [x, headShape])], AttributeValue.Ints("perm", perm));

        var current = tokens;
        for (int b = 0; b < 2; b++)
        {
            var n1 = Norm(current, $"b{b}_ln1");
            var q = Heads4(Linear(n1, $"b{b}_q", Channels, Channels), [0, 2, 1, 3]);
            var kT = Heads4(Linear(n1, $"b{b}_k", Channels, Channels), [0, 2, 3, 1]);
            var v = Heads4(Linear(n1, $"b{b}_v", Channels, Channels), [0, 2, 1, 3]);
            var attention = t.Node("Softmax", [t.Node("Mul", [t.Node("MatMul", [q, kT]), scale])], AttributeValue.Int("axis", -1));
            var o = t.Node("Reshape", [t.Node("Transpose", [t.Node("MatMul", [attention, v])], AttributeValue.Ints("perm", [0, 2, 1, 3])), tokenShape]);
            current = t.Node("Add", [current, Linear(o, $"b{b}_proj", Channels, Channels)]);
            var hidden = Linear(Norm(current, $"b{b}_ln2"), $"b{b}_fc1", Channels, Hidden);
            var gate = t.Node("Add", [t.Node("Erf", [t.Node("Div", [hidden, sqrt2])]), one]);
            var gelu = t.Node("Mul", [t.Node("Mul", [hidden, gate]), half]);
            current = t.Node("Add", [current, Linear(gelu, $"b{b}_fc2", Hidden, Channels)]);
        }

        var cls0 = t.Node("Gather", [Norm(current, "final_ln"), t.Int64s("cls_index", 0)], AttributeValue.Int("axis", 1));
        var logits = t.Node("Gemm", [t.Node("Reshape", [cls0, t.Int64s("head_in", -1, Channels)]), t.Random("head", [Classes, Channels], -2, 2)], AttributeValue.Int("transB", 1));
        return t.Output(logits).Build();
    }
}
