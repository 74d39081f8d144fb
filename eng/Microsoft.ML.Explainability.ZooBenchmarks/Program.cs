using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.ML.Explainability.ZooBenchmarks;

// XAI_ZOO=/work/zoo dotnet run -c Release --project eng/Microsoft.ML.Explainability.ZooBenchmarks -- <command>
//   bench [BenchmarkDotNet args]   the zoo table (ZooBenchmarks); XAI_ZOO_MODELS=a,b for a subset
//   profile MODEL METHOD [...]     forward vs method timing and the ONNX Runtime profile by op type (--graph FILE: a
//                                  saved or hand-rewritten graph; XAI_ZOO_OPTIMIZED=FILE writes the graph as ORT optimised it)
//   check                          saliency from the library vs from `onnx-xai compile`, every zoo model
//   table [--rounds N]             the zoo table from alternating runs, CPU-time and wall-time ratios (loaded machines)
//   ab MODEL A.onnx B.onnx [...]   A/B ratios of method graphs saved by `profile --save`, alternating runs, and
//                                  each graph's largest output difference from the first
return args.FirstOrDefault() switch
{
    "profile" => Profiler.Run(args[1..]),
    "check" => CompiledSaliencyCheck.Run(args[1..]),
    "table" => ZooTable.Run(args[1..]),
    "ab" => GraphAB.Run(args[1..]),
    "bench" => Bench(args[1..]),
    _ => Usage(),
};

static int Bench(string[] args)
{
    _ = ZooModels.Folder; // fail loudly before BenchmarkDotNet starts when the zoo is missing
    // Few invocations: a method on a big model takes seconds, IG-32 tens of seconds. In process: no rebuild per case.
    var job = Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3)
        .WithInvocationCount(1).WithUnrollFactor(1).WithToolchain(InProcessEmitToolchain.Instance);
    var config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
    BenchmarkSwitcher.FromAssembly(typeof(ZooBenchmarks).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("commands: bench [BenchmarkDotNet args] | table [--rounds N] | profile MODEL METHOD [--runs N] [--level L] [--save PATH] [--graph PATH] | ab MODEL A.onnx B.onnx … [--rounds N] | check");
    return 2;
}
