using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.ZooBenchmarks;

/// <summary>
/// <c>table [--rounds N]</c>: the zoo table measured robustly on a loaded machine. For each model, the graphs the
/// explainers run (<see cref="MethodGraphs"/>) and the plain forward pass are run alternately, N rounds, each in its
/// own ONNX Runtime session (batch 8, 2 intra-op threads, all optimisations, thread-pool spinning off), and the
/// medians of process CPU time and of wall time give each method's cost per image ÷ inference per image. IG-32 is
/// the saliency graph on one batch of 32 path points (one image), as the library runs it. Shapley-CAM is forward,
/// backward and the reverse-over-reverse H·A at the automatic layer (issue 16's target ≤ 3.5×); "Grad-CAM, 2 layers" is
/// one backward pass to <see cref="MethodGraphs.TwoLayers"/>. The C# work around the
/// sessions (CAM weighting, IG's path and sum) is not included; the BenchmarkDotNet table (<c>bench</c>) includes it.
/// </summary>
public static class ZooTable
{
    private static readonly string[] Columns = ["gradcam", "saliency", "guided", "lrp", "ig32", "shapley", "gradcam2"];

    public static int Run(string[] args)
    {
        int i = Array.IndexOf(args, "--rounds");
        int rounds = i >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : 3;
        Console.WriteLine("| model | inference ms/img (wall) | Grad-CAM | saliency | Guided Backprop | LRP EpsilonPlus | IG-32 | Shapley-CAM | Grad-CAM, 2 layers |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var name in ZooModels.Names)
        {
            var model = ZooModels.Load(name);
            var shapes = ShapeProbe.Run(GradientModel.Prepare(model)); // once per model; LRP probes its folded copy
            var cells = new List<string>();
            double forwardWall = double.NaN;
            foreach (var column in Columns)
            {
                try
                {
                    var (ratioCpu, ratioWall, fwd) = Measure(name, model, shapes, column, rounds);
                    forwardWall = double.IsNaN(forwardWall) ? fwd : Math.Min(forwardWall, fwd);
                    cells.Add(string.Create(CultureInfo.InvariantCulture, $"{ratioCpu:F2}× ({ratioWall:F2}×)"));
                }
                catch (Exception e)
                {
                    cells.Add("FAILED: " + e.Message.Split('\n')[0].Replace('|', '/'));
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {forwardWall:F1} | {string.Join(" | ", cells)} |"));
        }

        Console.WriteLine("Cells: CPU-time ratio (wall-time ratio) per image, medians of alternating runs.");
        return 0;
    }

    private static (double Cpu, double Wall, double ForwardWallPerImage) Measure(string name, OnnxModel model, ModelShapes shapes, string column, int rounds)
    {
        bool givenSeed = name == ZooModels.Featurizer;
        int rows = column == "ig32" ? 32 : ZooModels.Batch;
        var graph = MethodGraphs.Build(model, column == "ig32" ? "saliency" : column, givenSeed, column == "lrp" ? null : shapes)!;
        string inputName = model.InputNames[0];
        using var forward = Session(GradientModel.Prepare(model).ToBytes());
        using var method = Session(graph.Model.ToBytes());
        var batch = ZooModels.Input(name);
        var forwardFeeds = new List<NamedOnnxValue> { Tensor(inputName, batch.Data, batch.Shape) };
        var methodInput = rows == ZooModels.Batch ? batch.Data : Enumerable.Range(0, rows).SelectMany(r => batch.Row(0).ToArray().Select(v => v * (r + 0.5f) / rows)).ToArray();
        var methodFeeds = new List<NamedOnnxValue> { Tensor(inputName, methodInput, [rows, .. batch.Shape.Skip(1)]) };
        if (givenSeed)
        {
            var seed = ZooModels.Seed(name);
            var seedData = Enumerable.Range(0, rows).SelectMany(r => seed.Row(r % ZooModels.Batch).ToArray()).ToArray();
            methodFeeds.Add(Tensor(GradientModel.SeedInput, seedData, [rows, .. seed.Shape.Skip(1)]));
        }
        else
        {
            methodFeeds.Add(NamedOnnxValue.CreateFromTensor(GradientModel.TargetsInput, new DenseTensor<long>(Enumerable.Range(0, rows).Select(r => (long)(r * 7 % 1000)).ToArray(), [rows])));
        }

        Time(forward, forwardFeeds);
        Time(method, methodFeeds);
        var f = new List<(double Cpu, double Wall)>();
        var m = new List<(double Cpu, double Wall)>();
        for (int r = 0; r < rounds; r++)
        {
            f.Add(Time(forward, forwardFeeds));
            m.Add(Time(method, methodFeeds));
        }

        double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted[sorted.Length / 2];
        }

        // Per image: the forward ran 8 images; a method ran 8 images, except IG-32 (32 rows = one image).
        double imagesInMethod = column == "ig32" ? 1 : ZooModels.Batch;
        double forwardCpu = Median(f.Select(t => t.Cpu)) / ZooModels.Batch, forwardWall = Median(f.Select(t => t.Wall)) / ZooModels.Batch;
        double methodCpu = Median(m.Select(t => t.Cpu)) / imagesInMethod, methodWall = Median(m.Select(t => t.Wall)) / imagesInMethod;
        return (methodCpu / forwardCpu, methodWall / forwardWall, forwardWall);
    }

    private static NamedOnnxValue Tensor(string name, float[] data, IEnumerable<long> shape) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(data, shape.Select(d => (int)d).ToArray()));

    private static InferenceSession Session(byte[] model)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 2, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new InferenceSession(model, options);
    }

    private static (double Cpu, double Wall) Time(InferenceSession session, List<NamedOnnxValue> feeds)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        using (session.Run(feeds))
        {
        }

        double wall = watch.Elapsed.TotalMilliseconds;
        process.Refresh();
        return ((process.TotalProcessorTime - cpu).TotalMilliseconds, wall);
    }
}
