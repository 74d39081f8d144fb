using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.ZooBenchmarks;

/// <summary>
/// <c>profile MODEL METHOD [--runs N] [--level basic|extended|all] [--save PATH] [--graph PATH]</c>: times the plain forward pass and
/// the method's graph in one process (median of N runs, batch 8, 2 threads), then runs the method's graph with
/// ONNX Runtime profiling and prints the kernel time summed by op type (the <c>*_kernel_time</c> events). <c>--graph</c>
/// profiles a method graph read from a file (for example one rewritten by hand) instead of building it.
/// </summary>
public static class Profiler
{
    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: profile MODEL METHOD [--runs N] [--level basic|extended|all] [--save PATH]; METHOD: " + string.Join(", ", MethodGraphs.Methods));
            return 2;
        }

        string name = args[0], method = args[1];
        int runs = int.Parse(Option(args, "--runs") ?? "5", CultureInfo.InvariantCulture);
        var level = (Option(args, "--level") ?? "all") switch
        {
            "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "disable" => GraphOptimizationLevel.ORT_DISABLE_ALL,
            _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        var model = ZooModels.Load(name);
        bool givenSeed = name == ZooModels.Featurizer;
        var forwardBytes = GradientModel.Prepare(model).ToBytes();
        var graph = MethodGraphs.Build(model, method, givenSeed);
        var methodBytes = Option(args, "--graph") is { } given ? File.ReadAllBytes(given) : graph?.Model.ToBytes() ?? forwardBytes;
        if (Option(args, "--save") is { } save)
        {
            File.WriteAllBytes(save, methodBytes);
        }

        var inputs = Feeds(model.InputNames[0], name, graph is not null, givenSeed);
        var (forward, forwardCpu) = Median(forwardBytes, inputs.Take(1).ToList(), runs, level, null);
        var (measured, measuredCpu) = Median(methodBytes, inputs, runs, level, null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} {method}: forward {forward / ZooModels.Batch:F2} ms/img, {method} {measured / ZooModels.Batch:F2} ms/img, ratio {measured / forward:F2} (wall), {measuredCpu / forwardCpu:F2} (CPU time, no spinning)"));

        var profile = new string[1];
        Median(methodBytes, inputs, 2, level, Path.Combine(Path.GetTempPath(), $"xai-profile-{name}-{method}"), profile);
        PrintSummary(profile[0]);
        return 0;
    }

    /// <summary>The batch of 8 and, for a method graph (<paramref name="withSeed"/>), its seed or targets.</summary>
    internal static List<NamedOnnxValue> Feeds(string inputName, string name, bool withSeed, bool givenSeed)
    {
        var input = ZooModels.Input(name);
        var feeds = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(inputName, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(input.Data, input.Shape.Select(d => (int)d).ToArray())) };
        if (withSeed && givenSeed)
        {
            var seed = ZooModels.Seed(name);
            feeds.Add(NamedOnnxValue.CreateFromTensor(GradientModel.SeedInput, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(seed.Data, seed.Shape.Select(d => (int)d).ToArray())));
        }
        else if (withSeed)
        {
            var targets = Enumerable.Range(0, ZooModels.Batch).Select(r => (long)(r * 7)).ToArray();
            feeds.Add(NamedOnnxValue.CreateFromTensor(GradientModel.TargetsInput, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>(targets, [ZooModels.Batch])));
        }

        return feeds;
    }

    /// <summary>Median wall time and median process CPU time (ms) of <paramref name="runs"/> runs after one warm-up.</summary>
    /// <remarks>
    /// Spinning of the ONNX Runtime thread pool is off, so that CPU time counts work rather than waiting: on a machine
    /// other processes load, the CPU-time ratio is the steadier of the two.
    /// </remarks>
    private static (double Wall, double Cpu) Median(byte[] model, List<NamedOnnxValue> feeds, int runs, GraphOptimizationLevel level, string? profilePrefix, string[]? profileFile = null)
    {
        using var session = Session(model, level, profilePrefix);
        using (session.Run(feeds))
        {
        }

        var times = new List<double>();
        var cpu = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var (c, w) = Time(session, feeds);
            times.Add(w);
            cpu.Add(c);
        }

        if (profilePrefix is not null)
        {
            var written = session.EndProfiling();
            profileFile![0] = Path.IsPathRooted(written) ? written : Path.GetFullPath(written);
        }

        times.Sort();
        cpu.Sort();
        return (times[times.Count / 2], cpu[cpu.Count / 2]);
    }

    /// <summary>A session as measured: 2 intra-op threads, thread-pool spinning off, optionally profiling.</summary>
    internal static InferenceSession Session(byte[] model, GraphOptimizationLevel level, string? profilePrefix)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level, IntraOpNumThreads = 2, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (Environment.GetEnvironmentVariable("XAI_ZOO_OPTIMIZED") is { Length: > 0 } optimized)
        {
            options.OptimizedModelFilePath = optimized; // the graph as ONNX Runtime rewrote it, to see its layout decisions
        }
        if (profilePrefix is not null)
        {
            options.EnableProfiling = true;
            options.ProfileOutputPathPrefix = profilePrefix;
        }

        return new InferenceSession(model, options);
    }

    /// <summary>Process CPU time and wall time (ms) of one run.</summary>
    internal static (double Cpu, double Wall) Time(InferenceSession session, List<NamedOnnxValue> feeds)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        using (session.Run(feeds))
        {
        }

        double wall = watch.Elapsed.TotalMilliseconds;
        process.Refresh();
        return ((process.TotalProcessorTime - cpuBefore).TotalMilliseconds, wall);
    }

    /// <summary>Kernel time by op type, largest first, with node counts (per run: events of all runs are summed).</summary>
    public static void PrintSummary(string profileJson)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(profileJson));
        var byOp = new Dictionary<string, (double Us, HashSet<string> Nodes)>(StringComparer.Ordinal);
        foreach (var e in document.RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("name", out var n) || n.GetString() is not { } eventName || !eventName.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                continue;
            }

            var op = e.GetProperty("args").GetProperty("op_name").GetString() ?? "?";
            (double Us, HashSet<string> Nodes) entry = byOp.TryGetValue(op, out var found) ? found : (0.0, new HashSet<string>(StringComparer.Ordinal));
            entry.Nodes.Add(eventName);
            byOp[op] = (entry.Us + e.GetProperty("dur").GetDouble(), entry.Nodes);
        }

        double total = byOp.Values.Sum(v => v.Us);
        Console.WriteLine($"profile {profileJson}");
        foreach (var (op, (us, nodes)) in byOp.OrderByDescending(kv => kv.Value.Us).Take(18))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {op,-28} {100 * us / total,5:F1}%  {nodes.Count,4} nodes"));
        }
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
