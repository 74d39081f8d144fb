using Microsoft.ML.Explainability.Compilation;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Tests.Compilation;

/// <summary>
/// Every method of the registry either compiles — and the compiled model, run by plain ONNX Runtime, reproduces its
/// explainer on the fixtures — or states why it does not.
/// </summary>
[TestClass]
public sealed class ExplanationCompilerTests
{
    private static readonly long[] Targets = [2, -1, 9];

    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Methods => ExplanationMethods.All.Select(m => new object[] { m.Name });

    /// <summary>SmoothGrad's noise comes from RandomNormalLike in the graph, so it is compared with the library at σ = 0.</summary>
    private static MethodSettings SettingsFor(ExplanationMethod method) =>
        method == ExplanationMethods.SmoothGrad || method == ExplanationMethods.SmoothGradSquared || method == ExplanationMethods.VarGrad
            ? new MethodSettings { NoiseLevel = 0, Samples = 3 }
            : new MethodSettings { Steps = 16 };

    [TestMethod]
    [DynamicData(nameof(Methods))]
    public void Every_method_compiles_and_reproduces_the_library_or_states_its_reason(string name)
    {
        var method = ExplanationMethods.Find(name);
        var model = OnnxModel.Load(TestAssets.ModelPath(method.Family == MethodFamily.VisionTransformer ? "fmnist_deit.onnx" : "fmnist_cnn.onnx"));
        if (!method.Compiles)
        {
            Assert.IsFalse(string.IsNullOrWhiteSpace(method.NotCompilableReason));
            var error = Assert.ThrowsExactly<ArgumentException>(() => ExplanationCompiler.Compile(model, method));
            StringAssert.Contains(error.Message, method.NotCompilableReason!);
            StringAssert.Contains(error.Message, "grad-cam, ");
            return;
        }

        var settings = SettingsFor(method);
        var batch = TestAssets.FashionMnistBatch(3);
        var compiled = ExplanationCompiler.Compile(model, method, settings);
        using var explainer = method.CreateExplainer(model, settings);
        var expected = explainer.Explain(new ExplanationRequest(batch) { Targets = Targets });
        var (values, classes, logits) = Run(compiled, batch, Targets);

        CollectionAssert.AreEqual(expected.Targets, classes, $"{name}: explained classes");
        Assert.AreEqual(30, logits.Length, "the original output is kept, for the clean rows");
        Assert.AreEqual(expected.Values.Length, values.Length, $"{name}: {compiled.ExplanationShape} vs the library's {expected.Values.ShapeText}");
        double scale = Math.Max(1, expected.Values.Data.Max(v => Math.Abs(v)));
        double difference = MaxAbsDifference(expected.Values.Data, values);
        double tolerance = (method == ExplanationMethods.EigenCam || method == ExplanationMethods.EigenGradCam ? 1e-4 : 1e-5) * scale;
        TestContext.WriteLine($"{name}: max |Δ| = {difference:E2} (scale {scale:G3})");
        Assert.IsLessThanOrEqualTo(tolerance, difference, $"{name}: compiled vs library");
        Assert.IsTrue(expected.Values.Data.Any(v => v != 0) || method == ExplanationMethods.VarGrad, $"{name}: a non-trivial explanation");
    }

    /// <summary>The power iteration of compiled Eigen-CAM (with the sign rule), FullGrad's bias layers (Conv and BatchNormalization), FEM's masks and Shapley-CAM's second-order graph (non-zero H·A through GELU and softmax) on other architectures than the CNN.</summary>
    [TestMethod]
    [DataRow("fmnist_resnet.onnx", "eigen-cam")]
    [DataRow("fmnist_resnet.onnx", "eigen-grad-cam")]
    [DataRow("fmnist_mobilenet.onnx", "eigen-cam")]
    [DataRow("fmnist_deit.onnx", "grad-cam-plus-plus")]
    [DataRow("fmnist_resnet.onnx", "full-grad")]
    [DataRow("fmnist_mobilenet.onnx", "full-grad")]
    [DataRow("fmnist_resnet.onnx", "fem")]
    [DataRow("fmnist_deit.onnx", "shapley-cam")]
    [DataRow("fmnist_mobilenet.onnx", "shapley-cam")]
    public void Compiled_cams_reproduce_the_library_on_other_architectures(string modelName, string name)
    {
        var method = ExplanationMethods.Find(name);
        var model = OnnxModel.Load(TestAssets.ModelPath(modelName));
        var batch = TestAssets.FashionMnistBatch(3);
        var compiled = ExplanationCompiler.Compile(model, method);
        using var explainer = method.CreateExplainer(model);
        var expected = explainer.Explain(new ExplanationRequest(batch) { Targets = Targets });
        var (values, _, _) = Run(compiled, batch, Targets);
        double difference = MaxAbsDifference(expected.Values.Data, values);
        TestContext.WriteLine($"{modelName} {name}: max |Δ| = {difference:E2}");
        Assert.IsLessThanOrEqualTo(name.StartsWith("eigen", StringComparison.Ordinal) ? 1e-4 : 1e-5, difference);
    }

    /// <summary>A CAM over two target layers compiles to one backward graph and the same aggregation (mean, or RefineCAM's product).</summary>
    [TestMethod]
    [DataRow("grad-cam")]
    [DataRow("refine-cam")]
    [DataRow("seg-eigen-cam")]
    public void Compiled_multi_layer_cams_reproduce_the_library(string name)
    {
        var method = ExplanationMethods.Find(name);
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_resnet.onnx"));
        var automatic = TargetLayers.Automatic(model);
        var finer = TargetLayers.List(model).Last(l => l.Height > automatic.Height);
        var settings = new MethodSettings { TargetLayers = [finer.Name, automatic.Name] };
        var batch = TestAssets.FashionMnistBatch(3);
        var compiled = ExplanationCompiler.Compile(model, method, settings);
        using var explainer = method.CreateExplainer(model, settings);
        var expected = explainer.Explain(new ExplanationRequest(batch) { Targets = Targets });
        var (values, _, _) = Run(compiled, batch, Targets);
        double difference = MaxAbsDifference(expected.Values.Data, values);
        TestContext.WriteLine($"{name} over two layers: max |Δ| = {difference:E2}");
        Assert.IsLessThanOrEqualTo(name == "seg-eigen-cam" ? 1e-4 : 1e-5, difference);

        var smooth = Assert.ThrowsExactly<ArgumentException>(() => ExplanationCompiler.Compile(model, ExplanationMethods.GradCam, new MethodSettings { AugSmooth = true }));
        StringAssert.Contains(smooth.Message, "AugSmooth");
    }

    [TestMethod]
    public void Smoothgrad_noise_is_applied_and_its_mean_matches_the_library_statistically()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var batch = TestAssets.FashionMnistBatch(2);
        var settings = new MethodSettings { Samples = 64, NoiseLevel = 0.1, Seed = 5 };
        var compiled = ExplanationCompiler.Compile(model, ExplanationMethods.SmoothGrad, settings);
        using var library = ExplanationMethods.SmoothGrad.CreateExplainer(model, settings);
        using var plain = ExplanationMethods.SignedGradient.CreateExplainer(model);
        var expected = library.Explain(new ExplanationRequest(batch)).Values.Data;
        var gradient = plain.Explain(new ExplanationRequest(batch)).Values.Data;
        var (values, _, _) = Run(compiled, batch, null);

        double Norm(IEnumerable<double> v) => Math.Sqrt(v.Sum(t => t * t));
        double fromLibrary = Norm(values.Zip(expected, (a, b) => (double)a - b)) / Norm(expected.Select(v => (double)v));
        double fromGradient = Norm(values.Zip(gradient, (a, b) => (double)a - b)) / Norm(gradient.Select(v => (double)v));
        TestContext.WriteLine($"SmoothGrad (64 samples): relative distance to the library's {fromLibrary:F3}, to the plain gradient {fromGradient:F3}");
        Assert.IsGreaterThan(0.05, fromGradient, "the compiled noise changes the result");
        Assert.IsLessThan(fromGradient, fromLibrary, "two SmoothGrads with different noise agree better than SmoothGrad and the gradient");
        Assert.IsLessThan(0.5, fromLibrary);
    }

    [TestMethod]
    public void Targets_input_is_optional_unless_required()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var optional = ExplanationCompiler.Compile(model, ExplanationMethods.IntegratedGradients, new MethodSettings { Steps = 4 });
        var required = ExplanationCompiler.Compile(model, ExplanationMethods.IntegratedGradients, new MethodSettings { Steps = 4 }, new CompileOptions { RequiredTargets = true });
        using var optionalSession = new InferenceSession(optional.Model.ToBytes());
        using var requiredSession = new InferenceSession(required.Model.ToBytes());
        CollectionAssert.AreEqual(new[] { "input" }, optionalSession.InputMetadata.Keys.ToArray());
        CollectionAssert.AreEqual(new[] { "input", ExplanationCompiler.TargetsInput }, requiredSession.InputMetadata.Keys.ToArray());
        var batch = TestAssets.FashionMnistBatch(2);
        var (a, predicted, _) = Run(optional, batch, null);
        var (b, given, _) = Run(required, batch, [-1, -1]);
        CollectionAssert.AreEqual(predicted, given);
        Assert.AreEqual(0, MaxAbsDifference(a, b));
    }

    private static (float[] Values, long[] Classes, float[] Logits) Run(CompiledExplanation compiled, FloatTensor batch, long[]? targets)
    {
        using var session = new InferenceSession(compiled.Model.ToBytes());
        var names = new List<string> { compiled.Input };
        var values = new List<OrtValue> { OrtValue.CreateTensorValueFromMemory(batch.Data, batch.Shape) };
        if (targets is not null)
        {
            names.Add(ExplanationCompiler.TargetsInput);
            values.Add(OrtValue.CreateTensorValueFromMemory(targets, [targets.Length]));
        }

        try
        {
            using var options = new RunOptions();
            var logits = session.OutputMetadata.Keys.First();
            using var outputs = session.Run(options, names, values, [ExplanationCompiler.ExplanationOutput, ExplanationCompiler.ClassOutput, logits]);
            return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<long>().ToArray(), outputs[2].GetTensorDataAsSpan<float>().ToArray());
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    private static double MaxAbsDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).DefaultIfEmpty(0).Max();
}
