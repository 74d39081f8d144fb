using BenchmarkDotNet.Attributes;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Benchmarks;

/// <summary>
/// LRP EpsilonPlus on the CNTK ResNet-18 featurizer (224×224, batch 8, CPU, BatchNormalization folded), as a ratio to
/// plain ONNX Runtime inference of <see cref="GradientModel.Prepare"/>(model). Issue target ≤ 3.0× (the z⁺ rule needs
/// the forward pass, a forward pass with W⁺ and a transposed convolution per layer).
/// </summary>
[MemoryDiagnoser]
public class LrpBenchmarks
{
    private FeaturizerFixture _featurizer = null!;
    private LrpExplainer _epsilonPlus = null!;

    [GlobalSetup]
    public void Setup()
    {
        _featurizer = new FeaturizerFixture();
        _epsilonPlus = new LrpExplainer(_featurizer.Model, new LrpOptions { Composite = LrpComposite.EpsilonPlus(), Execution = new ExecutionOptions { BatchSize = FeaturizerFixture.Batch } });
        _epsilonPlus.Explain(_featurizer.Input, _featurizer.Seed);
    }

    [Benchmark(Baseline = true, Description = "forward only (plain ONNX Runtime)")]
    public float Forward() => _featurizer.Forward();

    [Benchmark(Description = "LRP EpsilonPlus")]
    public float EpsilonPlus() => _epsilonPlus.Explain(_featurizer.Input, _featurizer.Seed).Relevance.Data[0];

    [GlobalCleanup]
    public void Cleanup()
    {
        _featurizer.Dispose();
        _epsilonPlus.Dispose();
    }
}
