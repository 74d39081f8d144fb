using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Microsoft.ML.Explainability.ZooBenchmarks;

/// <summary>
/// <c>check [--cli PATH/onnx-xai.dll]</c>: for every zoo model, saliency (|∂y/∂x| per channel, predicted class) from
/// <see cref="GradientExplainer"/> and from the model written by <c>onnx-xai compile --method saliency --per-channel</c>
/// run in plain ONNX Runtime, on 2 images; prints the largest absolute difference relative to the largest value and
/// fails (exit 1) when any model differs by more than 1e-5 or cannot be compiled.
/// </summary>
public static class CompiledSaliencyCheck
{
    private const double Tolerance = 1e-5;

    public static int Run(string[] args)
    {
        int i = Array.IndexOf(args, "--cli");
        string cli = i >= 0 ? args[i + 1] : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Microsoft.ML.Explainability.Cli/bin/Release/net8.0/onnx-xai.dll"));
        if (!File.Exists(cli))
        {
            throw new FileNotFoundException($"The CLI was not found at {cli}: build src/Microsoft.ML.Explainability.Cli -c Release or pass --cli.");
        }

        bool failed = false;
        Console.WriteLine("| model | max |Δ| / max |saliency| | verdict |");
        Console.WriteLine("|---|---|---|");
        foreach (var name in ZooModels.Names.Where(n => n != ZooModels.Featurizer))
        {
            string verdict;
            string difference = "";
            try
            {
                var batch = ZooModels.Input(name).Rows(0, 2);
                using var explainer = new GradientExplainer(ZooModels.Load(name), new GradientOptions { Method = GradientMethod.Saliency, Execution = ZooModels.Execution(2) });
                var library = explainer.Explain(batch).Attributions;
                var compiledPath = Path.Combine(Path.GetTempPath(), $"xai-check-{name}-saliency.onnx");
                Compile(cli, ZooModels.PathOf(name), compiledPath);
                var compiled = RunCompiled(compiledPath, batch);
                if (compiled.Length != library.Data.Length)
                {
                    throw new InvalidOperationException($"compiled saliency has {compiled.Length} values, the library's {library.Data.Length}.");
                }

                double scale = library.Data.Max(v => Math.Abs(v));
                double error = library.Data.Zip(compiled, (a, b) => Math.Abs(a - b)).Max() / Math.Max(scale, 1e-30);
                difference = error.ToString("E2", CultureInfo.InvariantCulture);
                verdict = error <= Tolerance ? "ok" : "DIFFERS";
            }
            catch (Exception e)
            {
                verdict = "FAILED: " + e.Message.Split('\n')[0];
            }

            failed |= verdict != "ok";
            Console.WriteLine($"| {name} | {difference} | {verdict} |");
        }

        return failed ? 1 : 0;
    }

    private static void Compile(string cli, string model, string output)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { cli, "compile", "--model", model, "--method", "saliency", "--per-channel", "--output", output })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"onnx-xai compile exited with {process.ExitCode}: {stderr}{stdout}");
        }
    }

    private static float[] RunCompiled(string path, FloatTensor batch)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(path, options);
        var input = session.InputMetadata.Keys.First(k => k != "targets");
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(batch.Data, batch.Shape.Select(d => (int)d).ToArray()))], ["saliency"]);
        return outputs[0].AsEnumerable<float>().ToArray();
    }
}
