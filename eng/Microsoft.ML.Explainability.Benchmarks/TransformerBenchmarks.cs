using BenchmarkDotNet.Attributes;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.VisionTransformers;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.Benchmarks;

/// <summary>
/// Vision-transformer methods on the DeiT fixture (fmnist_deit.onnx: 51 tokens, 4 blocks × 4 heads, 28×28 input),
/// batch 64, CPU, each as a ratio to plain ONNX Runtime inference of <see cref="GradientModel.Prepare"/>(model).
/// </summary>
[MemoryDiagnoser]
public class TransformerBenchmarks
{
    private const int Batch = 64;
    private InferenceSession _forward = null!;
    private OrtValue _inputValue = null!;
    private FloatTensor _input = null!;
    private TransformerExplainer _explainer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fmnist_deit.onnx"));
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _forward = new InferenceSession(GradientModel.Prepare(model).ToBytes(), options);
        var random = new Random(1);
        _input = new FloatTensor(Enumerable.Range(0, Batch * 28 * 28).Select(_ => (float)((random.NextDouble() * 2.8) - 0.8)).ToArray(), Batch, 1, 28, 28);
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input.Data, _input.Shape);
        _explainer = new TransformerExplainer(model, new TransformerOptions { Execution = new ExecutionOptions { BatchSize = Batch } });
        foreach (var method in Enum.GetValues<TransformerMethod>())
        {
            _explainer.Explain(_input, method);
        }
    }

    [Benchmark(Baseline = true, Description = "forward only (plain ONNX Runtime)")]
    public float Forward()
    {
        using var runOptions = new RunOptions();
        using var outputs = _forward.Run(runOptions, ["input"], [_inputValue], ["logits"]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "attention rollout")]
    public float Rollout() => _explainer.Explain(_input, TransformerMethod.AttentionRollout).Maps.Data[0];

    [Benchmark(Description = "gradient-weighted attention")]
    public float GradientWeighted() => _explainer.Explain(_input, TransformerMethod.GradientWeightedAttention).Maps.Data[0];

    [Benchmark(Description = "token Grad-CAM")]
    public float TokenGradCam() => _explainer.Explain(_input, TransformerMethod.TokenGradCam).Maps.Data[0];

    [Benchmark(Description = "transformer LRP")]
    public float Lrp() => _explainer.Explain(_input, TransformerMethod.Lrp).Maps.Data[0];

    [GlobalCleanup]
    public void Cleanup()
    {
        _inputValue.Dispose();
        _forward.Dispose();
        _explainer.Dispose();
    }
}
