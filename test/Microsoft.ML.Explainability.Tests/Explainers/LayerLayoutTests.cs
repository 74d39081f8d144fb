using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Explainers;

/// <summary>
/// Target-layer layouts read from the graph: channels-last maps (Swin, ConvNeXt), tokens with any number of prefix
/// tokens (ViT, DeiT, registers), ambiguous shapes settled by graph evidence or by an override, and the values
/// reshaped to channels first compared element by element with a hand transpose.
/// </summary>
[TestClass]
public sealed class LayerLayoutTests
{
    private const int Channels = 6, Classes = 3;

    /// <summary>
    /// Swin/ConvNeXt-style head: x [N, 3, 16, 16] → Conv 4×4 stride 4 → [N, 6, 4, 4] → Transpose [0, 2, 3, 1] →
    /// LayerNorm (last axis) "ln" → MatMul → Relu "relu" [N, 4, 4, 6] → (optionally Transpose [0, 3, 1, 2] "nchw")
    /// → ReduceMean over the grid → MatMul → logits. The same seed gives the same weights in both variants.
    /// </summary>
    private static OnnxModel ChannelsLastModel(bool permuteBack)
    {
        var t = new TestGraph(seed: 5);
        var x = t.Input("x", -1, 3, 16, 16);
        var conv = t.Node("Conv", [x, t.Random("cw", [Channels, 3, 4, 4]), t.Random("cb", [Channels])], AttributeValue.Ints("strides", [4, 4]));
        var nhwc = t.Node("Transpose", [conv], AttributeValue.Ints("perm", [0, 2, 3, 1]));
        var ln = Named(t, t.Node("LayerNormalization", [nhwc, t.Random("g", [Channels], 0.5, 1.5), t.Random("beta", [Channels])], AttributeValue.Int("axis", -1)), "ln");
        var relu = Named(t, t.Node("Relu", [t.Node("MatMul", [ln, t.Random("w1", [Channels, Channels])])]), "relu");
        var pooled = permuteBack
            ? t.Node("ReduceMean", [Named(t, t.Node("Transpose", [relu], AttributeValue.Ints("perm", [0, 3, 1, 2])), "nchw")], AttributeValue.Ints("axes", [2, 3]), AttributeValue.Int("keepdims", 0))
            : t.Node("ReduceMean", [relu], AttributeValue.Ints("axes", [1, 2]), AttributeValue.Int("keepdims", 0));
        Named(t, t.Node("MatMul", [pooled, t.Random("head", [Channels, Classes], -2, 2)]), "logits");
        return t.Output("logits").Build();
    }

    /// <summary>Renames the last node's output (tests refer to tensors by readable names).</summary>
    internal static string Named(TestGraph t, string tensor, string name)
    {
        foreach (var node in t.Graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == tensor)
                {
                    node.Input[i] = name;
                }
            }

            for (int i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i] == tensor)
                {
                    node.Output[i] = name;
                }
            }
        }

        return name;
    }

    private static FloatTensor Images(int n, int height = 16, int width = 16, int seed = 3)
    {
        var random = new Random(seed);
        return new FloatTensor(Enumerable.Range(0, n * 3 * height * width).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray(), n, 3, height, width);
    }

    [TestMethod]
    public void A_channels_last_map_is_recognised_and_transposed_element_by_element()
    {
        var model = ChannelsLastModel(permuteBack: false);
        var layer = TargetLayers.Resolve(model, "ln");
        Assert.AreEqual((LayerLayout.ChannelsLast, 4, 4, Channels), (layer.Layout, layer.Height, layer.Width, layer.Channels), layer.ToString());
        StringAssert.Contains(layer.LayoutReason, "LayerNormalization");
        StringAssert.Contains(layer.ToString(), "nhwc: 4×4 grid, 6 channels");

        var automatic = TargetLayers.Automatic(model);
        Assert.AreEqual("relu", automatic.Name, "the last full grid before the pooling");
        Assert.AreEqual(LayerLayout.ChannelsLast, automatic.Layout);

        using var forward = new Forward(model.WithOutputs("ln"));
        var batch = Images(2);
        var values = forward.Run("ln", new Dictionary<string, FloatTensor> { ["x"] = batch });
        CollectionAssert.AreEqual(new long[] { 2, 4, 4, Channels }, values.Shape);
        var reshaped = layer.ToChannelsFirst(values);
        for (int n = 0; n < 2; n++)
        {
            for (int c = 0; c < Channels; c++)
            {
                for (int i = 0; i < 4; i++)
                {
                    for (int j = 0; j < 4; j++)
                    {
                        Assert.AreEqual(values[n, i, j, c], reshaped[(((n * Channels) + c) * 16) + (i * 4) + j], $"n {n} c {c} cell ({i}, {j})");
                    }
                }
            }
        }
    }

    [TestMethod]
    public void Grad_cam_on_a_channels_last_map_equals_grad_cam_on_its_channels_first_permute()
    {
        // The permute changes neither values nor gradients, so the maps must agree exactly up to float rounding.
        var batch = Images(3);
        using var last = new CamExplainer(ChannelsLastModel(permuteBack: false));
        using var first = new CamExplainer(ChannelsLastModel(permuteBack: true));
        Assert.AreEqual(("relu", LayerLayout.ChannelsLast), (last.Layer.Name, last.Layer.Layout));
        Assert.AreEqual(("nchw", LayerLayout.ChannelsFirst), (first.Layer.Name, first.Layer.Layout));
        StringAssert.Contains(first.Layer.LayoutReason, "perm [0, 3, 1, 2]");
        var a = last.Explain(batch, [0, 1, 2]);
        var b = first.Explain(batch, [0, 1, 2]);
        CollectionAssert.AreEqual(b.RawMaps.Shape, a.RawMaps.Shape);
        Assert.IsTrue(a.RawMaps.Data.Any(v => Math.Abs(v) > 1e-4), "the raw maps are not all zero");
        for (int i = 0; i < a.RawMaps.Length; i++)
        {
            Assert.AreEqual(b.RawMaps.Data[i], a.RawMaps.Data[i], 1e-5, $"raw map element {i}");
        }

        // Ablation-CAM masks channels in the layer's own layout.
        using var ablationLast = new CamExplainer(ChannelsLastModel(permuteBack: false), new CamOptions { Method = ExplanationMethods.AblationCam });
        using var ablationFirst = new CamExplainer(ChannelsLastModel(permuteBack: true), new CamOptions { Method = ExplanationMethods.AblationCam });
        var c = ablationLast.Explain(batch, [0, 1, 2]);
        var d = ablationFirst.Explain(batch, [0, 1, 2]);
        for (int i = 0; i < c.RawMaps.Length; i++)
        {
            Assert.AreEqual(d.RawMaps.Data[i], c.RawMaps.Data[i], 1e-4, $"Ablation-CAM raw map element {i}");
        }
    }

    /// <summary>
    /// ViT/DeiT-style tokens: patches [N, 4·w/4… , C] from a stride-4 Conv, <paramref name="prefix"/> distinct prefix tokens
    /// in front (scaled copies of the mean token), LayerNorm "tok", one attention, the first token to the head.
    /// </summary>
    private static OnnxModel TokenModel(int prefix, int height, int width)
    {
        int cells = height / 4 * (width / 4);
        var t = new TestGraph(seed: 9);
        var x = t.Input("x", -1, 3, height, width);
        var conv = t.Node("Conv", [x, t.Random("cw", [Channels, 3, 4, 4]), t.Random("cb", [Channels])], AttributeValue.Ints("strides", [4, 4]));
        var flat = Named(t, t.Node("Reshape", [conv, t.Int64s("flat_shape", 0, Channels, cells)]), "flat");
        var patches = t.Node("Transpose", [flat], AttributeValue.Ints("perm", [0, 2, 1]));
        var mean = t.Node("ReduceMean", [patches], AttributeValue.Ints("axes", [1]), AttributeValue.Int("keepdims", 1));
        var prefixes = Enumerable.Range(0, prefix).Select(k => t.Node("Mul", [mean, t.Constant($"scale{k}", [1], [k + 2f])])).ToArray();
        var tokens = t.Node("Concat", [.. prefixes, patches], AttributeValue.Int("axis", 1));
        var tok = Named(t, t.Node("LayerNormalization", [tokens, t.Random("g", [Channels], 0.5, 1.5), t.Random("beta", [Channels])], AttributeValue.Int("axis", -1)), "tok");
        var scores = t.Node("MatMul", [tok, t.Node("Transpose", [tok], AttributeValue.Ints("perm", [0, 2, 1]))]);
        var probabilities = Named(t, t.Node("Softmax", [scores], AttributeValue.Int("axis", -1)), "attention");
        var mixed = t.Node("MatMul", [probabilities, tok]);
        var cls = t.Node("Gather", [mixed, t.Int64s("cls", 0)], AttributeValue.Int("axis", 1));
        var squeezed = t.Node("Reshape", [cls, t.Int64s("cls_shape", 0, Channels)]);
        Named(t, t.Node("MatMul", [squeezed, t.Random("head", [Channels, Classes], -2, 2)]), "logits");
        return t.Output("logits").Build();
    }

    [TestMethod]
    [DataRow(1, 16, 16, DisplayName = "ViT: class token + 4×4")]
    [DataRow(2, 16, 16, DisplayName = "DeiT: class and distillation tokens + 4×4")]
    [DataRow(5, 16, 24, DisplayName = "class + 4 register tokens + 4×6 on a 16×24 image")]
    public void Tokens_with_prefix_tokens_are_found_and_reshaped_element_by_element(int prefix, int height, int width)
    {
        var model = TokenModel(prefix, height, width);
        int h = height / 4, w = width / 4;
        var layer = TargetLayers.Automatic(model);
        Assert.AreEqual("tok", layer.Name, $"the LayerNorm output behind the attention, not {layer}");
        Assert.AreEqual((LayerLayout.Tokens, prefix, h, w, Channels), (layer.Layout, layer.PrefixTokens, layer.Height, layer.Width, layer.Channels), layer.ToString());

        // [N, C, L] before the Transpose is a channels-first sequence, not tokens.
        Assert.IsFalse(TargetLayers.List(model).Any(l => l.Name == "flat"), "the [N, C, L] sequence is not listed as tokens");
        var e = Assert.ThrowsExactly<TargetLayerException>(() => TargetLayers.Resolve(model, "flat"));
        StringAssert.Contains(e.Message, "[N, C, L]");
        StringAssert.Contains(e.Message, "flattens");

        using var forward = new Forward(model.WithOutputs("tok"));
        var values = forward.Run("tok", new Dictionary<string, FloatTensor> { ["x"] = Images(2, height, width) });
        var reshaped = layer.ToChannelsFirst(values);
        Assert.AreEqual(2 * Channels * h * w, reshaped.Length);
        for (int n = 0; n < 2; n++)
        {
            for (int c = 0; c < Channels; c++)
            {
                for (int cell = 0; cell < h * w; cell++)
                {
                    Assert.AreEqual(values[n, prefix + cell, c], reshaped[(((n * Channels) + c) * h * w) + cell], $"n {n} c {c} cell {cell}");
                }
            }
        }

        using var cam = new CamExplainer(model);
        var result = cam.Explain(Images(2, height, width));
        CollectionAssert.AreEqual(new long[] { 2, h, w }, result.RawMaps.Shape);
        CollectionAssert.AreEqual(new long[] { 2, height, width }, result.Maps.Shape);
    }

    /// <summary>
    /// H = W = C = 4: [N, 4, 4, 4] reads either way. x [N, 3, 16, 16] → Conv stride 4 "conv" → Transpose [0, 2, 3, 1]
    /// → Sigmoid "s" → Flatten → MatMul → logits.
    /// </summary>
    [TestMethod]
    public void An_ambiguous_shape_is_settled_by_graph_evidence_and_by_the_override()
    {
        var t = new TestGraph(seed: 2);
        var x = t.Input("x", -1, 3, 16, 16);
        var conv = Named(t, t.Node("Conv", [x, t.Random("cw", [4, 3, 4, 4])], AttributeValue.Ints("strides", [4, 4])), "conv");
        var s = Named(t, t.Node("Sigmoid", [t.Node("Transpose", [conv], AttributeValue.Ints("perm", [0, 2, 3, 1]))]), "s");
        Named(t, t.Node("MatMul", [t.Node("Flatten", [s]), t.Random("head", [64, Classes])]), "logits");
        var model = t.Output("logits").Build();

        var convLayer = TargetLayers.Resolve(model, "conv");
        Assert.AreEqual(LayerLayout.ChannelsFirst, convLayer.Layout, convLayer.ToString());
        StringAssert.Contains(convLayer.LayoutReason, "Conv");
        var sLayer = TargetLayers.Resolve(model, "s");
        Assert.AreEqual(LayerLayout.ChannelsLast, sLayer.Layout, sLayer.ToString());
        StringAssert.Contains(sLayer.LayoutReason, "perm [0, 2, 3, 1]");
        StringAssert.Contains(sLayer.LayoutReason, "via same-shape", "the evidence sits one element-wise op away");

        var forced = TargetLayers.Resolve(model, "s", null, LayerLayout.ChannelsFirst);
        Assert.AreEqual((LayerLayout.ChannelsFirst, "given"), (forced.Layout, forced.LayoutReason));
        using (var cam = new CamExplainer(model, new CamOptions { TargetLayer = "s", Layout = LayerLayout.ChannelsFirst }))
        {
            Assert.AreEqual(LayerLayout.ChannelsFirst, cam.Layer.Layout);
        }

        var listed = TargetLayers.List(model, LayerLayout.ChannelsLast);
        Assert.IsTrue(listed.Where(l => l.Shape.Count == 4).All(l => l.Layout == LayerLayout.ChannelsLast && l.LayoutReason == "given"), string.Join("\n", listed));
        var wrongRank = Assert.ThrowsExactly<TargetLayerException>(() => TargetLayers.Resolve(model, "s", null, LayerLayout.Tokens));
        StringAssert.Contains(wrongRank.Message, "rank-3");
    }

    [TestMethod]
    public void Without_graph_evidence_the_image_size_or_the_onnx_convention_decides()
    {
        // [N, 8, 8, 12] from a Reshape of a 16×16 image: only 8×8 fits the image with one stride.
        var t = new TestGraph(seed: 4);
        var x = t.Input("x", -1, 3, 16, 16);
        var s = Named(t, t.Node("Sigmoid", [t.Node("Reshape", [x, t.Int64s("shape", 0, 8, 8, 12)])]), "s");
        Named(t, t.Node("MatMul", [t.Node("Flatten", [s]), t.Random("head", [768, Classes])]), "logits");
        var layer = TargetLayers.Resolve(t.Output("logits").Build(), "s");
        Assert.AreEqual((LayerLayout.ChannelsLast, 8, 8, 12), (layer.Layout, layer.Height, layer.Width, layer.Channels), layer.ToString());
        StringAssert.Contains(layer.LayoutReason, "fits the 16×16 input");

        // A 4×4 image and a [N, 4, 4, 4] tensor with nothing around it: both readings fit; channels first.
        var u = new TestGraph(seed: 4);
        var y = u.Input("y", -1, 4, 4, 4);
        var z = Named(u, u.Node("Sigmoid", [y]), "z");
        Named(u, u.Node("MatMul", [u.Node("Flatten", [z]), u.Random("head", [64, Classes])]), "logits");
        var model = u.Output("logits").Build();
        var ambiguous = TargetLayers.Resolve(model, "z");
        Assert.AreEqual(LayerLayout.ChannelsFirst, ambiguous.Layout);
        StringAssert.Contains(ambiguous.LayoutReason, "ambiguous");
        Assert.AreEqual(LayerLayout.ChannelsLast, TargetLayers.Resolve(model, "z", null, LayerLayout.ChannelsLast).Layout);
    }

    [TestMethod]
    public void Layout_names_round_trip_and_bad_names_are_refused()
    {
        foreach (var layout in Enum.GetValues<LayerLayout>())
        {
            Assert.AreEqual(layout, LayoutNames.Parse(LayoutNames.Of(layout).ToUpperInvariant()));
        }

        var e = Assert.ThrowsExactly<ArgumentException>(() => LayoutNames.Parse("chw"));
        StringAssert.Contains(e.Message, "nhwc");
    }
}
