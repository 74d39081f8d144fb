using BenchmarkDotNet.Attributes;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Benchmarks;

/// <summary>
/// Attribution methods on the CNTK ResNet-18 featurizer (224×224, batch 8, CPU), each as a ratio to plain ONNX
/// Runtime inference of <see cref="GradientModel.Prepare"/>(model) (the [Baseline]). The target is one output
/// feature per row (a caller-given seed on the [N, 512, 1, 1] output). Issue targets: Grad-CAM ≤ 1.2×, saliency and
/// Guided Backprop ≤ 2.0×, integrated gradients with 32 steps ≤ 66×; issue 16: Shapley-CAM ≤ 3.5× (forward, backward,
/// H·A by reverse over reverse), and Grad-CAM over two target layers (the automatic layer and the last finer grid before
/// it) in one backward pass.
/// </summary>
[MemoryDiagnoser]
public class AttributionBenchmarks
{
    private FeaturizerFixture _featurizer = null!;
    private FloatTensor _input = null!;
    private FloatTensor _seed = null!;
    private CamExplainer _gradCam = null!;
    private CamExplainer _shapleyCam = null!;
    private CamExplainer _gradCamTwoLayers = null!;
    private GradientExplainer _saliency = null!;
    private GradientExplainer _guided = null!;
    private IntegratedGradients _ig = null!;

    [GlobalSetup]
    public void Setup()
    {
        _featurizer = new FeaturizerFixture();
        var model = _featurizer.Model;
        _input = _featurizer.Input;
        _seed = _featurizer.Seed;
        var execution = new ExecutionOptions { BatchSize = FeaturizerFixture.Batch };
        _gradCam = new CamExplainer(model, new CamOptions { Method = ExplanationMethods.GradCam, Execution = execution });
        _shapleyCam = new CamExplainer(model, new CamOptions { Method = ExplanationMethods.ShapleyCam, Execution = execution });
        var automatic = TargetLayers.Automatic(model);
        var finer = TargetLayers.List(model).Last(l => l.Height > automatic.Height && l.Width > automatic.Width);
        _gradCamTwoLayers = new CamExplainer(model, new CamOptions { Method = ExplanationMethods.GradCam, TargetLayers = [finer.Name, automatic.Name], Execution = execution });
        _saliency = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.Saliency, Execution = execution });
        _guided = new GradientExplainer(model, new GradientOptions { Method = GradientMethod.GuidedBackprop, Execution = execution });
        _ig = new IntegratedGradients(model, new IntegratedGradientsOptions { Steps = 32, Execution = new ExecutionOptions { BatchSize = 32 } });

        // Sessions are created on first use: warm them up outside the measurement.
        _gradCam.Explain(_input, _seed);
        _shapleyCam.Explain(_input, _seed);
        _gradCamTwoLayers.Explain(_input, _seed);
        _saliency.Explain(_input, _seed);
        _guided.Explain(_input, _seed);
        _ig.Explain(_input.Rows(0, 1), _seed.Rows(0, 1));
    }

    [Benchmark(Baseline = true, Description = "forward only (plain ONNX Runtime)")]
    public float Forward() => _featurizer.Forward();

    [Benchmark(Description = "Grad-CAM")]
    public float GradCam() => _gradCam.Explain(_input, _seed).Maps.Data[0];

    [Benchmark(Description = "Shapley-CAM")]
    public float ShapleyCam() => _shapleyCam.Explain(_input, _seed).Maps.Data[0];

    [Benchmark(Description = "Grad-CAM, 2 layers")]
    public float GradCamTwoLayers() => _gradCamTwoLayers.Explain(_input, _seed).Maps.Data[0];

    [Benchmark(Description = "saliency")]
    public float Saliency() => _saliency.Explain(_input, _seed).Attributions.Data[0];

    [Benchmark(Description = "Guided Backprop")]
    public float GuidedBackprop() => _guided.Explain(_input, _seed).Attributions.Data[0];

    [Benchmark(Description = "integrated gradients, 32 steps")]
    public float IntegratedGradients32() => _ig.Explain(_input, _seed).Attributions.Data[0];

    [GlobalCleanup]
    public void Cleanup()
    {
        _featurizer.Dispose();
        _gradCam.Dispose();
        _shapleyCam.Dispose();
        _gradCamTwoLayers.Dispose();
        _saliency.Dispose();
        _guided.Dispose();
        _ig.Dispose();
    }
}
