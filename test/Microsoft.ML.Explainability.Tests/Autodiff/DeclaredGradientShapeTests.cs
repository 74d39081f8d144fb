using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Tests.Autodiff;

/// <summary>
/// The backward graph declares the shapes of the gradients its blocked-layout masks multiply (value_info: the forward
/// tensor's shape, "N" for the batch), and ONNX Runtime trusts those declarations when it keeps products in its blocked
/// layout: a wrong one would pair tensors of different sizes. Here every declared tensor is made a graph output and run, at a batch of 3, on real models and
/// on the zoo-pattern graphs; its actual shape must be the declared one.
/// </summary>
[TestClass]
public sealed class DeclaredGradientShapeTests
{
    /// <summary>
    /// The models whose backward graphs declare shapes (a ReLU or ReLU6 mask in the blocked form): not DeiT, the
    /// EfficientNet pattern (SiLU) or the SqueezeNet/GoogLeNet pattern (their masks' dY comes from a Split or a scatter).
    /// </summary>
    public static IEnumerable<object[]> Models =>
    [
        .. new[] { "fmnist_cnn.onnx", "fmnist_resnet.onnx", "fmnist_mobilenet.onnx" }.Select(m => new object[] { TestAssets.ModelPath(m), "logits", "input" }),
        .. new[] { "tiny_resnet", "tiny_mobilenet_v2", "tiny_mobilenet_v3", "tiny_shufflenet_v2" }
            .Select(n => new object[] { Path.Combine(AppContext.BaseDirectory, "assets", "models", "zoo", n + ".onnx"), "logits", "input" }),
    ];

    [TestMethod]
    [DynamicData(nameof(Models))]
    public void Every_declared_gradient_shape_is_the_shape_the_gradient_has(string path, string output, string input)
    {
        var model = OnnxModel.Load(path);
        var gradients = GradientModel.Build(model, new GradientRequest { Output = output, Seed = SeedKind.Given, WithRespectTo = [input] }).Model;
        var graph = gradients.Proto.Graph;
        var declared = graph.ValueInfo.ToArray();
        Assert.IsTrue(declared.Length >= 1, $"only {declared.Length} gradient shapes are declared");

        var probed = gradients.Proto.Clone();
        foreach (var info in declared)
        {
            probed.Graph.Output.Add(new ValueInfoProto { Name = info.Name });
        }

        var inputInfo = gradients.DeclaredInputs.Single(i => i.Name == input);
        long[] inputShape = [3, .. inputInfo.Shape.Skip(1)];
        var seedInfo = gradients.DeclaredInputs.Single(i => i.Name == GradientModel.SeedInput);
        long[] seedShape = [3, .. seedInfo.Shape.Skip(1)];
        var random = new Random(8);
        var feeds = new[]
        {
            NamedOnnxValue.CreateFromTensor(input, Dense(GradientCheck.RandomTensor(random, inputShape))),
            NamedOnnxValue.CreateFromTensor(GradientModel.SeedInput, Dense(GradientCheck.RandomTensor(random, seedShape))),
        };
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(probed));
        using var results = session.Run(feeds);
        var actual = results.ToDictionary(r => r.Name, r => r.AsTensor<float>().Dimensions.ToArray(), StringComparer.Ordinal);
        foreach (var info in declared)
        {
            var dims = info.Type.TensorType.Shape.Dim;
            var shape = actual[info.Name];
            Assert.AreEqual(dims.Count, shape.Length, $"'{info.Name}': declared rank {dims.Count}, actual shape [{string.Join(", ", shape)}]");
            for (int axis = 0; axis < dims.Count; axis++)
            {
                var d = dims[axis];
                long expected = d.DimParam == "N" ? 3 : d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : shape[axis];
                Assert.AreEqual(expected, shape[axis], $"'{info.Name}' axis {axis}: declared {d}, actual shape [{string.Join(", ", shape)}]");
            }
        }
    }

    private static Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float> Dense(FloatTensor t) => new(t.Data, t.Shape.Select(d => (int)d).ToArray());
}
