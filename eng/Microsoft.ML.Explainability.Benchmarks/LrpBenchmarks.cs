using BenchmarkDotNet.Attributes;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Benchmarks;

/// <summary>
/// LRP EpsilonPlus on the CNTK ResNet-18 featurizer (224×224, batch 8, CPU, BatchNormalization folded), as a ratio to
/// plain ONNX Runtime inference of <see cref="GradientModel.Prepare"/>(model). Issue target ≤ 3.0× (the z⁺ rule needs
/// the forward pass, a forward pass with W⁺ and a transposed convolution per layer).
/// </summary>
[MemoryDiagnoser]
public class LrpBenchmarks
{
    private const int Batch = 8;
    private InferenceSession _forward = null!;
    private OrtValue _inputValue = null!;
    private string _inputName = null!;
    private string _outputName = null!;
    private FloatTensor _input = null!;
    private FloatTensor _seed = null!;
    private LrpExplainer _epsilonPlus = null!;

    [GlobalSetup]
    public void Setup()
    {
        var model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"));
        _inputName = model.InputNames[0];
        _outputName = model.OutputNames[0];
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _forward = new InferenceSession(GradientModel.Prepare(model).ToBytes(), options);
        var random = new Random(1);
        _input = new FloatTensor(Enumerable.Range(0, Batch * 3 * 224 * 224).Select(_ => (float)(random.NextDouble() * 255)).ToArray(), Batch, 3, 224, 224);
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input.Data, _input.Shape);
        _seed = FloatTensor.Zeros(Batch, 512, 1, 1);
        for (int row = 0; row < Batch; row++)
        {
            _seed[row, row * 7, 0, 0] = 1;
        }

        _epsilonPlus = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus(), Execution = new ExecutionOptions { BatchSize = Batch } });
        _epsilonPlus.Explain(_input, _seed);
    }

    [Benchmark(Baseline = true, Description = "forward only (plain ONNX Runtime)")]
    public float Forward()
    {
        using var runOptions = new RunOptions();
        using var outputs = _forward.Run(runOptions, [_inputName], [_inputValue], [_outputName]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "LRP EpsilonPlus")]
    public float EpsilonPlus() => _epsilonPlus.Explain(_input, _seed).Relevance.Data[0];

    [GlobalCleanup]
    public void Cleanup()
    {
        _inputValue.Dispose();
        _forward.Dispose();
        _epsilonPlus.Dispose();
    }
}
