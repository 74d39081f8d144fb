using BenchmarkDotNet.Attributes;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Benchmarks;

/// <summary>
/// The engine's cost on the CNTK ResNet-18 featurizer (224×224, batch 8, CPU): forward only (plain ONNX Runtime on
/// the same prepared model) vs forward + backward to the last convolutional block (Grad-CAM's need) vs forward +
/// backward to the input (saliency's need).
/// </summary>
[MemoryDiagnoser]
public class GradientBenchmarks
{
    private const int Batch = 8;
    private InferenceSession _forward = null!;
    private GradientSession _toLastConv = null!;
    private GradientSession _toInput = null!;
    private FloatTensor _input = null!;
    private FloatTensor _seed = null!;
    private OrtValue _inputValue = null!;
    private string _inputName = null!;
    private string _outputName = null!;

    [GlobalSetup]
    public void Setup()
    {
        var model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"));
        _inputName = model.InputNames[0];
        _outputName = model.OutputNames[0];
        var prepared = GradientModel.Prepare(model);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _forward = new InferenceSession(prepared.ToBytes(), options);

        var shapes = ShapeProbe.Run(prepared);
        var lastConvLayer = shapes.Tensors.Last(t => t.Rank == 4 && t.Shape[2] > 1 && t.Producer?.StartsWith("Relu", StringComparison.Ordinal) == true).Name;
        var execution = new ExecutionOptions { BatchSize = Batch };
        _toLastConv = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = _outputName, Seed = SeedKind.Given, WithRespectTo = [lastConvLayer], Activations = [lastConvLayer] }), execution);
        _toInput = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = _outputName, Seed = SeedKind.Given, WithRespectTo = [_inputName] }), execution);

        var random = new Random(1);
        _input = new FloatTensor(Enumerable.Range(0, Batch * 3 * 224 * 224).Select(_ => (float)(random.NextDouble() * 255)).ToArray(), Batch, 3, 224, 224);
        _seed = FloatTensor.Zeros(Batch, 512, 1, 1);
        for (int row = 0; row < Batch; row++)
        {
            _seed[row, row * 7, 0, 0] = 1;
        }

        _inputValue = OrtValue.CreateTensorValueFromMemory(_input.Data, _input.Shape);
    }

    [Benchmark(Baseline = true, Description = "forward only (plain ONNX Runtime)")]
    public float Forward()
    {
        using var runOptions = new RunOptions();
        using var outputs = _forward.Run(runOptions, [_inputName], [_inputValue], [_outputName]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "forward + backward to the last conv block")]
    public float BackwardToLastConvolution() => _toLastConv.Run(new Dictionary<string, FloatTensor> { [_inputName] = _input }, seed: _seed).Gradients.First().Value.Data[0];

    [Benchmark(Description = "forward + backward to the input")]
    public float BackwardToInput() => _toInput.Run(new Dictionary<string, FloatTensor> { [_inputName] = _input }, seed: _seed).Gradients.First().Value.Data[0];

    [GlobalCleanup]
    public void Cleanup()
    {
        _inputValue.Dispose();
        _forward.Dispose();
        _toLastConv.Dispose();
        _toInput.Dispose();
    }
}
