using BenchmarkDotNet.Attributes;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Benchmarks;

/// <summary>
/// Attribution methods on the CNTK ResNet-18 featurizer (224×224, batch 8, CPU), each as a ratio to plain ONNX
/// Runtime inference of <see cref="GradientModel.Prepare"/>(model) (the [Baseline]). The target is one output
/// feature per row (a caller-given seed on the [N, 512, 1, 1] output). Issue targets: Grad-CAM ≤ 1.2×, saliency and
/// Guided Backprop ≤ 2.0×, integrated gradients with 32 steps ≤ 66×.
/// </summary>
[MemoryDiagnoser]
public class AttributionBenchmarks
{
    private const int Batch = 8;
    private InferenceSession _forward = null!;
    private OrtValue _inputValue = null!;
    private string _inputName = null!;
    private string _outputName = null!;
    private FloatTensor _input = null!;
    private FloatTensor _seed = null!;
    private CamExplainer _gradCam = null!;
    private GradientExplainer _saliency = null!;
    private GradientExplainer _guided = null!;
    private IntegratedGradients _ig = null!;

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

        var execution = new ExecutionOptions { BatchSize = Batch };
        _gradCam = new CamExplainer(model, new CamOptions { Method = CamMethod.GradCam, Execution = execution });
        _saliency = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.Saliency, Execution = execution });
        _guided = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.GuidedBackprop, Execution = execution });
        _ig = new IntegratedGradients(model, new IntegratedGradientsOptions { Steps = 32, Execution = new ExecutionOptions { BatchSize = 32 } });

        // Sessions are created on first use: warm them up outside the measurement.
        _gradCam.Explain(_input, _seed);
        _saliency.Explain(_input, _seed);
        _guided.Explain(_input, _seed);
        _ig.Explain(_input.Rows(0, 1), _seed.Rows(0, 1));
    }

    [Benchmark(Baseline = true, Description = "forward only (plain ONNX Runtime)")]
    public float Forward()
    {
        using var runOptions = new RunOptions();
        using var outputs = _forward.Run(runOptions, [_inputName], [_inputValue], [_outputName]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "Grad-CAM")]
    public float GradCam() => _gradCam.Explain(_input, _seed).Maps.Data[0];

    [Benchmark(Description = "saliency")]
    public float Saliency() => _saliency.Explain(_input, _seed).Attributions.Data[0];

    [Benchmark(Description = "Guided Backprop")]
    public float GuidedBackprop() => _guided.Explain(_input, _seed).Attributions.Data[0];

    [Benchmark(Description = "integrated gradients, 32 steps")]
    public float IntegratedGradients32() => _ig.Explain(_input, _seed).Attributions.Data[0];

    [GlobalCleanup]
    public void Cleanup()
    {
        _inputValue.Dispose();
        _forward.Dispose();
        _gradCam.Dispose();
        _saliency.Dispose();
        _guided.Dispose();
        _ig.Dispose();
    }
}
