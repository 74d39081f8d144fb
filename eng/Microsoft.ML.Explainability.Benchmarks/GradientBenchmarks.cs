using BenchmarkDotNet.Attributes;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Benchmarks;

/// <summary>
/// The engine's cost on the CNTK ResNet-18 featurizer (224×224, batch 8, CPU): forward only (plain ONNX Runtime on
/// the same prepared model) vs forward + backward to the last convolutional block (Grad-CAM's need) vs forward +
/// backward to the input (saliency's need).
/// </summary>
[MemoryDiagnoser]
public class GradientBenchmarks
{
    private FeaturizerFixture _featurizer = null!;
    private GradientSession _toLastConv = null!;
    private GradientSession _toInput = null!;

    [GlobalSetup]
    public void Setup()
    {
        _featurizer = new FeaturizerFixture();
        var model = _featurizer.Model;
        var shapes = ShapeProbe.Run(GradientModel.Prepare(model));
        var lastConvLayer = shapes.Tensors.Last(t => t.Rank == 4 && t.Shape[2] > 1 && t.Producer?.StartsWith("Relu", StringComparison.Ordinal) == true).Name;
        var execution = new ExecutionOptions { BatchSize = FeaturizerFixture.Batch };
        _toLastConv = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = _featurizer.OutputName, Seed = SeedKind.Given, WithRespectTo = [lastConvLayer], Activations = [lastConvLayer] }), execution);
        _toInput = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = _featurizer.OutputName, Seed = SeedKind.Given, WithRespectTo = [_featurizer.InputName] }), execution);
    }

    [Benchmark(Baseline = true, Description = "forward only (plain ONNX Runtime)")]
    public float Forward() => _featurizer.Forward();

    [Benchmark(Description = "forward + backward to the last conv block")]
    public float BackwardToLastConvolution() => _toLastConv.Run(_featurizer.Input, _featurizer.Seed).Gradients.First().Value.Data[0];

    [Benchmark(Description = "forward + backward to the input")]
    public float BackwardToInput() => _toInput.Run(_featurizer.Input, _featurizer.Seed).Gradients.First().Value.Data[0];

    [GlobalCleanup]
    public void Cleanup()
    {
        _featurizer.Dispose();
        _toLastConv.Dispose();
        _toInput.Dispose();
    }
}
