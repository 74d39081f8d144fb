using Google.Protobuf;
using Microsoft.ML.Explainability.Autodiff;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Onnx.Protobuf;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.Tests.Infrastructure;

namespace Microsoft.ML.Explainability.Tests.Runtime;

/// <summary>Each kind of bad input gets its own specific exception with a message naming what is wrong.</summary>
[TestClass]
public sealed class BadInputTests
{
    private static GradientModel CnnGradients() =>
        GradientModel.Build(OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx")), new GradientRequest { Output = "logits", WithRespectTo = ["input"] });

    [TestMethod]
    public void Garbage_bytes_are_rejected_as_an_invalid_model()
    {
        var garbage = Enumerable.Range(0, 1000).Select(i => (byte)((i * 7919) % 251)).ToArray();
        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(garbage));
        StringAssert.Contains(e.Message, "1000 bytes");
    }

    [TestMethod]
    public void Empty_bytes_are_rejected_as_an_invalid_model()
    {
        var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(Array.Empty<byte>()));
        StringAssert.Contains(e.Message, "empty");
    }

    [TestMethod]
    public void Truncated_model_bytes_are_rejected_as_an_invalid_model()
    {
        var bytes = File.ReadAllBytes(TestAssets.ModelPath("fmnist_cnn.onnx"));
        foreach (var length in new[] { bytes.Length / 2, bytes.Length - 3, 40 })
        {
            var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(bytes.AsSpan(0, length).ToArray()), $"length {length}");
            StringAssert.Contains(e.Message, "truncated");
        }
    }

    [TestMethod]
    public void A_missing_model_file_is_a_file_not_found_exception()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.onnx");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => OnnxModel.Load(path));
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void An_operator_without_a_rule_on_the_path_is_named_with_its_node()
    {
        var t = new TestGraph();
        var y = t.Node("Relu", [t.Node("Selu", [t.Input("x", -1, 4)])]);
        var model = t.Output(y).Build();
        var e = Assert.ThrowsExactly<UnsupportedOperatorException>(() =>
            GradientModel.Build(model, new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] }));
        Assert.AreEqual("Selu", e.OpType);
        Assert.AreEqual("Selu_0", e.NodeName);
        StringAssert.Contains(e.Message, "Supported operators");
        StringAssert.Contains(e.Message, "Conv");
    }

    [TestMethod]
    public void An_operator_without_a_rule_off_the_path_is_not_an_error()
    {
        // Selu feeds only a second output: differentiating the first output never reaches it.
        var t = new TestGraph();
        var x = t.Input("x", -1, 4);
        var y = t.Node("Relu", [x]);
        var other = t.Node("Selu", [x]);
        var model = t.Output(y, other).Build();
        var gradients = GradientModel.Build(model, new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = ["x"] });
        Assert.IsTrue(gradients.Model.OutputNames.Contains(GradientModel.GradientOutput("x")));
    }

    [TestMethod]
    public void A_gradient_of_an_integer_tensor_is_refused()
    {
        var t = new TestGraph();
        var x = t.Input("x", -1, 4);
        var shape = t.Node("Shape", [x]);
        var y = t.Node("Reshape", [t.Node("Relu", [x]), shape]);
        var model = t.Output(y).Build();
        var e = Assert.ThrowsExactly<GradientException>(() =>
            GradientModel.Build(model, new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = [shape] }));
        StringAssert.Contains(e.Message, "Int64");
        StringAssert.Contains(e.Message, shape);
    }

    [TestMethod]
    public void An_unknown_tensor_name_is_refused_with_the_name()
    {
        var model = OnnxModel.Load(TestAssets.ModelPath("fmnist_cnn.onnx"));
        var e = Assert.ThrowsExactly<UnknownTensorException>(() =>
            GradientModel.Build(model, new GradientRequest { Output = "logits", WithRespectTo = ["no_such_tensor"] }));
        Assert.AreEqual("no_such_tensor", e.TensorName);
    }

    [TestMethod]
    public void An_input_of_the_wrong_shape_is_refused_before_running()
    {
        using var session = new GradientSession(CnnGradients());
        var e = Assert.ThrowsExactly<InputMismatchException>(() => session.Run(FloatTensor.Zeros(2, 1, 32, 32)));
        StringAssert.Contains(e.Message, "[2, 1, 32, 32]");
        Assert.ThrowsExactly<InputMismatchException>(() => session.Run(FloatTensor.Zeros(2, 784)));
    }

    [TestMethod]
    public void An_input_with_the_wrong_name_or_type_is_refused()
    {
        using var session = new GradientSession(CnnGradients());
        var e = Assert.ThrowsExactly<InputMismatchException>(() => session.Run(new Dictionary<string, FloatTensor> { ["image"] = FloatTensor.Zeros(1, 1, 28, 28) }));
        StringAssert.Contains(e.Message, "'input'");

        // An int64 input cannot be fed as float32.
        var t = new TestGraph();
        t.Graph.Input.Add(new ValueInfoProto { Name = "ids", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Int64, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "N" } } } } } });
        var x = t.Input("x", -1, 3);
        var y = t.Node("Relu", [x]);
        var model = t.Output(y, t.Node("Identity", ["ids"])).Build();
        using var mixed = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = y, Seed = SeedKind.Given, WithRespectTo = [x] }));
        var typeError = Assert.ThrowsExactly<InputMismatchException>(() =>
            mixed.Run(new Dictionary<string, FloatTensor> { ["x"] = FloatTensor.Zeros(1, 3), ["ids"] = FloatTensor.Zeros(1) }, seed: FloatTensor.Zeros(1, 3)));
        StringAssert.Contains(typeError.Message, "Int64");
    }

    [TestMethod]
    public void A_target_out_of_range_is_refused_with_the_row()
    {
        using var session = new GradientSession(CnnGradients());
        var e = Assert.ThrowsExactly<InputMismatchException>(() => session.Run(FloatTensor.Zeros(2, 1, 28, 28), [3, 10]));
        StringAssert.Contains(e.Message, "row 1");
        StringAssert.Contains(e.Message, "10 classes");
    }

    [TestMethod]
    public void External_data_outside_the_model_folder_is_refused()
    {
        var folder = Directory.CreateTempSubdirectory("xai-external-");
        try
        {
            var t = new TestGraph();
            var y = t.Node("Add", [t.Input("x", -1, 2), t.Random("w", [2])]);
            var proto = ModelProto.Parser.ParseFrom(t.Output(y).Build().ToBytes());
            var weight = proto.Graph.Initializer.Single();
            weight.ClearRawData();
            weight.DataLocation = TensorProto.Types.DataLocation.External;
            weight.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
            var path = Path.Combine(folder.FullName, "model.onnx");
            File.WriteAllBytes(path, proto.ToByteArray());
            var e = Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(path));
            StringAssert.Contains(e.Message, "escapes");

            // Inside the folder it is read and inlined.
            File.WriteAllBytes(Path.Combine(folder.FullName, "w.bin"), new byte[8]);
            weight.ExternalData[0].Value = "w.bin";
            File.WriteAllBytes(path, proto.ToByteArray());
            var loaded = OnnxModel.Load(path);
            Assert.AreEqual(8, loaded.Proto.Graph.Initializer.Single().RawData.Length);
            Assert.ThrowsExactly<InvalidOnnxModelException>(() => OnnxModel.Load(proto.ToByteArray()));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void Cuda_falls_back_to_the_cpu_where_no_gpu_is_usable_and_says_why()
    {
        var model = CnnGradients();
        using var session = new GradientSession(model, new ExecutionOptions { GpuDeviceId = 0 });
        Assert.AreEqual("CPUExecutionProvider", session.ExecutionProvider);
        Assert.IsNotNull(session.FallbackReason);
        var result = session.Run(TestAssets.FashionMnistBatch(2));
        Assert.AreEqual(2, result.Targets!.Length);

        var e = Assert.ThrowsExactly<ExecutionDeviceUnavailableException>(() => new GradientSession(model, new ExecutionOptions { GpuDeviceId = 0, FallbackToCpu = false }));
        StringAssert.Contains(e.Message, "CUDA device 0");
    }
}
