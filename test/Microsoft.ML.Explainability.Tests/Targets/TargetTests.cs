using Microsoft.ML.Explainability.Compilation;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Targets;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Targets;

/// <summary>
/// Explanation targets compiled into the graph: each is checked against a score and a gradient computed by hand in C#
/// from plain forward runs of the model (or finite differences of that hand score), on graphs built here.
/// </summary>
[TestClass]
public sealed class TargetTests
{
    private const int Features = 6;

    /// <summary>A model of a [N, 1, 2, 3] input read as 6 features: z = flatten(x)·W (+ b), then <paramref name="head"/>.</summary>
    private static (OnnxModel Model, float[] W) Dense(int outputs, string? activation, int seed)
    {
        var random = new Random(seed);
        var w = Enumerable.Range(0, Features * outputs).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var t = new TestGraph(seed: seed);
        var flat = t.Node("Flatten", [t.Input("x", -1, 1, 2, 3)]);
        var z = t.Node("MatMul", [flat, t.Constant("w", [Features, outputs], w)]);
        var y = activation is null ? z : t.Node(activation, [z]);
        return (t.Output(y).Build(), w);
    }

    private static FloatTensor Batch(int rows, int seed) => GradientCheck.RandomTensor(new Random(seed), [rows, 1, 2, 3]);

    private static Explanation Explain(OnnxModel model, string method, ExplanationTarget target, FloatTensor x, long[]? classes, MethodSettings? settings = null)
    {
        using var explainer = ExplanationMethods.Find(method).CreateExplainer(model, (settings ?? new MethodSettings()) with { Target = target });
        return explainer.Explain(new ExplanationRequest(x) { Targets = classes });
    }

    private static float[] Outputs(OnnxModel model, FloatTensor x, int row, string? output = null)
    {
        using var forward = new Forward(model);
        return forward.Run(output ?? model.OutputNames[0], new Dictionary<string, FloatTensor> { ["x"] = x }).Row(row).ToArray();
    }

    /// <summary>Central differences of a scalar function of one row's input.</summary>
    private static double[] FiniteDifferences(FloatTensor x, int row, Func<FloatTensor, double> score, double h = 1e-3)
    {
        var gradient = new double[x.RowLength];
        for (int i = 0; i < gradient.Length; i++)
        {
            var plus = new FloatTensor((float[])x.Data.Clone(), x.Shape);
            var minus = new FloatTensor((float[])x.Data.Clone(), x.Shape);
            plus.Row(row)[i] += (float)h;
            minus.Row(row)[i] -= (float)h;
            gradient[i] = (score(plus) - score(minus)) / (2 * h);
        }

        return gradient;
    }

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        double scale = Math.Max(1e-3, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], tolerance * scale, $"{what}[{i}]");
        }
    }

    private static double[] Softmax(float[] y)
    {
        double top = y.Max();
        var e = y.Select(v => Math.Exp(v - top)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    [TestMethod]
    public void Softmax_target_explains_the_probability_with_its_exact_gradient()
    {
        var (model, _) = Dense(4, "Tanh", seed: 3);
        var x = Batch(2, seed: 4);
        var e = Explain(model, "gradient", ExplanationTargets.Softmax.Create(), x, [2, -1]);
        var logits = Outputs(model, x, 1);
        long predicted = Array.IndexOf(logits, logits.Max());
        CollectionAssert.AreEqual(new[] { 2L, predicted }, e.Targets, "class −1 is the arg-max of the probabilities, i.e. of the logits");
        for (int r = 0; r < 2; r++)
        {
            int c = (int)e.Targets![r];
            int row = r;
            Assert.AreEqual(Softmax(Outputs(model, x, r))[c], e.TargetScores![r], 1e-5, $"row {r} score");
            var expected = FiniteDifferences(x, r, t => Softmax(Outputs(model, t, row))[c]);
            AssertClose(expected, e.Values.Row(r), 2e-3, $"row {r} ∂p/∂x");
        }
    }

    [TestMethod]
    public void Binary_target_explains_plus_or_minus_the_single_output_as_pytorch_grad_cam()
    {
        // BinaryClassifierOutputTarget: class 1 → +y, class 0 → −y, y the sigmoid output itself (no further sigmoid).
        var (model, w) = Dense(1, "Sigmoid", seed: 5);
        var x = Batch(3, seed: 6);
        var e = Explain(model, "gradient", ExplanationTargets.Binary.Create(), x, [1, 0, -1]);
        for (int r = 0; r < 3; r++)
        {
            double y = Outputs(model, x, r)[0];
            long c = e.Targets![r];
            if (r == 2)
            {
                // Class −1 takes the larger column: +y whenever y > 0, so always class 1 for a sigmoid output (as
                // pytorch-grad-cam's default target explains the single output itself); a decision at 0.5 is the caller's.
                Assert.AreEqual(1L, c, "class −1 on a sigmoid output");
            }

            double sign = c == 1 ? 1 : -1;
            Assert.AreEqual(sign * y, e.TargetScores![r], 1e-6, $"row {r} score");

            // ∂σ(x·w)/∂x = σ(1 − σ)·w, by hand.
            var expected = Enumerable.Range(0, Features).Select(i => sign * y * (1 - y) * w[i]).ToArray();
            AssertClose(expected, e.Values.Row(r), 1e-4, $"row {r}");
        }
    }

    [TestMethod]
    public void Similarity_target_equals_the_gradient_of_the_cosine_computed_by_hand()
    {
        const int d = 5;
        var (model, w) = Dense(d, "Tanh", seed: 7);
        var x = Batch(2, seed: 8);
        float[] concept = [0.3f, -1.2f, 0.8f, 0.1f, -0.5f];
        var e = Explain(model, "gradient", ExplanationTargets.Similarity.Create(new TargetSettings { Concept = concept }), x, null);
        double cNorm = Math.Sqrt(concept.Sum(v => (double)v * v));
        for (int r = 0; r < 2; r++)
        {
            var y = Outputs(model, x, r).Select(v => (double)v).ToArray();
            double yNorm = Math.Sqrt(y.Sum(v => v * v));
            double dot = y.Select((v, i) => v * concept[i]).Sum();
            Assert.AreEqual(dot / (yNorm * cNorm), e.TargetScores![r], 1e-5, $"row {r} cosine");

            // ∂cos/∂y = v/(‖y‖‖v‖) − (y·v)·y/(‖y‖³‖v‖); y = tanh(x·W): ∂/∂x_i = Σ_j W_ij (1 − y_j²) ∂cos/∂y_j.
            var dy = y.Select((v, j) => (concept[j] / (yNorm * cNorm)) - (dot * v / (yNorm * yNorm * yNorm * cNorm))).ToArray();
            var expected = Enumerable.Range(0, Features).Select(i => Enumerable.Range(0, d).Sum(j => w[(i * d) + j] * (1 - (y[j] * y[j])) * dy[j])).ToArray();
            AssertClose(expected, e.Values.Row(r), 1e-4, $"row {r} ∂cos/∂x");
        }
    }

    [TestMethod]
    public void Finer_target_picks_the_closest_classes_and_explains_the_weighted_difference()
    {
        // The model passes its input through (y = x), so the input gradient is ∂s/∂y.
        var t = new TestGraph();
        var model = t.Output(t.Node("Flatten", [t.Input("x", -1, 1, 1, 5)])).Build();
        double[] y = [0, 5, 4.5, 6, 1];
        var x = new FloatTensor(y.Select(v => (float)v).ToArray(), 1, 1, 1, 5);
        foreach (var alpha in new[] { 1.0, 0.6 })
        {
            // |y − 6| = 6, 1, 1.5, 0, 5: the three closest other classes are 1, 2 and 4.
            var e = Explain(model, "gradient", ExplanationTargets.Finer.Create(new TargetSettings { Alpha = alpha }), x, [3]);
            Assert.AreEqual(Cam.NewCamMethodTests.FinerScore(y, 3, [1, 2, 4], alpha), e.TargetScores![0], 1e-5, $"α = {alpha}: score");
            var expected = FiniteDifferences(x, 0, u => Cam.NewCamMethodTests.FinerScore(u.Data.Select(v => (double)v).ToArray(), 3, [1, 2, 4], alpha));
            AssertClose(expected, e.Values.Row(0), 2e-3, $"α = {alpha}: ∂s/∂y");
        }

        // Ties by index: |y − 1| = 0, 1, 1, 2 for y = [1, 2, 0, 3]; one comparison takes class 1, not class 2.
        double[] tied = [1, 2, 0, 3];
        var t2 = new TestGraph();
        var model2 = t2.Output(t2.Node("Flatten", [t2.Input("x", -1, 1, 1, 4)])).Build();
        var e2 = Explain(model2, "gradient", ExplanationTargets.Finer.Create(new TargetSettings { Comparisons = 1 }), new FloatTensor(tied.Select(v => (float)v).ToArray(), 1, 1, 1, 4), [0]);
        Assert.AreEqual(Cam.NewCamMethodTests.FinerScore(tied, 0, [1], 1), e2.TargetScores![0], 1e-5, "ties by index");
        Assert.AreNotEqual(Cam.NewCamMethodTests.FinerScore(tied, 0, [2], 1), e2.TargetScores![0], 1e-3, "the tie is not broken towards class 2");

        // Class −1 is the top logit's class (pytorch-grad-cam's FinerCAM), not the arg-max of the Finer scores.
        var predicted = Explain(model, "gradient", ExplanationTargets.Finer.Create(), x, null);
        Assert.AreEqual(3L, predicted.Targets![0]);
    }

    [TestMethod]
    public void Integrated_gradients_of_a_softmax_target_are_complete_because_every_path_point_is_differentiated()
    {
        // Σᵢ IGᵢ = p_c(x) − p_c(0) holds only if the gradient at each path point is that of the probability there, not a
        // seed linearised at x.
        var (model, _) = Dense(4, "Tanh", seed: 3);
        var x = Batch(2, seed: 9);
        var e = Explain(model, "integrated-gradients", ExplanationTargets.Softmax.Create(), x, [1, 3], new MethodSettings { Steps = 128 });
        var zero = FloatTensor.Zeros(1, 1, 2, 3);
        for (int r = 0; r < 2; r++)
        {
            int c = (int)e.Targets![r];
            double expected = Softmax(Outputs(model, x, r))[c] - Softmax(Outputs(model, zero, 0))[c];
            double sum = e.Values.Row(r).ToArray().Sum(v => (double)v);
            Assert.AreEqual(expected, sum, 1e-3 + (0.01 * Math.Abs(expected)), $"row {r}: Σ IG vs Δp");
        }
    }

    [TestMethod]
    public void Compiled_explanations_carry_the_target_in_their_graph()
    {
        var model = Segmenter();
        var mask = FloatTensor.Zeros(5, 5);
        mask.Data[7] = mask.Data[8] = mask.Data[13] = 1;
        var settings = new MethodSettings { Target = ExplanationTargets.Segmentation.Create(new TargetSettings { Mask = mask }), TargetLayer = "Relu_1_out0" };
        var x = GradientCheck.RandomTensor(new Random(31), [2, 2, 5, 5]);
        long[] classes = [2, 0];
        foreach (var method in new[] { ExplanationMethods.SignedGradient, ExplanationMethods.GradCam })
        {
            var compiled = ExplanationCompiler.Compile(model, method, settings);
            using var explainer = method.CreateExplainer(model, settings);
            var expected = explainer.Explain(new ExplanationRequest(x) { Targets = classes });
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(compiled.Model.ToBytes());
            using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x.Data, x.Shape);
            using var targets = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(classes, [2]);
            using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
            using var outputs = session.Run(runOptions, [compiled.Input, ExplanationCompiler.TargetsInput], [input, targets], [ExplanationCompiler.ExplanationOutput]);
            var values = outputs[0].GetTensorDataAsSpan<float>();
            Assert.IsTrue(expected.Values.Data.Any(v => v != 0), $"{method.Name}: a non-trivial explanation");
            AssertClose(expected.Values.Data.Select(v => (double)v).ToArray(), values, 1e-5, $"{method.Name}: compiled vs library");
        }

        var finer = Assert.ThrowsExactly<ExplanationTargetException>(() => ExplanationCompiler.Compile(Dense(4, null, seed: 1).Model, ExplanationMethods.SignedGradient, new MethodSettings { Target = ExplanationTargets.Finer.Create() }));
        StringAssert.Contains(finer.Message, "arg-max");
    }

    public static IEnumerable<object[]> NonTransformerMethods =>
        ExplanationMethods.All.Where(m => m.Family != MethodFamily.VisionTransformer && m != ExplanationMethods.FinerCam).Select(m => new object[] { m.Name });

    /// <summary>Every method but the attention-reading ones explains a segmentation target, and reports the target's score.</summary>
    [TestMethod]
    [DynamicData(nameof(NonTransformerMethods))]
    public void Every_method_explains_a_segmentation_target_and_reports_its_score(string name)
    {
        var model = Segmenter();
        var mask = FloatTensor.Zeros(5, 5);
        mask.Data[6] = mask.Data[12] = mask.Data[18] = 1;
        var x = GradientCheck.RandomTensor(new Random(41), [2, 2, 5, 5]);
        long[] classes = [0, 2];
        var settings = new MethodSettings { TargetLayer = "Relu_1_out0", Steps = 8, Samples = 4, Masks = 64, Window = (2, 2), Stride = (1, 1), Low = [-1], High = [1] };
        var e = Explain(model, name, ExplanationTargets.Segmentation.Create(new TargetSettings { Mask = mask }), x, classes, settings);
        Assert.IsTrue(e.Values.Data.All(float.IsFinite), $"{name}: finite");
        CollectionAssert.AreEqual(classes, e.Targets, name);
        for (int r = 0; r < 2; r++)
        {
            var logits = Outputs(model, x, r);
            double expected = new[] { 6, 12, 18 }.Sum(p => logits[(int)(classes[r] * 25) + p]);
            Assert.AreEqual(expected, e.TargetScores![r], 1e-4, $"{name} row {r}: Σ of the class's logits over the mask");
        }
    }

    /// <summary>A fully convolutional segmentation net: Conv 3×3 (pad 1) → ReLU → Conv 1×1 to 3 classes, logits [N, 3, 5, 5].</summary>
    private static OnnxModel Segmenter()
    {
        var t = new TestGraph(seed: 11);
        var h = t.Node("Relu", [t.Node("Conv", [t.Input("x", -1, 2, 5, 5), t.Random("w1", [4, 2, 3, 3]), t.Random("b1", [4])], AttributeValue.Ints("pads", [1, 1, 1, 1]))]);
        var y = t.Node("Conv", [h, t.Random("w2", [3, 4, 1, 1]), t.Random("b2", [3])]);
        return t.Output(y).Build();
    }

    [TestMethod]
    public void Segmentation_target_for_a_mask_equals_the_sum_of_its_pixels_explanations()
    {
        var model = Segmenter();
        var x = GradientCheck.RandomTensor(new Random(12), [2, 2, 5, 5]);
        (int Y, int X)[] pixels = [(1, 1), (1, 2), (2, 2), (3, 4), (4, 0)];
        FloatTensor Mask(params (int Y, int X)[] on)
        {
            var mask = FloatTensor.Zeros(5, 5);
            foreach (var (py, px) in on)
            {
                mask.Data[(py * 5) + px] = 1;
            }

            return mask;
        }

        long[] classes = [1, 2];
        var whole = Explain(model, "gradient", ExplanationTargets.Segmentation.Create(new TargetSettings { Mask = Mask(pixels) }), x, classes);
        var sum = new double[whole.Values.Length];
        foreach (var pixel in pixels)
        {
            var single = Explain(model, "gradient", ExplanationTargets.Segmentation.Create(new TargetSettings { Mask = Mask(pixel) }), x, classes);
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += single.Values.Data[i];
            }
        }

        Assert.IsGreaterThan(1e-3, sum.Max(Math.Abs), "the masked pixels' gradients are not all zero");
        AssertClose(sum, whole.Values.Data, 1e-5, "mask gradient vs Σ pixel gradients");

        // The score: Σ over the mask of the class's logits, from a plain forward run.
        for (int r = 0; r < 2; r++)
        {
            var logits = Outputs(model, x, r);
            double expected = pixels.Sum(p => logits[(int)((classes[r] * 25) + (p.Y * 5) + p.X)]);
            Assert.AreEqual(expected, whole.TargetScores![r], 1e-4, $"row {r} score");
        }

        // A forward-only method evaluates the same score (Score-CAM's own target scores), and a CAM explains it.
        var cam = Explain(model, "score-cam", ExplanationTargets.Segmentation.Create(new TargetSettings { Mask = Mask(pixels) }), x, classes, new MethodSettings { TargetLayer = "Relu_1_out0" });
        for (int r = 0; r < 2; r++)
        {
            Assert.AreEqual(whole.TargetScores![r], cam.TargetScores![r], 1e-4, $"Score-CAM row {r} score");
        }
    }

    /// <summary>
    /// A detector-style graph on a [N, 1, 2, 3] input: 3 detections, boxes [N, 3, 4] = base + 0.1·(x·Wb), scores
    /// [N, 3] = sigmoid(x·Ws), labels [N, 3] = arg-max of per-detection class logits (int64).
    /// </summary>
    private static OnnxModel Detector()
    {
        var t = new TestGraph(seed: 21);
        var flat = t.Node("Flatten", [t.Input("x", -1, 1, 2, 3)]);
        var offsets = t.Node("Mul", [t.Node("MatMul", [flat, t.Random("wb", [Features, 12])]), t.Constant("step", [1], [0.1f])]);
        float[] bases = [0, 0, 2, 2, 3, 3, 6, 6, 3.5f, 3, 6.5f, 6.2f];
        var boxes = t.Node("Reshape", [t.Node("Add", [offsets, t.Constant("base", [12], bases)]), t.Int64s("box_shape", 0, 3, 4)]);
        var scores = t.Node("Sigmoid", [t.Node("MatMul", [flat, t.Random("ws", [Features, 3])])]);
        var classLogits = t.Node("Reshape", [t.Node("MatMul", [flat, t.Random("wc", [Features, 6])]), t.Int64s("class_shape", 0, 3, 2)]);
        var labels = t.Node("ArgMax", [classLogits], AttributeValue.Int("axis", 2), AttributeValue.Int("keepdims", 0));
        t.Graph.Node.Add(new Microsoft.ML.Explainability.Onnx.Protobuf.NodeProto { OpType = "Identity", Name = "boxes_id", Input = { boxes }, Output = { "boxes" } });
        t.Graph.Node.Add(new Microsoft.ML.Explainability.Onnx.Protobuf.NodeProto { OpType = "Identity", Name = "scores_id", Input = { scores }, Output = { "scores" } });
        t.Graph.Node.Add(new Microsoft.ML.Explainability.Onnx.Protobuf.NodeProto { OpType = "Identity", Name = "labels_id", Input = { labels }, Output = { "labels" } });
        return t.Output("boxes", "scores", "labels").Build();
    }

    /// <summary>pytorch-grad-cam's FasterRCNNBoxScoreTarget written out for one row: IoU (torchvision box_iou) + score of the best-IoU detection when it matches.</summary>
    private static double BoxScore(float[] boxes, float[] scores, long[] labels, ReferenceBox reference, double threshold)
    {
        double Iou(int k)
        {
            double w = Math.Max(0, Math.Min(reference.X2, boxes[(4 * k) + 2]) - Math.Max(reference.X1, boxes[4 * k]));
            double h = Math.Max(0, Math.Min(reference.Y2, boxes[(4 * k) + 3]) - Math.Max(reference.Y1, boxes[(4 * k) + 1]));
            double areaB = (boxes[(4 * k) + 2] - boxes[4 * k]) * (boxes[(4 * k) + 3] - boxes[(4 * k) + 1]);
            double areaR = (reference.X2 - reference.X1) * (reference.Y2 - reference.Y1);
            return w * h / (areaR + areaB - (w * h));
        }

        var ious = Enumerable.Range(0, scores.Length).Select(Iou).ToArray();
        int best = Array.IndexOf(ious, ious.Max());
        return ious[best] > threshold && labels[best] == reference.Label ? ious[best] + scores[best] : 0;
    }

    private static (float[] Boxes, float[] Scores, long[] Labels) Detections(OnnxModel model, FloatTensor x, int row)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model.ToBytes());
        using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x.Data, x.Shape);
        using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [input], ["boxes", "scores", "labels"]);
        return (outputs[0].GetTensorDataAsSpan<float>().Slice(row * 12, 12).ToArray(), outputs[1].GetTensorDataAsSpan<float>().Slice(row * 3, 3).ToArray(), outputs[2].GetTensorDataAsSpan<long>().Slice(row * 3, 3).ToArray());
    }

    [TestMethod]
    public void Detector_target_explains_one_box_as_computed_by_hand()
    {
        var model = Detector();
        // Row 1 is row 0 halved: the class logits x·Wc have no bias, so both rows keep the same labels.
        var first = Batch(1, seed: 22);
        var x = new FloatTensor([.. first.Data, .. first.Data.Select(v => v / 2)], 2, 1, 2, 3);
        var reference = new ReferenceBox(3.1f, 3.0f, 6.0f, 6.1f, Label: 0);
        var (_, _, labels0) = Detections(model, x, 0);
        var (_, _, labels1) = Detections(model, x, 1);
        Assert.AreEqual(labels0[1], labels1[1], "the test wants detection 1 to keep its label on both rows");
        reference = reference with { Label = labels0[1] };
        var target = ExplanationTargets.DetectorBoxes.Create(new TargetSettings { Boxes = [reference] });
        var e = Explain(model, "gradient", target, x, null);
        for (int r = 0; r < 2; r++)
        {
            int row = r;
            var (b, s, l) = Detections(model, x, r);
            double expected = BoxScore(b, s, l, reference, 0.5);
            Assert.IsGreaterThan(0.5, expected, $"row {r} matches the reference box");
            Assert.AreEqual(expected, e.TargetScores![r], 1e-5, $"row {r} score");
            var gradient = FiniteDifferences(x, r, t =>
            {
                var (bb, ss, ll) = Detections(model, t, row);
                return BoxScore(bb, ss, ll, reference, 0.5);
            });
            AssertClose(gradient, e.Values.Row(r), 3e-3, $"row {r} ∂(IoU + score)/∂x");
        }
    }

    [TestMethod]
    public void Detector_row_without_a_matching_box_is_refused_naming_the_row()
    {
        var model = Detector();
        var x = Batch(1, seed: 22);
        var far = ExplanationTargets.DetectorBoxes.Create(new TargetSettings { Boxes = [new ReferenceBox(20, 20, 22, 22, 0)] });
        var error = Assert.ThrowsExactly<ExplanationTargetException>(() => Explain(model, "gradient", far, x, null));
        StringAssert.Contains(error.Message, "Row 0: no detection matches");
        var (_, _, labels) = Detections(model, x, 0);
        var wrongLabel = ExplanationTargets.DetectorBoxes.Create(new TargetSettings { Boxes = [new ReferenceBox(3.1f, 3.0f, 6.0f, 6.1f, labels[1] + 7)] });
        Assert.ThrowsExactly<ExplanationTargetException>(() => Explain(model, "gradient", wrongLabel, x, null));
    }

    [TestMethod]
    public void Bad_targets_get_specific_exceptions()
    {
        var unknown = Assert.ThrowsExactly<ExplanationTargetException>(() => ExplanationTargets.Find("logit-of-doom"));
        StringAssert.Contains(unknown.Message, "segmentation");

        var segmenter = Segmenter();
        var wrongMask = ExplanationTargets.Segmentation.Create(new TargetSettings { Mask = FloatTensor.Zeros(4, 5) });
        var error = Assert.ThrowsExactly<ExplanationTargetException>(() => ExplanationMethods.SignedGradient.CreateExplainer(segmenter, new MethodSettings { Target = wrongMask }));
        StringAssert.Contains(error.Message, "[4, 5]");
        StringAssert.Contains(error.Message, "[5, 5]");
        Assert.ThrowsExactly<ExplanationTargetException>(() => ExplanationTargets.Segmentation.Create(), "a segmentation target needs its mask");

        var (embedder, _) = Dense(5, "Tanh", seed: 7);
        var shortConcept = ExplanationTargets.Similarity.Create(new TargetSettings { Concept = [1, 2, 3] });
        error = Assert.ThrowsExactly<ExplanationTargetException>(() => ExplanationMethods.SignedGradient.CreateExplainer(embedder, new MethodSettings { Target = shortConcept }));
        StringAssert.Contains(error.Message, "3 values");

        var binaryOnFive = ExplanationTargets.Binary.Create();
        Assert.ThrowsExactly<ExplanationTargetException>(() => ExplanationMethods.SignedGradient.CreateExplainer(embedder, new MethodSettings { Target = binaryOnFive }));
        error = Assert.ThrowsExactly<ExplanationTargetException>(() => ExplanationMethods.Lrp.CreateExplainer(embedder, new MethodSettings { Target = ExplanationTargets.Softmax.Create() }));
        StringAssert.Contains(error.Message, "LRP");
        Assert.ThrowsExactly<ExplanationTargetException>(() => ExplanationMethods.SignedGradient.CreateExplainer(embedder, new MethodSettings { Target = ExplanationTargets.Segmentation.Create(new TargetSettings { Mask = FloatTensor.Zeros(5, 5) }) }), "a segmentation target needs [N, classes, H, W]");
    }
}
