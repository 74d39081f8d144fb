using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Benchmarks;

/// <summary>
/// Deletion + insertion at 50 steps on 100 images of the ResNet fixture (fmnist_resnet.onnx, CPU): 100 × 51 × 2
/// perturbed inputs plus one pass to resolve the predicted classes, batched through one ONNX Runtime session.
/// Forward passes per second = 10,300 ÷ the measured time.
/// </summary>
[MemoryDiagnoser]
public class EvaluationBenchmarks
{
    private const int Images = 100;
    private ModelScorer _scorer = null!;
    private FloatTensor _inputs = null!;
    private FloatTensor _explanations = null!;

    [GlobalSetup]
    public void Setup()
    {
        var model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fmnist_resnet.onnx"));
        _scorer = new ModelScorer(model, options: new ExecutionOptions { BatchSize = 64 });
        var random = new Random(3);
        _inputs = new FloatTensor(Enumerable.Range(0, Images * 784).Select(_ => (float)((random.NextDouble() * 2.8) - 0.8)).ToArray(), Images, 1, 28, 28);
        _explanations = new FloatTensor(Enumerable.Range(0, Images * 784).Select(_ => (float)random.NextDouble()).ToArray(), Images, 1, 28, 28);
    }

    [Benchmark(Description = "deletion + insertion, 50 steps, 100 images")]
    public double DeletionAndInsertion()
    {
        var options = new DeletionInsertionOptions { Steps = 50 };
        var deletion = DeletionInsertion.Deletion(_scorer, _inputs, _explanations, options: options);
        var insertion = DeletionInsertion.Insertion(_scorer, _inputs, _explanations, options: options);
        return deletion.Auc.Sum() + insertion.Auc.Sum();
    }

    [GlobalCleanup]
    public void Cleanup() => _scorer.Dispose();
}

/// <summary>
/// Every registered metric (<see cref="MetricRegistry.All"/>, default convention) on 8 images of the ResNet fixture,
/// explained by saliency (|∂y_c/∂x| from one cached gradient session), against one plain forward pass of the same 8
/// images. The columns "Passes/sample" and "Reruns/sample" give each metric's cost in model forward passes and
/// explainer calls per sample (counted in the host process by running the metric once), so the time can be read
/// as a per-pass cost.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MetricCostConfig))]
public class MetricRegistryBenchmarks
{
    internal const int Images = 8;
    private MetricFixture _fixture = null!;

    /// <summary>The metric names.</summary>
    public static IEnumerable<string> Metrics => MetricRegistry.All.Select(m => m.Name);

    /// <summary>The metric benchmarked.</summary>
    [ParamsSource(nameof(Metrics))]
    public string Metric { get; set; } = "deletion";

    [GlobalSetup]
    public void Setup() => _fixture = new MetricFixture();

    [Benchmark(Baseline = true, Description = "forward only (plain ONNX Runtime), 8 images")]
    public float Forward() => _fixture.Scorer.Outputs(_fixture.Inputs).Data[0];

    [Benchmark(Description = "metric on 8 images")]
    public double Evaluate() => _fixture.Run(Metric).Sum();

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();
}

/// <summary>The model, images, explanations and a counting explainer shared by the metric benchmarks and the cost columns.</summary>
internal sealed class MetricFixture : IDisposable
{
    private readonly Dictionary<OnnxModel, GradientSession> _sessions = new(ReferenceEqualityComparer.Instance);

    public MetricFixture()
    {
        Model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "assets", "fmnist_resnet.onnx"));
        Scorer = new ModelScorer(Model);
        var random = new Random(3);
        Inputs = new FloatTensor(Enumerable.Range(0, MetricRegistryBenchmarks.Images * 784).Select(_ => (float)((random.NextDouble() * 2.8) - 0.8)).ToArray(), MetricRegistryBenchmarks.Images, 1, 28, 28);
        Targets = Scorer.Predict(Inputs);
        Explanations = Explain(Model, Inputs, Targets);
        ExplainerCalls = 0;
    }

    public OnnxModel Model { get; }

    public ModelScorer Scorer { get; }

    public FloatTensor Inputs { get; }

    public long[] Targets { get; }

    public FloatTensor Explanations { get; }

    public long ExplainerCalls { get; private set; }

    public IReadOnlyList<double> Run(string metric)
    {
        using var context = new MetricContext
        {
            Model = Model, Scorer = Scorer, Inputs = Inputs, Explanations = Explanations, Targets = Targets, Explain = Explain,
            Masks = ObjectMasks.BrighterThanBackground(Inputs),
        };
        return MetricRegistry.Find(metric).Compute(context).PerSample;
    }

    public FloatTensor Explain(OnnxModel model, FloatTensor batch, long[] targets)
    {
        ExplainerCalls++;
        if (!_sessions.TryGetValue(model, out var session))
        {
            string input = model.InputNames[0];
            session = new GradientSession(GradientModel.Build(model, new GradientRequest { Output = model.OutputNames[0], WithRespectTo = [input] }));
            _sessions[model] = session;
        }

        var g = session.Run(batch, targets).Gradients[model.InputNames[0]];
        return new FloatTensor(g.Data.Select(Math.Abs).ToArray(), g.Shape);
    }

    public void Dispose()
    {
        Scorer.Dispose();
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }
    }
}

/// <summary>Adds the per-sample cost columns to <see cref="MetricRegistryBenchmarks"/>.</summary>
public sealed class MetricCostConfig : ManualConfig
{
    public MetricCostConfig()
    {
        AddColumn(new MetricCostColumn(passes: true), new MetricCostColumn(passes: false));
    }
}

/// <summary>Forward passes or explainer calls per sample of the benchmark's metric, counted by running it once.</summary>
internal sealed class MetricCostColumn(bool passes) : IColumn
{
    private static readonly Dictionary<string, (double Passes, double Reruns)> Costs = [];

    public string Id => passes ? "PassesPerSample" : "RerunsPerSample";

    public string ColumnName => passes ? "Passes/sample" : "Reruns/sample";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => passes ? 0 : 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => passes ? "Model forward passes per sample (one row of the batch = one pass)" : "Explainer calls per sample";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Descriptor.WorkloadMethod.Name != nameof(MetricRegistryBenchmarks.Evaluate))
        {
            return "1";
        }

        var metric = (string)benchmarkCase.Parameters["Metric"];
        var (p, r) = Cost(metric);
        return (passes ? p : r).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    internal static (double Passes, double Reruns) Cost(string metric)
    {
        lock (Costs)
        {
            if (!Costs.TryGetValue(metric, out var cost))
            {
                using var fixture = new MetricFixture();
                long before = fixture.Scorer.ForwardPasses;
                fixture.Run(metric);
                cost = ((double)(fixture.Scorer.ForwardPasses - before) / MetricRegistryBenchmarks.Images, (double)fixture.ExplainerCalls / MetricRegistryBenchmarks.Images);
                Costs[metric] = cost;
            }

            return cost;
        }
    }
}

/// <summary>A quick cost table without BenchmarkDotNet's repetitions: <c>dotnet run -c Release --project eng/Microsoft.ML.Explainability.Benchmarks -- --metric-costs</c>.</summary>
public static class MetricCostTable
{
    /// <summary>Prints, per metric, forward passes and explainer calls per sample and the wall time of one run on 8 images, with the forward-only time for scale.</summary>
    public static void Print(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var fixture = new MetricFixture();
        fixture.Scorer.Outputs(fixture.Inputs);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 20; i++)
        {
            fixture.Scorer.Outputs(fixture.Inputs);
        }

        double forward = clock.Elapsed.TotalMilliseconds / 20;
        output.WriteLine($"| metric | passes/sample | reruns/sample | ms (8 images) | × forward |");
        output.WriteLine("|---|---|---|---|---|");
        foreach (var metric in MetricRegistry.All)
        {
            long passes = fixture.Scorer.ForwardPasses, calls = fixture.ExplainerCalls;
            clock.Restart();
            fixture.Run(metric.Name);
            double ms = clock.Elapsed.TotalMilliseconds;
            output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"| {metric.Name} | {(fixture.Scorer.ForwardPasses - passes) / (double)MetricRegistryBenchmarks.Images:0.#} | {(fixture.ExplainerCalls - calls) / (double)MetricRegistryBenchmarks.Images:0.##} | {ms:0} | {ms / forward:0} |"));
        }

        output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"forward only, 8 images: {forward:0.00} ms"));
    }
}
