using Microsoft.ML.Explainability.Compilation;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;
using Microsoft.ML.Explainability.Tests.Shared;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Tests.Explainers;

/// <summary>
/// Models with several inputs (issue 16, item 6): the image is explained, the feature vector is fed per row and held
/// fixed. Row r of a two-input explanation must equal the explanation of the single-input model with row r's feature
/// vector baked in as a constant, for every method — which checks that each copy of a row an explainer makes (noisy
/// samples, path points, masked images, ablated channels, occluded windows) is fed that row's feature vector.
/// </summary>
[TestClass]
public sealed class MultiInputTests
{
    private const int Rows = 3;
    private static readonly long[] Targets = [1, 3, 0];

    private static FloatTensor Images() => GradientCheck.RandomTensor(new Random(11), [Rows, TwoInputModel.Channels, TwoInputModel.Size, TwoInputModel.Size], 0, 1);

    private static FloatTensor Meta() => GradientCheck.RandomTensor(new Random(12), [Rows, TwoInputModel.Features], -1, 1);

    private static Dictionary<string, InputTensor> Inputs(FloatTensor meta) => new() { [TwoInputModel.Meta] = InputTensor.Float(meta) };

    /// <summary>Settings that make every method deterministic and fast on a 6×6 image (no noise: the copies differ only by their row).</summary>
    private static MethodSettings Settings(int batchSize = 2) => new()
    {
        Window = (2, 2),
        Stride = (1, 1),
        Masks = 64,
        Samples = 3,
        NoiseLevel = 0,
        Steps = 8,
        Execution = new ExecutionOptions { BatchSize = batchSize },
    };

    [TestMethod]
    public void The_image_gradient_with_the_feature_vector_held_fixed_matches_finite_differences()
    {
        var model = TwoInputModel.Build();
        var x = Images();
        var meta = Meta();
        using var explainer = ExplanationMethods.SignedGradient.CreateExplainer(model, Settings());
        var gradient = explainer.Explain(new ExplanationRequest(x) { Targets = Targets, Inputs = Inputs(meta) }).Values;
        CollectionAssert.AreEqual(x.Shape, gradient.Shape);

        using var forward = new Forward(model);
        double Score(FloatTensor images, int row) => forward.Run(TwoInputModel.Logits, new Dictionary<string, FloatTensor> { [TwoInputModel.Image] = images, [TwoInputModel.Meta] = meta })[row, Targets[row]];
        const double step = 1e-3;
        double scale = gradient.Data.Max(v => Math.Abs((double)v));
        Assert.IsTrue(scale > 1e-3, "the gradient is not trivially zero");
        for (int i = 0; i < x.RowLength; i++)
        {
            var plus = new FloatTensor((float[])x.Data.Clone(), x.Shape);
            var minus = new FloatTensor((float[])x.Data.Clone(), x.Shape);
            for (int r = 0; r < Rows; r++)
            {
                plus.Data[(r * x.RowLength) + i] += (float)step;
                minus.Data[(r * x.RowLength) + i] -= (float)step;
            }

            for (int r = 0; r < Rows; r++)
            {
                double numeric = (Score(plus, r) - Score(minus, r)) / (2 * step);
                double analytic = gradient.Data[(r * x.RowLength) + i];
                Assert.AreEqual(numeric, analytic, (2e-3 * scale) + (2e-2 * Math.Abs(numeric)), $"row {r}, element {i}");
            }
        }
    }

    [TestMethod]
    public void Every_method_that_applies_to_a_CNN_explains_row_r_as_the_model_with_row_r_features_baked_in()
    {
        // Each row's feature vector opens a different hidden unit (the others are far below the Relu's kink), so a copy
        // fed another row's vector explains another unit; 8 rows per call make the copies' calls cross row boundaries.
        var twoInput = TwoInputModel.Build();
        var x = Images();
        var meta = new FloatTensor([5, -5, -5, -5, -5, 5, -5, -5, -5, -5, 5, 5], Rows, TwoInputModel.Features);
        var failures = new List<string>();
        foreach (var method in ExplanationMethods.All.Where(m => !m.Needs.HasFlag(MethodNeeds.Attention)))
        {
            using var explainer = method.CreateExplainer(twoInput, Settings(batchSize: 8));
            var actual = explainer.Explain(new ExplanationRequest(x) { Targets = Targets, Inputs = Inputs(meta) });
            CollectionAssert.AreEqual(Targets, actual.Targets, method.Name);

            // Random-CAM draws new weights per image, so only the first row of a fresh explainer repeats.
            int rows = method == ExplanationMethods.RandomCam ? 1 : Rows;
            for (int r = 0; r < rows; r++)
            {
                using var baked = method.CreateExplainer(TwoInputModel.Build(bakedMeta: meta.Row(r).ToArray()), Settings(batchSize: 8));
                var expected = baked.Explain(new ExplanationRequest(x.Rows(r, 1)) { Targets = [Targets[r]] }).Values;
                var got = actual.Values.Row(r).ToArray();
                double top = expected.Data.Max(v => Math.Abs((double)v));
                double worst = expected.Data.Select((e, i) => Math.Abs(e - got[i])).Max();
                if (!(worst <= (1e-4 * top) + 1e-6))
                {
                    failures.Add($"{method.Name} row {r}: max |difference| {worst:G3} (max |value| {top:G3})");
                }
            }
        }

        Assert.AreEqual(0, failures.Count, string.Join("\n", failures));
    }

    [TestMethod]
    public void Attention_methods_hold_an_extra_input_of_a_vision_transformer_fixed()
    {
        // The fixture DeiT with a second input "bias" [N, classes] added to its logits: a large bias picks each row's
        // predicted class, so the explained classes show that every row got its own bias.
        var deit = OnnxModel.Load(TestAssets.ModelPath("fmnist_deit.onnx"));
        var x = TestAssets.FashionMnistBatch(Rows);
        int classes = 10;
        var bias = new float[Rows * classes];
        long[] picked = [7, 2, 5];
        for (int r = 0; r < Rows; r++)
        {
            bias[(r * classes) + picked[r]] = 1000;
        }

        var withBias = AddBiasInput(deit, classes, null);
        foreach (var method in ExplanationMethods.All.Where(m => m.Needs.HasFlag(MethodNeeds.Attention)))
        {
            using var explainer = method.CreateExplainer(withBias, Settings());
            var actual = explainer.Explain(new ExplanationRequest(x) { Inputs = new Dictionary<string, InputTensor> { ["bias"] = InputTensor.Float(new FloatTensor(bias, Rows, classes)) } });
            CollectionAssert.AreEqual(picked, actual.Targets, method.Name);
            for (int r = 0; r < Rows; r++)
            {
                using var baked = method.CreateExplainer(AddBiasInput(deit, classes, bias.AsSpan(r * classes, classes).ToArray()), Settings());
                var expected = baked.Explain(new ExplanationRequest(x.Rows(r, 1))).Values;
                var got = actual.Values.Row(r).ToArray();
                double worst = expected.Data.Select((e, i) => Math.Abs(e - got[i])).Max();
                Assert.IsTrue(worst <= 1e-4 * Math.Max(1e-3, expected.Data.Max(v => Math.Abs((double)v))), $"{method.Name} row {r}: max |difference| {worst:G3}");
            }
        }
    }

    [TestMethod]
    public void An_int64_feature_vector_is_fed_like_its_float_values()
    {
        var x = Images();
        var values = new long[] { 1, 0, -1, 2, 0, 1, 1, -2, 2, 2, 0, 0 };
        var asFloat = new FloatTensor(values.Select(v => (float)v).ToArray(), Rows, TwoInputModel.Features);
        using var integer = ExplanationMethods.GradCam.CreateExplainer(TwoInputModel.Build(int64Meta: true), Settings());
        using var real = ExplanationMethods.GradCam.CreateExplainer(TwoInputModel.Build(), Settings());
        var a = integer.Explain(new ExplanationRequest(x) { Targets = Targets, Inputs = new Dictionary<string, InputTensor> { [TwoInputModel.Meta] = InputTensor.Int64(values, Rows, TwoInputModel.Features) } });
        var b = real.Explain(new ExplanationRequest(x) { Targets = Targets, Inputs = Inputs(asFloat) });
        CollectionAssert.AreEqual(b.Values.Data, a.Values.Data);
        CollectionAssert.AreEqual(b.TargetScores, a.TargetScores);
    }

    [TestMethod]
    public void A_wrong_or_missing_feature_vector_gets_an_exception_naming_the_input()
    {
        var model = TwoInputModel.Build();
        var x = Images();
        using var explainer = ExplanationMethods.GradCam.CreateExplainer(model, Settings());
        InputMismatchException Refused(IReadOnlyDictionary<string, InputTensor>? inputs) =>
            Assert.ThrowsExactly<InputMismatchException>(() => explainer.Explain(new ExplanationRequest(x) { Inputs = inputs }));

        var missing = Refused(null);
        Assert.AreEqual(TwoInputModel.Meta, missing.InputName);
        StringAssert.Contains(missing.Message, "not given");
        Assert.AreEqual("extra", Refused(new Dictionary<string, InputTensor> { [TwoInputModel.Meta] = InputTensor.Float(Meta()), ["extra"] = InputTensor.Float(Meta()) }).InputName);
        StringAssert.Contains(Refused(new Dictionary<string, InputTensor> { [TwoInputModel.Meta] = InputTensor.Int64(new long[Rows * TwoInputModel.Features], Rows, TwoInputModel.Features) }).Message, "Int64");
        StringAssert.Contains(Refused(Inputs(FloatTensor.Zeros(Rows, TwoInputModel.Features + 1))).Message, "expects shape [N, 4]");
        StringAssert.Contains(Refused(Inputs(FloatTensor.Zeros(Rows - 1, TwoInputModel.Features))).Message, "2 rows but the explained batch has 3");
        Assert.AreEqual(TwoInputModel.Image, Refused(new Dictionary<string, InputTensor> { [TwoInputModel.Image] = InputTensor.Float(x) }).InputName);

        var nan = Meta();
        nan[1, 2] = float.NaN;
        var nonFinite = Assert.ThrowsExactly<NonFiniteInputException>(() => explainer.Explain(new ExplanationRequest(x) { Inputs = Inputs(nan) }));
        Assert.AreEqual((1, 2), (nonFinite.Row, nonFinite.Index));
        StringAssert.Contains(nonFinite.ParamName, TwoInputModel.Meta);

        // The classic single-input overload on a two-input model names what is missing.
        using var cam = new Microsoft.ML.Explainability.Cam.CamExplainer(model);
        Assert.AreEqual(TwoInputModel.Meta, Assert.ThrowsExactly<InputMismatchException>(() => cam.Explain(x)).InputName);
    }

    [TestMethod]
    public void The_explained_input_is_chosen_by_name_and_an_ambiguous_choice_is_refused()
    {
        // Explaining the feature vector: a float input of any rank can be the explained one.
        using var ofMeta = ExplanationMethods.SignedGradient.CreateExplainer(TwoInputModel.Build(), new MethodSettings { ExplainedInput = TwoInputModel.Meta });
        var meta = Meta();
        var gradient = ofMeta.Explain(new ExplanationRequest(meta) { Targets = Targets, Inputs = new Dictionary<string, InputTensor> { [TwoInputModel.Image] = InputTensor.Float(Images()) } }).Values;
        CollectionAssert.AreEqual(meta.Shape, gradient.Shape);

        var unknown = Assert.ThrowsExactly<InputMismatchException>(() => ExplanationMethods.GradCam.CreateExplainer(TwoInputModel.Build(), new MethodSettings { ExplainedInput = "photo" }));
        StringAssert.Contains(unknown.Message, "'image' Float [N, 2, 6, 6]");
        var integer = Assert.ThrowsExactly<InputMismatchException>(() => ExplanationMethods.SignedGradient.CreateExplainer(TwoInputModel.Build(int64Meta: true), new MethodSettings { ExplainedInput = TwoInputModel.Meta }));
        StringAssert.Contains(integer.Message, "must be float32");

        // Two images: no default.
        var t = new TestGraph();
        var a = t.Input("left", -1, 1, 4, 4);
        var b = t.Input("right", -1, 1, 4, 4);
        var flat = t.Node("Flatten", [t.Node("Add", [a, b])]);
        var twoImages = t.Output(t.Node("MatMul", [flat, t.Random("w", [16, 3])])).Build();
        var ambiguous = Assert.ThrowsExactly<InputMismatchException>(() => ExplanationMethods.SignedGradient.CreateExplainer(twoImages, MethodSettings.Default));
        StringAssert.Contains(ambiguous.Message, "'left' Float [N, 1, 4, 4], 'right' Float [N, 1, 4, 4]");
        StringAssert.Contains(ambiguous.Message, "--explained-input");
        using var right = ExplanationMethods.SignedGradient.CreateExplainer(twoImages, new MethodSettings { ExplainedInput = "right" });
        var image = GradientCheck.RandomTensor(new Random(1), [2, 1, 4, 4]);
        Assert.AreEqual(2, right.Explain(new ExplanationRequest(image) { Inputs = new Dictionary<string, InputTensor> { ["left"] = InputTensor.Float(image) } }).Values.BatchSize);
    }

    [TestMethod]
    public void Compiled_explanations_keep_the_feature_vector_as_a_graph_input()
    {
        var model = TwoInputModel.Build();
        var x = Images();
        var meta = Meta();
        foreach (var method in new[] { ExplanationMethods.GradCam, ExplanationMethods.IntegratedGradients, ExplanationMethods.SmoothGrad, ExplanationMethods.GuidedGradCam })
        {
            var settings = method == ExplanationMethods.SmoothGrad ? new MethodSettings { NoiseLevel = 0, Samples = 3 } : new MethodSettings { Steps = 8 };
            var compiled = ExplanationCompiler.Compile(model, method, settings);
            Assert.IsTrue(compiled.Model.InputNames.Contains(TwoInputModel.Meta), method.Name);
            using var session = new InferenceSession(compiled.Model.ToBytes());
            using var image = OrtValue.CreateTensorValueFromMemory(x.Data, x.Shape);
            using var metaValue = OrtValue.CreateTensorValueFromMemory(meta.Data, meta.Shape);
            using var targets = OrtValue.CreateTensorValueFromMemory(Targets, [Rows]);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [TwoInputModel.Image, TwoInputModel.Meta, ExplanationCompiler.TargetsInput], [image, metaValue, targets], [ExplanationCompiler.ExplanationOutput]);
            var values = outputs[0].GetTensorDataAsSpan<float>().ToArray();

            using var explainer = method.CreateExplainer(model, settings);
            var expected = explainer.Explain(new ExplanationRequest(x) { Targets = Targets, Inputs = Inputs(meta) }).Values;
            double top = expected.Data.Max(v => Math.Abs((double)v));
            double worst = expected.Data.Select((e, i) => Math.Abs(e - values[i])).Max();
            Assert.IsTrue(worst <= (1e-3 * top) + 1e-6, $"{method.Name}: compiled differs from the library by {worst:G3} (max |value| {top:G3})");
        }
    }

    /// <summary>The model with its output plus a second input "bias" [N, classes], or plus a constant row when <paramref name="baked"/> is given.</summary>
    private static OnnxModel AddBiasInput(OnnxModel model, int classes, float[]? baked)
    {
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        var output = graph.Output[0].Name;
        string bias = "bias";
        if (baked is null)
        {
            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = classes });
            graph.Input.Add(new ValueInfoProto { Name = bias, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } });
        }
        else
        {
            graph.Initializer.Add(TensorProtos.Float(bias, [1, classes], baked));
        }

        graph.Node.Add(new NodeProto { OpType = "Add", Name = "add_bias", Input = { output, bias }, Output = { "biased" } });
        graph.Output.Clear();
        graph.Output.Add(new ValueInfoProto { Name = "biased" });
        return new OnnxModel(proto);
    }
}
