using BenchmarkDotNet.Attributes;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML;

namespace Microsoft.ML.Explainability.ML.Benchmarks;

/// <summary>
/// The ML.NET Grad-CAM transformer's throughput against the direct batched API (<see cref="CamExplainer"/>) on the same
/// 2,048 rows and batch size (64), fixture CNN, CPU. Issue target: transformer ÷ direct ≥ 0.9 in throughput, i.e. a
/// time ratio ≤ 1.11.
/// </summary>
[MemoryDiagnoser]
public class TransformerThroughputBenchmarks
{
    private const int RowCount = 2048;
    private CamExplainer _direct = null!;
    private FloatTensor _batch = null!;
    private MLContext _ml = null!;
    private GradCamTransformer _transformer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _direct = new CamExplainer(OnnxModel.Load(MlNetScoring.ModelPath), new CamOptions { Execution = new ExecutionOptions { BatchSize = MlNetScoring.BatchSize } });
        _batch = new FloatTensor(MlNetScoring.Rows(RowCount).SelectMany(r => r.Pixels).ToArray(), RowCount, 1, 28, 28);
        _direct.Explain(_batch.Rows(0, 1));
        _ml = new MLContext(seed: 0);
        _transformer = MlNetScoring.Fit(_ml);
        MlNetScoring.Stream(_ml, _transformer, 1);
    }

    [Benchmark(Baseline = true, Description = "direct batched API (CamExplainer)")]
    public float Direct() => _direct.Explain(_batch).Maps.Data[0];

    [Benchmark(Description = "ML.NET transformer over IDataView")]
    public double Transformer() => MlNetScoring.Stream(_ml, _transformer, RowCount);

    [GlobalCleanup]
    public void Cleanup()
    {
        _direct.Dispose();
        _transformer.Dispose();
    }
}
