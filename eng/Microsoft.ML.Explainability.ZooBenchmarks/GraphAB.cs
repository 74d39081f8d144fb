using System.Globalization;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Microsoft.ML.Explainability.ZooBenchmarks;

/// <summary>
/// <c>ab MODEL A.onnx B.onnx … [--rounds N]</c>: A/B timing of method graphs saved by <c>profile … --save</c> (for
/// example before and after a change to a backward rule). The plain forward pass and every graph run in turn, N
/// rounds, each in its own session (batch 8, 2 threads, spinning off), so that load from other processes hits them
/// alike; prints each graph's median CPU-time and wall-time ratio to the forward pass. A file name ending in
/// <c>@extended</c> runs that graph at ORT_ENABLE_EXTENDED (no blocked NCHWc layout); the forward always runs at ALL.
/// Each graph's float outputs are also compared with the first graph's, as the largest difference relative to the
/// first graph's largest value.
/// </summary>
public static class GraphAB
{
    public static int Run(string[] args)
    {
        int roundsAt = Array.IndexOf(args, "--rounds");
        int rounds = roundsAt >= 0 ? int.Parse(args[roundsAt + 1], CultureInfo.InvariantCulture) : 7;
        var positional = args.Where((a, i) => i != roundsAt && i != roundsAt + 1).ToArray();
        if (positional.Length < 2)
        {
            Console.Error.WriteLine("usage: ab MODEL A.onnx [B.onnx …] [--rounds N]");
            return 2;
        }

        string name = positional[0];
        var model = ZooModels.Load(name);
        bool givenSeed = name == ZooModels.Featurizer;
        var forwardFeeds = Profiler.Feeds(model.InputNames[0], name, withSeed: false, givenSeed);
        var methodFeeds = Profiler.Feeds(model.InputNames[0], name, withSeed: true, givenSeed);
        var sessions = new List<InferenceSession> { Profiler.Session(GradientModel.Prepare(model).ToBytes(), GraphOptimizationLevel.ORT_ENABLE_ALL, null) };
        sessions.AddRange(positional.Skip(1).Select(file => file.EndsWith("@extended", StringComparison.Ordinal)
            ? Profiler.Session(File.ReadAllBytes(file[..^"@extended".Length]), GraphOptimizationLevel.ORT_ENABLE_EXTENDED, null)
            : Profiler.Session(File.ReadAllBytes(file), GraphOptimizationLevel.ORT_ENABLE_ALL, null)));
        try
        {
            var times = sessions.Select(_ => new List<(double Cpu, double Wall)>()).ToArray();
            for (int r = -1; r < rounds; r++)
            {
                for (int s = 0; s < sessions.Count; s++)
                {
                    var t = Profiler.Time(sessions[s], s == 0 ? forwardFeeds : methodFeeds);
                    if (r >= 0)
                    {
                        times[s].Add(t);
                    }
                }
            }

            static double Median(IEnumerable<double> v)
            {
                var sorted = v.Order().ToArray();
                return sorted[sorted.Length / 2];
            }

            // Same inputs, same outputs: each graph's float outputs against the first graph's (a rewrite must not change them).
            var reference = Outputs(sessions[1], methodFeeds);
            var differences = sessions.Skip(1).Select(s => Outputs(s, methodFeeds)).Select(outputs => reference.Keys.Where(outputs.ContainsKey)
                .Max(name => reference[name].Zip(outputs[name], (a, b) => Math.Abs(a - b)).DefaultIfEmpty(0f).Max() / Math.Max(reference[name].Select(Math.Abs).DefaultIfEmpty(0f).Max(), float.Epsilon))).ToArray();
            double forwardCpu = Median(times[0].Select(t => t.Cpu)), forwardWall = Median(times[0].Select(t => t.Wall));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: forward {forwardWall / ZooModels.Batch:F2} ms/img (wall)"));
            for (int s = 1; s < sessions.Count; s++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {positional[s],-40} {Median(times[s].Select(t => t.Cpu)) / forwardCpu:F2}× CPU  {Median(times[s].Select(t => t.Wall)) / forwardWall:F2}× wall  max |Δ| vs first {differences[s - 1]:E2} (relative to its largest value)"));
            }
        }
        finally
        {
            sessions.ForEach(s => s.Dispose());
        }

        return 0;
    }

    private static Dictionary<string, float[]> Outputs(InferenceSession session, List<NamedOnnxValue> feeds)
    {
        using var results = session.Run(feeds);
        return results.Where(r => r.ElementType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
            .ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray(), StringComparer.Ordinal);
    }
}
