using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Explainers;
using Microsoft.ML.Explainability.Tests.Infrastructure;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability.Tests.Transformers;

/// <summary>
/// Swin-style window attention as torchvision exports it (windows folded into the batch, relative-position bias and a
/// shifted-window mask added before the Softmax), and PyTorch MultiheadAttention's heads folded into the batch.
/// </summary>
[TestClass]
public sealed class WindowedAttentionTests
{
    private const int C = 8, Heads = 2, Classes = 3;

    /// <summary>
    /// x [N, 3, 16, 16] → Conv 4×4 stride 4 → Transpose [0, 2, 3, 1] "patches" [N, 4, 4, 8] → LayerNorm → window
    /// partition into 2×2 windows of 2×2 tokens ([N·4, 4, 8]) → qkv → heads → q·kᵀ + bias [heads, 4, 4], viewed as
    /// [N, 4 windows, heads, 4, 4] + mask [4, 1, 4, 4], back to [N·4, heads, 4, 4] → Softmax → ·v → merge heads → proj →
    /// window reverse → residual Add → LayerNorm "norm" [N, 4, 4, 8] → ReduceMean over the grid → MatMul → logits.
    /// </summary>
    private static OnnxModel SwinLike()
    {
        var t = new TestGraph(seed: 13);
        var x = t.Input("x", -1, 3, 16, 16);
        var conv = t.Node("Conv", [x, t.Random("cw", [C, 3, 4, 4]), t.Random("cb", [C])], AttributeValue.Ints("strides", [4, 4]));
        var patches = LayerLayoutTests.Named(t, t.Node("Transpose", [conv], AttributeValue.Ints("perm", [0, 2, 3, 1])), "patches");
        var n1 = t.Node("LayerNormalization", [patches, t.Random("g1", [C], 0.5, 1.5), t.Random("b1", [C])], AttributeValue.Int("axis", -1));
        var split = t.Node("Reshape", [n1, t.Int64s("part_shape", 0, 2, 2, 2, 2, C)]);
        var grouped = t.Node("Transpose", [split], AttributeValue.Ints("perm", [0, 1, 3, 2, 4, 5]));
        var windows = LayerLayoutTests.Named(t, t.Node("Reshape", [grouped, t.Int64s("win_shape", -1, 4, C)]), "windows");
        var qkv = LayerLayoutTests.Named(t, t.Node("MatMul", [windows, t.Random("wqkv", [C, 3 * C])]), "qkv");
        string Head(string part, long start, int[] perm)
        {
            var slice = t.Node("Slice", [qkv, t.Int64s($"{part}_start", start), t.Int64s($"{part}_end", start + C), t.Int64s($"{part}_axis", 2)]);
            var heads = t.Node("Reshape", [slice, t.Int64s($"{part}_heads", 0, 4, Heads, C / Heads)]);
            return t.Node("Transpose", [heads], AttributeValue.Ints("perm", perm.Select(p => (long)p)));
        }

        var q = Head("q", 0, [0, 2, 1, 3]);
        var kT = Head("k", C, [0, 2, 3, 1]);
        var v = Head("v", 2 * C, [0, 2, 1, 3]);
        var scores = t.Node("Add", [t.Node("MatMul", [q, kT]), t.Random("bias", [Heads, 4, 4])]);
        var byWindow = t.Node("Reshape", [scores, t.Int64s("by_window", -1, 4, Heads, 4, 4)]);
        var mask = Enumerable.Range(0, 4 * 16).Select(i => i / 16 == 3 && i % 5 != 0 ? -100f : 0f).ToArray();
        var masked = t.Node("Add", [byWindow, t.Constant("mask", [4, 1, 4, 4], mask)]);
        var probabilities = LayerLayoutTests.Named(t, t.Node("Softmax", [t.Node("Reshape", [masked, t.Int64s("flat_scores", -1, Heads, 4, 4)])], AttributeValue.Int("axis", -1)), "attention");
        var mixed = t.Node("Transpose", [t.Node("MatMul", [probabilities, v])], AttributeValue.Ints("perm", [0, 2, 1, 3]));
        var merged = t.Node("Reshape", [mixed, t.Int64s("merged", 0, 4, C)]);
        var projected = t.Node("MatMul", [merged, t.Random("wproj", [C, C])]);
        var unsplit = t.Node("Reshape", [projected, t.Int64s("unsplit", -1, 2, 2, 2, 2, C)]);
        var reversed = t.Node("Reshape", [t.Node("Transpose", [unsplit], AttributeValue.Ints("perm", [0, 1, 3, 2, 4, 5])), t.Int64s("grid", -1, 4, 4, C)]);
        var block = t.Node("Add", [patches, reversed]);
        var norm = LayerLayoutTests.Named(t, t.Node("LayerNormalization", [block, t.Random("g2", [C], 0.5, 1.5), t.Random("b2", [C])], AttributeValue.Int("axis", -1)), "norm");
        var pooled = t.Node("ReduceMean", [norm], AttributeValue.Ints("axes", [1, 2]), AttributeValue.Int("keepdims", 0));
        LayerLayoutTests.Named(t, t.Node("MatMul", [pooled, t.Random("head", [C, Classes], -2, 2)]), "logits");
        return t.Output("logits").Build();
    }

    private static FloatTensor Images(int n)
    {
        var random = new Random(8);
        return new FloatTensor(Enumerable.Range(0, n * 3 * 16 * 16).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray(), n, 3, 16, 16);
    }

    [TestMethod]
    public void The_automatic_choice_is_the_final_feature_map_never_a_window_tensor()
    {
        var model = SwinLike();
        var layer = TargetLayers.Automatic(model);
        Assert.AreEqual(("norm", LayerLayout.ChannelsLast, 4, 4, C), (layer.Name, layer.Layout, layer.Height, layer.Width, layer.Channels), layer.ToString());

        var listed = TargetLayers.List(model);
        Assert.IsFalse(listed.Any(l => l.Name is "windows" or "qkv" or "attention"), string.Join("\n", listed));
        Assert.IsTrue(listed.Any(l => l.Name == "patches" && l.Layout == LayerLayout.ChannelsLast), string.Join("\n", listed));
        var e = Assert.ThrowsExactly<TargetLayerException>(() => TargetLayers.Resolve(model, "qkv"));
        StringAssert.Contains(e.Message, "4·N");

        using var cam = new CamExplainer(model);
        var result = cam.Explain(Images(2), [0, 2]);
        CollectionAssert.AreEqual(new long[] { 2, 4, 4 }, result.RawMaps.Shape);
        Assert.IsTrue(result.RawMaps.Data.All(float.IsFinite));
    }

    [TestMethod]
    public void Discovery_finds_window_attention_and_the_transformer_methods_refuse_it_by_name()
    {
        var model = SwinLike();
        var layout = AttentionDiscovery.Discover(model);
        Assert.IsTrue(layout.IsWindowed);
        var block = layout.Blocks.Single();
        Assert.AreEqual(("attention", 4, Heads, 4), (block.Tensor, block.Windows, block.Heads, block.Tokens));
        StringAssert.Contains(layout.Describe(), "window-attention");

        var e = Assert.ThrowsExactly<WindowedAttentionException>(() => new TransformerExplainer(model));
        StringAssert.Contains(e.Message, "'attention'");
        StringAssert.Contains(e.Message, "4 windows");
        StringAssert.Contains(e.Message, "CamExplainer");
    }

    /// <summary>
    /// One attention block over [N, 17, 6] tokens (class token + 4×4), two heads computed either as PyTorch's
    /// MultiheadAttention does ([N·2, 17, 17], heads folded into the batch) or with the heads as an axis ([N, 2, 17, 17]).
    /// </summary>
    private static OnnxModel HeadsModel(bool foldedIntoBatch)
    {
        const int channels = 6, heads = 2, tokens = 17;
        var t = new TestGraph(seed: 17);
        var x = t.Input("x", -1, 3, 16, 16);
        var conv = t.Node("Conv", [x, t.Random("cw", [channels, 3, 4, 4]), t.Random("cb", [channels])], AttributeValue.Ints("strides", [4, 4]));
        var patches = t.Node("Transpose", [t.Node("Reshape", [conv, t.Int64s("flat", 0, channels, 16)])], AttributeValue.Ints("perm", [0, 2, 1]));
        var cls = t.Node("ReduceMean", [patches], AttributeValue.Ints("axes", [1]), AttributeValue.Int("keepdims", 1));
        var tok = t.Node("LayerNormalization", [t.Node("Concat", [cls, patches], AttributeValue.Int("axis", 1)), t.Random("g", [channels], 0.5, 1.5), t.Random("b", [channels])], AttributeValue.Int("axis", -1));
        string Split(string name)
        {
            var projected = t.Node("MatMul", [tok, t.Random($"w{name}", [channels, channels])]);
            var split = t.Node("Transpose", [t.Node("Reshape", [projected, t.Int64s($"{name}_heads", 0, tokens, heads, channels / heads)])], AttributeValue.Ints("perm", [0, 2, 1, 3]));
            return foldedIntoBatch ? t.Node("Reshape", [split, t.Int64s($"{name}_folded", -1, tokens, channels / heads)]) : split;
        }

        var q = Split("q");
        var k = Split("k");
        var v = Split("v");
        var scores = t.Node("MatMul", [q, t.Node("Transpose", [k], AttributeValue.Ints("perm", foldedIntoBatch ? [0, 2, 1] : [0, 1, 3, 2]))]);
        var probabilities = LayerLayoutTests.Named(t, t.Node("Softmax", [scores], AttributeValue.Int("axis", -1)), "attention");
        var mixed = t.Node("MatMul", [probabilities, v]);
        var unfolded = foldedIntoBatch ? t.Node("Reshape", [mixed, t.Int64s("unfold", -1, heads, tokens, channels / heads)]) : mixed;
        var merged = t.Node("Reshape", [t.Node("Transpose", [unfolded], AttributeValue.Ints("perm", [0, 2, 1, 3])), t.Int64s("merge", 0, tokens, channels)]);
        var first = t.Node("Reshape", [t.Node("Gather", [merged, t.Int64s("cls_index", 0)], AttributeValue.Int("axis", 1)), t.Int64s("cls_shape", 0, channels)]);
        LayerLayoutTests.Named(t, t.Node("MatMul", [first, t.Random("head", [channels, Classes], -2, 2)]), "logits");
        return t.Output("logits").Build();
    }

    [TestMethod]
    public void Heads_folded_into_the_batch_are_read_as_heads_and_give_the_same_explanations()
    {
        using var folded = new TransformerExplainer(HeadsModel(foldedIntoBatch: true));
        using var axis = new TransformerExplainer(HeadsModel(foldedIntoBatch: false));
        var block = folded.Attention.Blocks.Single();
        Assert.IsTrue(block.HeadsInBatch);
        Assert.AreEqual((2, 17, 1, 4, 4), (block.Heads, block.Tokens, folded.Attention.PrefixTokens, folded.Attention.GridHeight, folded.Attention.GridWidth));
        Assert.IsFalse(axis.Attention.Blocks.Single().HeadsInBatch);

        var batch = Images(3);
        foreach (var method in new[] { TransformerMethod.AttentionRollout, TransformerMethod.GradientWeightedAttention })
        {
            var a = folded.Explain(batch, method, [0, 1, 2]);
            var b = axis.Explain(batch, method, [0, 1, 2]);
            Assert.IsTrue(b.RawMaps.Data.Distinct().Count() > 1, $"{method}: the reference map is not constant");
            for (int i = 0; i < a.RawMaps.Length; i++)
            {
                Assert.AreEqual(b.RawMaps.Data[i], a.RawMaps.Data[i], 1e-5, $"{method} element {i}");
            }
        }
    }
}
