using System.Diagnostics;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Microsoft.ML.Explainability.ML.Benchmarks;

// Throughput (BenchmarkDotNet): dotnet run -c Release --project eng/Microsoft.ML.Explainability.ML.Benchmarks
// Memory: dotnet run -c Release --project eng/Microsoft.ML.Explainability.ML.Benchmarks -- memory 1000   (then 10000)
if (args is ["memory", var rowsText])
{
    int rows = int.Parse(rowsText, System.Globalization.CultureInfo.InvariantCulture);
    var clock = Stopwatch.StartNew();
    double checksum = MlNetScoring.StreamSaliency(rows);
    using var process = Process.GetCurrentProcess();
    process.Refresh();
    Console.WriteLine($"{rows} rows streamed in {clock.Elapsed.TotalSeconds:F1} s; peak working set {process.PeakWorkingSet64 / (1024.0 * 1024.0):F0} MiB (checksum {checksum:G6})");
    return;
}

var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithWarmupCount(2).WithIterationCount(8).WithInvocationCount(1).WithUnrollFactor(1))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkRunner.Run<TransformerThroughputBenchmarks>(config, args);
