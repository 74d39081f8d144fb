using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Compilation;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Tests.Cam;

/// <summary>
/// Guided Grad-CAM in Captum's convention (captum/attr/_core/guided_grad_cam.py: Guided Backprop ⊙
/// LayerAttribution.interpolate(ReLU(LayerGradCam), input size, "nearest")) on a case computed by hand, and the
/// settings that reach CamOptions through the registry (GuidedGradCamConvention, AblationFill).
/// </summary>
[TestClass]
public sealed class CamConventionSettingsTests
{
    private static readonly float[] ClassWeights = [2f, -3f];

    /// <summary>x [N, 1, 7, 7] → AveragePool 3×3 stride 2 → A [N, 1, 3, 3] → GlobalAveragePool → Gemm (2 classes, weights 2 and −3, no bias).</summary>
    private static (OnnxModel Model, string Layer) PoolModel()
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 1, 7, 7);
        var layer = t.Node("AveragePool", [x], AttributeValue.Ints("kernel_shape", [3, 3]), AttributeValue.Ints("strides", [2, 2]));
        var flat = t.Node("Flatten", [t.Node("GlobalAveragePool", [layer])]);
        var logits = t.Node("Gemm", [flat, t.Constant("w", [2, 1], ClassWeights), t.Constant("b", [2], [0f, 0f])], AttributeValue.Int("transB", 1));
        return (t.Output(logits).Build(), layer);
    }

    [TestMethod]
    public void PyTorch_nearest_interpolation_takes_the_floor_of_index_times_in_over_out()
    {
        // F.interpolate(mode="nearest") from 3 to 7 cells reads 0,0,0,1,1,2,2; from 7 to 3 it reads 0,2,4.
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 1, 1, 2, 2 }, Enumerable.Range(0, 7).Select(i => ImageOps.NearestSource(i, 3, 7)).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 2, 4 }, Enumerable.Range(0, 3).Select(i => ImageOps.NearestSource(i, 7, 3)).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 0, 1, 1 }, Enumerable.Range(0, 4).Select(i => ImageOps.NearestSource(i, 2, 4)).ToArray());
    }

    [TestMethod]
    public void Captum_convention_multiplies_guided_backprop_by_the_raw_relu_layer_map_upsampled_nearest()
    {
        var (model, layer) = PoolModel();
        var x = GradientCheck.RandomTensor(new Random(3), [2, 1, 7, 7], 0.1, 1);
        long[] targets = [0, 1];
        using var captum = new GuidedGradCam(model, new CamOptions { TargetLayer = layer, GuidedGradCamConvention = GuidedGradCamConvention.Captum });
        var result = captum.Explain(x, targets).Attributions;

        // By hand: y_k = W_k · mean(A), so ∂y/∂A = W_k/9 everywhere, the Grad-CAM weight is W_k/9 and the raw map
        // (W_k/9)·A; the model has no ReLU, so Guided Backprop is the true gradient (W_k/9)·(1/9)·(windows covering p).
        int[] cover = [1, 1, 2, 1, 2, 1, 1];
        int[] nearest = [0, 0, 0, 1, 1, 2, 2];
        for (int r = 0; r < 2; r++)
        {
            double w = ClassWeights[targets[r]] / 9.0;
            for (int y = 0; y < 7; y++)
            {
                for (int z = 0; z < 7; z++)
                {
                    int i = nearest[y], j = nearest[z];
                    double a = 0;
                    for (int dy = 0; dy < 3; dy++)
                    {
                        for (int dz = 0; dz < 3; dz++)
                        {
                            a += x[r, 0, (2 * i) + dy, (2 * j) + dz] / 9.0;
                        }
                    }

                    double expected = (w / 9.0 * cover[y] * cover[z]) * Math.Max(0, w * a);
                    Assert.AreEqual(expected, result[r, 0, y, z], 1e-6, $"row {r}, pixel ({y}, {z})");
                }
            }
        }

        // Class 1's map is negative everywhere, so Captum's product is 0; class 0's is not, and differs from the default
        // convention's normalised bilinear factor.
        Assert.IsTrue(result.Data.Take(49).Any(v => v > 1e-4));
        using var pytorch = new GuidedGradCam(model, new CamOptions { TargetLayer = layer });
        var normalised = pytorch.Explain(x, targets).Attributions;
        Assert.IsTrue(normalised.Data.Take(49).Zip(result.Data).Any(p => Math.Abs(p.First - p.Second) > 1e-3));

        // Through the registry and the compiler, the same numbers.
        var settings = new MethodSettings { TargetLayer = layer, GuidedGradCamConvention = GuidedGradCamConvention.Captum };
        using var registered = ExplanationMethods.GuidedGradCam.CreateExplainer(model, settings);
        CollectionAssert.AreEqual(result.Data, registered.Explain(new ExplanationRequest(x) { Targets = targets }).Values.Data);
        var compiled = ExplanationCompiler.Compile(model, ExplanationMethods.GuidedGradCam, settings);
        using var session = new InferenceSession(compiled.Model.ToBytes());
        using var input = OrtValue.CreateTensorValueFromMemory(x.Data, x.Shape);
        using var classes = OrtValue.CreateTensorValueFromMemory(targets, [2]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x", ExplanationCompiler.TargetsInput], [input, classes], [ExplanationCompiler.ExplanationOutput]);
        var fromGraph = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        for (int i = 0; i < fromGraph.Length; i++)
        {
            Assert.AreEqual(result.Data[i], fromGraph[i], 1e-6, $"compiled element {i}");
        }
    }

    [TestMethod]
    public void AblationFill_in_MethodSettings_reaches_the_CAM_options()
    {
        // Without a ReLU the layer has negative values, where the two fills differ.
        var model = new CamTestModel(relu: false);
        var x = GradientCheck.RandomTensor(new Random(4), [2, CamTestModel.Cin, CamTestModel.Size, CamTestModel.Size]);
        long[] targets = [1, 3];
        FloatTensor Registry(AblationFill? fill)
        {
            using var explainer = ExplanationMethods.AblationCam.CreateExplainer(model.Model, new MethodSettings { TargetLayer = model.Layer, AblationFill = fill });
            return explainer.Explain(new ExplanationRequest(x) { Targets = targets }).LayerMaps!;
        }

        FloatTensor Direct(AblationFill fill)
        {
            using var explainer = new CamExplainer(model.Model, new CamOptions { Method = ExplanationMethods.AblationCam, TargetLayer = model.Layer, AblationFill = fill });
            return explainer.Explain(x, targets).RawMaps;
        }

        var zero = Registry(AblationFill.Zero);
        CollectionAssert.AreEqual(Direct(AblationFill.Zero).Data, zero.Data);
        CollectionAssert.AreEqual(Direct(AblationFill.PyTorchGradCam).Data, Registry(null).Data);
        CollectionAssert.AreEqual(Direct(AblationFill.PyTorchGradCam).Data, Registry(AblationFill.PyTorchGradCam).Data);
        Assert.IsTrue(zero.Data.Zip(Registry(null).Data).Any(p => Math.Abs(p.First - p.Second) > 1e-4), "the fills give different maps on a layer with negative values");
    }
}
