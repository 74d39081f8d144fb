using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Benchmarks;

/// <summary>
/// Shapley-CAM's engine cost (issue 16's target: ≤ 3.5× inference): plain ONNX Runtime inference of the prepared
/// model (the [Baseline]) against forward + backward to the last ReLU feature map (Grad-CAM's graph) and forward +
/// backward + the Hessian-vector product H·A by reverse over reverse, for the class logit (zero on a ReLU network: the
/// second sweep finds no float path) and for the softmax probability (a Softmax appended to the logits), batch 8, CPU.
/// Models: the fixture ResNet (test/assets, 28×28) and, when <c>XAI_ZOO</c> names the zoo folder, torchvision's ResNet-18.
/// </summary>
[MemoryDiagnoser]
public class HessianVectorBenchmarks
{
    private const int Batch = 8;
    private const string Probabilities = "xai.bench.probabilities";

    private InferenceSession _forward = null!;
    private OrtValue _inputValue = null!;
    private FloatTensor _input = null!;
    private string _inputName = "";
    private string _outputName = "";
    private GradientSession _gradCam = null!;
    private GradientSession _logitProduct = null!;
    private GradientSession _softmaxProduct = null!;

    public static IEnumerable<string> Models
    {
        get
        {
            yield return "fmnist_resnet";
            var zoo = Environment.GetEnvironmentVariable("XAI_ZOO");
            if (!string.IsNullOrEmpty(zoo) && File.Exists(Path.Combine(zoo, "resnet18.onnx")))
            {
                yield return "resnet18";
            }
        }
    }

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var path = Model == "resnet18"
            ? Path.Combine(Environment.GetEnvironmentVariable("XAI_ZOO")!, "resnet18.onnx")
            : Path.Combine(AppContext.BaseDirectory, "assets", "fmnist_resnet.onnx");
        var model = OnnxModel.Load(path);
        var prepared = GradientModel.Prepare(model);
        _inputName = prepared.InputNames[0];
        _outputName = prepared.OutputNames[0];
        var shapes = ShapeProbe.Run(prepared);
        var layer = shapes.Tensors.Last(t => t.Rank == 4 && t.Shape[2] > 1 && t.Producer?.StartsWith("Relu", StringComparison.Ordinal) == true).Name;
        var inputShape = shapes[_inputName].Shape.Select((d, i) => i == 0 ? Batch : d).ToArray();
        var random = new Random(1);
        _input = new FloatTensor(Enumerable.Range(0, (int)inputShape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), inputShape);

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _forward = new InferenceSession(prepared.ToBytes(), options);
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input.Data, _input.Shape);
        var execution = new ExecutionOptions { BatchSize = Batch };
        _gradCam = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = _outputName, WithRespectTo = [layer], Activations = [layer] }), execution);
        var product = new GradientRequest { Output = _outputName, WithRespectTo = [layer], Activations = [layer], HessianVectorProducts = [new HessianVectorProduct(layer)] };
        _logitProduct = new GradientSession(GradientModel.Build(model, product), execution);
        _softmaxProduct = new GradientSession(GradientModel.Build(WithSoftmax(model, _outputName), new GradientRequest
        {
            Output = Probabilities,
            WithRespectTo = [layer],
            Activations = [layer],
            HessianVectorProducts = [new HessianVectorProduct(layer)],
        }), execution);
    }

    [Benchmark(Baseline = true, Description = "forward only (plain ONNX Runtime)")]
    public float Forward()
    {
        using var runOptions = new RunOptions();
        using var outputs = _forward.Run(runOptions, [_inputName], [_inputValue], [_outputName]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "forward + backward to the layer (Grad-CAM)")]
    public float GradCam() => _gradCam.Run(_input).Gradients.First().Value.Data[0];

    [Benchmark(Description = "forward + backward + H·A, logit target (Shapley-CAM default)")]
    public float LogitProduct() => _logitProduct.Run(_input).HessianVectorProducts.First().Value.Data[0];

    [Benchmark(Description = "forward + backward + H·A, softmax target")]
    public float SoftmaxProduct() => _softmaxProduct.Run(_input).HessianVectorProducts.First().Value.Data[0];

    /// <summary>
    /// The model with Softmax(logits) as an extra output: protobuf merges a message parsed from concatenated bytes, so
    /// a ModelProto holding only graph { node, output } appends that node and output to the model's graph.
    /// </summary>
    private static OnnxModel WithSoftmax(OnnxModel model, string logits)
    {
        static byte[] Message(Action<CodedOutputStream> write)
        {
            using var buffer = new MemoryStream();
            var stream = new CodedOutputStream(buffer);
            write(stream);
            stream.Flush();
            return buffer.ToArray();
        }

        var axis = Message(s => { s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteString("axis"); s.WriteTag(3, WireFormat.WireType.Varint); s.WriteInt64(-1); s.WriteTag(20, WireFormat.WireType.Varint); s.WriteInt32(2); });
        var node = Message(s =>
        {
            s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteString(logits);
            s.WriteTag(2, WireFormat.WireType.LengthDelimited); s.WriteString(Probabilities);
            s.WriteTag(3, WireFormat.WireType.LengthDelimited); s.WriteString("xai.bench.softmax");
            s.WriteTag(4, WireFormat.WireType.LengthDelimited); s.WriteString("Softmax");
            s.WriteTag(5, WireFormat.WireType.LengthDelimited); s.WriteBytes(ByteString.CopyFrom(axis));
        });
        var output = Message(s => { s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteString(Probabilities); });
        var graph = Message(s =>
        {
            s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteBytes(ByteString.CopyFrom(node));
            s.WriteTag(12, WireFormat.WireType.LengthDelimited); s.WriteBytes(ByteString.CopyFrom(output));
        });
        var extension = Message(s => { s.WriteTag(7, WireFormat.WireType.LengthDelimited); s.WriteBytes(ByteString.CopyFrom(graph)); });
        return OnnxModel.Load([.. model.ToBytes(), .. extension]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _inputValue.Dispose();
        _forward.Dispose();
        _gradCam.Dispose();
        _logitProduct.Dispose();
        _softmaxProduct.Dispose();
    }
}
