using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>
/// Gradients of whole real models (the four PyTorch fixtures and the CNTK ResNet-18 featurizer) against finite
/// differences: with respect to the input and to an intermediate tensor on sampled coordinates, and the dot-product
/// test ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ along a random direction v.
/// Float32 central differences with step h = 1e-3 (inputs in normalised units): truncation O(h²) plus rounding
/// ≈ 1e-7·|L|/h; a ReLU or MaxPool winner switching inside ±h adds a rare larger error, so coordinate checks allow 5%
/// relative error plus 1% of the largest gradient, and at most one outlier in 24 samples. The dot-product test moves
/// every pixel at once, so it uses h = 1e-4 (fewer kinks crossed) and allows 1% of Σ|vₖ·(Jᵀu)ₖ|.
/// </summary>
[TestClass]
public sealed class WholeModelGradientTests
{
    private const double RelativeTolerance = 0.05;
    private const double AbsoluteTolerance = 0.01;

    public static IEnumerable<object[]> Fixtures => TestAssets.FixtureModels.Select(m => new object[] { m });

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void Class_logit_gradient_with_respect_to_the_input_matches_finite_differences(string fixture)
    {
        var model = OnnxModel.Load(TestAssets.ModelPath(fixture));
        var x = Jittered(TestAssets.FashionMnistBatch(2), seed: 11);
        CheckWithRespectToInput(model, "logits", "input", x, OneHotSeed([2, 10], [3, 7]), step: 1e-3);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void Class_logit_gradient_with_respect_to_the_target_layer_matches_finite_differences(string fixture)
    {
        var model = OnnxModel.Load(TestAssets.ModelPath(fixture));
        var x = Jittered(TestAssets.FashionMnistBatch(2), seed: 12);
        CheckWithRespectToIntermediate(model, "logits", "input", "target_act", x, OneHotSeed([2, 10], [1, 9]), step: 1e-3);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void Dot_product_test_holds_on_the_fixture(string fixture)
    {
        var model = OnnxModel.Load(TestAssets.ModelPath(fixture));
        var x = Jittered(TestAssets.FashionMnistBatch(3), seed: 13);
        var u = GradientCheck.RandomTensor(new Random(5), [3, 10]);
        DotProduct(model, "logits", "input", x, u, step: 1e-4);
    }

    /// <summary>
    /// Small torchvision graphs with the op patterns of the model zoo (eng/model-zoo/export_zoo.py --tiny, random
    /// weights, randomised BatchNorm): ResNet basic and bottleneck blocks with MaxPool; MobileNetV2 inverted residuals
    /// (ReLU6 as Clip, strided depthwise); MobileNetV3 (Hardswish, squeeze-excitation with HardSigmoid); ShuffleNetV2
    /// (channel split as Slice with Shape-computed bounds, channel shuffle); EfficientNet MBConv (SiLU, SE with
    /// Sigmoid); SqueezeNet Fire and GoogLeNet Inception (Concat, ceil-mode MaxPool).
    /// </summary>
    /// <remarks>
    /// Randomly initialised, these nets have input gradients 10⁻⁵–10⁻⁴ of their logits, so float32 rounding of the
    /// logits (≈ 6·10⁻⁸) needs a step of 10⁻² to resolve them; the HardSigmoid-gated MobileNetV3 pattern needs 5·10⁻².
    /// </remarks>
    public static IEnumerable<object[]> ZooPatterns =>
    [
        ["tiny_resnet", 1e-2],
        ["tiny_mobilenet_v2", 1e-2],
        ["tiny_mobilenet_v3", 5e-2],
        ["tiny_shufflenet_v2", 1e-2],
        ["tiny_efficientnet", 1e-2],
        ["tiny_squeezenet_googlenet", 1e-2],
    ];

    [TestMethod]
    [DynamicData(nameof(ZooPatterns))]
    public void Zoo_pattern_input_gradient_matches_finite_differences_and_the_dot_product_test(string name, double step)
    {
        var model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "assets", "models", "zoo", name + ".onnx"));
        var random = new Random(31);
        var x = GradientCheck.RandomTensor(random, [2, 3, 32, 32], -2, 2);
        CheckWithRespectToInput(model, "logits", "input", x, OneHotSeed([2, 10], [4, 8]), step);
        DotProduct(model, "logits", "input", x, GradientCheck.RandomTensor(random, [2, 10]), step: 1e-4);
    }

    [TestMethod]
    public void Featurizer_feature_gradient_matches_finite_differences_and_the_dot_product_test()
    {
        var model = OnnxModel.Load(TestAssets.ResNet18Path);
        Assert.AreEqual(8, model.Opset, "the NuGet featurizer is an opset-8 CNTK export");
        var random = new Random(21);
        var x = GradientCheck.RandomTensor(random, [1, 3, 224, 224], 0, 255);
        var seed = new FloatTensor(new float[512], 1, 512, 1, 1);
        seed.Data[100] = 1;
        CheckWithRespectToInput(model, "Pooling395_Output_0", "Input247", x, seed, step: 0.5, samples: 16);
        DotProduct(model, "Pooling395_Output_0", "Input247", x, GradientCheck.RandomTensor(random, [1, 512, 1, 1]), step: 0.5);
    }

    [TestMethod]
    public void Featurizer_gradient_with_respect_to_an_intermediate_tensor_matches_finite_differences()
    {
        var model = OnnxModel.Load(TestAssets.ResNet18Path);
        var shapes = ShapeProbe.Run(GradientModel.Prepare(model));
        // The input of the last residual stage's final ReLU: deep enough to cross BatchNormalization and residual Adds.
        var layer = shapes.Tensors.Where(t => t.Rank == 4 && t.Shape[1] == 512 && t.Shape[2] == 7 && t.Producer!.StartsWith("Relu", StringComparison.Ordinal)).Last().Name;
        var x = GradientCheck.RandomTensor(new Random(22), [1, 3, 224, 224], 0, 255);
        var seed = new FloatTensor(new float[512], 1, 512, 1, 1);
        seed.Data[7] = 1;
        CheckWithRespectToIntermediate(model, "Pooling395_Output_0", "Input247", layer, x, seed, step: 1e-2);
    }

    /// <summary>
    /// Adds uniform noise in ±0.1 so no two pixels tie exactly: on a flat black background every window of a ReLU or
    /// MaxPool ties, where the network is not differentiable and a finite difference measures a one-sided slope.
    /// </summary>
    private static FloatTensor Jittered(FloatTensor x, int seed)
    {
        var random = new Random(seed);
        var data = x.Data.Select(v => v + (float)((random.NextDouble() - 0.5) * 0.2)).ToArray();
        return new FloatTensor(data, x.Shape);
    }

    private static FloatTensor OneHotSeed(long[] shape, int[] classes)
    {
        var seed = FloatTensor.Zeros(shape);
        for (int row = 0; row < classes.Length; row++)
        {
            seed[row, classes[row]] = 1;
        }

        return seed;
    }

    private static void CheckWithRespectToInput(OnnxModel model, string output, string input, FloatTensor x, FloatTensor seed, double step, int samples = 24)
    {
        var gradientModel = GradientModel.Build(model, new GradientRequest { Output = output, Seed = SeedKind.Given, WithRespectTo = [input] });
        using var session = new GradientSession(gradientModel);
        var gradient = session.Run(new Dictionary<string, FloatTensor> { [input] = x }, seed: seed).Gradients[input];
        using var forward = new Forward(GradientModel.Prepare(model));
        CompareCoordinates(forward, output, new Dictionary<string, FloatTensor> { [input] = x }, input, seed, gradient, step, samples);
    }

    private static void CheckWithRespectToIntermediate(OnnxModel model, string output, string input, string layer, FloatTensor x, FloatTensor seed, double step)
    {
        var gradientModel = GradientModel.Build(model, new GradientRequest { Output = output, Seed = SeedKind.Given, WithRespectTo = [layer], Activations = [layer] });
        using var session = new GradientSession(gradientModel);
        var result = session.Run(new Dictionary<string, FloatTensor> { [input] = x }, seed: seed);
        var activation = result.Outputs[layer];
        var gradient = result.Gradients[layer];
        Assert.IsTrue(gradient.Shape.SequenceEqual(activation.Shape));

        var cut = GraphSurgery.CutAt(GradientModel.Prepare(model), layer, activation.Shape);
        using var forward = new Forward(cut);
        var feeds = new Dictionary<string, FloatTensor> { [input] = x, [GraphSurgery.CutInput] = activation };
        CompareCoordinates(forward, output, feeds, GraphSurgery.CutInput, seed, gradient, step, 24);
    }

    private static void CompareCoordinates(Forward forward, string output, Dictionary<string, FloatTensor> feeds, string name, FloatTensor seed, FloatTensor gradient, double step, int samples)
    {
        var random = new Random(3);
        double scale = gradient.Data.Max(v => Math.Abs((double)v));
        Assert.IsTrue(scale > 0, "the gradient is identically zero");
        // Half the samples where the gradient is largest (where errors would show), half uniformly.
        var largest = Enumerable.Range(0, gradient.Length).OrderByDescending(i => Math.Abs(gradient.Data[i])).Take(samples / 2);
        var uniform = Enumerable.Range(0, gradient.Length).OrderBy(_ => random.Next()).Take(samples / 2);
        int outliers = 0;
        var report = new List<string>();
        foreach (var i in largest.Concat(uniform).Distinct())
        {
            double numeric = GradientCheck.Directional(forward, output, feeds, name, seed, n => { var d = new float[n]; d[i] = 1; return d; }, step);
            double analytic = gradient.Data[i];
            double tolerance = (AbsoluteTolerance * scale) + (RelativeTolerance * Math.Abs(numeric));
            if (Math.Abs(analytic - numeric) > tolerance)
            {
                outliers++;
                report.Add($"[{i}] analytic {analytic:G5} numeric {numeric:G5}");
            }
        }

        Assert.IsTrue(outliers <= 1, $"{outliers} coordinates disagree with finite differences (scale {scale:G3}): {string.Join("; ", report)}");
    }

    private static void DotProduct(OnnxModel model, string output, string input, FloatTensor x, FloatTensor u, double step)
    {
        var gradientModel = GradientModel.Build(model, new GradientRequest { Output = output, Seed = SeedKind.Given, WithRespectTo = [input] });
        using var session = new GradientSession(gradientModel);
        var feeds = new Dictionary<string, FloatTensor> { [input] = x };
        var gradient = session.Run(feeds, seed: u).Gradients[input];
        using var forward = new Forward(GradientModel.Prepare(model));
        var (directional, adjoint, scale) = GradientCheck.DotProduct(forward, output, feeds, input, u, gradient, new Random(9), step);
        Assert.AreEqual(directional, adjoint, 0.01 * scale, $"⟨J·v, u⟩ = {directional:G6} but ⟨v, Jᵀ·u⟩ = {adjoint:G6} (Σ|vₖ·(Jᵀu)ₖ| = {scale:G4})");
    }
}
