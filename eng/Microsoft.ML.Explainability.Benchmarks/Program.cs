using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// Ratios against plain ONNX Runtime inference in the same process: each benchmark class has a [Baseline] forward pass.
// Run: dotnet run -c Release --project eng/Microsoft.ML.Explainability.Benchmarks -- --filter '*'
if (args.Contains("--metric-costs"))
{
    Microsoft.ML.Explainability.Benchmarks.MetricCostTable.Print(Console.Out);
    return;
}

var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithWarmupCount(2).WithIterationCount(8).WithInvocationCount(1).WithUnrollFactor(1))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Microsoft.ML.Explainability.Benchmarks.GradientBenchmarks).Assembly).Run(args, config);
