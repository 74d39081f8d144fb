using System.CommandLine;
using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Reports;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli.Commands;

/// <summary>
/// <c>ablate --model M.onnx --input X --method grad-cam --report DIR</c>: the ablation study of the Grad-CAM paper's
/// appendix (<see cref="AblationStudy"/>) for a CAM method — the target layer over every block, the ReLU on the final
/// map on/off, the gradient through ReLUs (plain, guided, deconvnet) and the gradient pooling (average, max) — each
/// variant scored with deletion/insertion AUC, faithfulness correlation, sparseness, complexity and (with
/// <c>--masks</c>) the localisation metrics, with its difference from the default. Writes <c>ablation.csv</c>,
/// <c>ablation.md</c> and <c>ablation.html</c> to DIR.
/// </summary>
internal static class AblateCommand
{
    /// <summary>The factors of <c>--factors</c>.</summary>
    public static readonly IReadOnlyList<string> FactorNames = ["layer", "relu", "gradient", "pooling"];

    public static Command Create(TextWriter output, CancellationToken cancellation)
    {
        var options = new CommonOptions();
        var method = new Option<string>("--method") { Description = "The CAM method whose components are ablated (grad-cam, grad-cam-plus-plus, score-cam, …).", DefaultValueFactory = _ => "grad-cam" };
        var report = new Option<string>("--report") { Description = "Output folder of the report (ablation.csv, ablation.md, ablation.html)." };
        var layers = new Option<string>("--layers") { Description = "Comma-separated target layers of the layer factor (default: every block output, see `layers`)." };
        var factors = new Option<string>("--factors") { Description = "Comma-separated factors to vary: " + string.Join(", ", FactorNames) + " (default: all).", DefaultValueFactory = _ => string.Join(",", FactorNames) };
        var masks = new Option<string>("--masks") { Description = "Object masks for the pointing game and relevance mass/rank accuracy: a .npy of N masks, or 'brighter' for the pixels brighter than the background (Fashion-MNIST-like images); default: no localisation metrics." };
        var steps = new Option<int>("--curve-steps") { Description = "Deletion/insertion: steps of the curves.", DefaultValueFactory = _ => 50 };
        var runs = new Option<int>("--correlation-runs") { Description = "Faithfulness correlation: random subsets per sample.", DefaultValueFactory = _ => 20 };
        var command = new Command("ablate", "Ablation study of a CAM method (target layer, map ReLU, ReLU gradient, gradient pooling): every variant's metrics and its difference from the default, as CSV, Markdown and HTML.");
        options.AddInputOptions(command);
        command.Options.Add(method);
        command.Options.Add(report);
        command.Options.Add(options.Layer);
        command.Options.Add(layers);
        command.Options.Add(factors);
        command.Options.Add(masks);
        command.Options.Add(steps);
        command.Options.Add(runs);
        command.Options.Add(options.Seed);
        command.Options.Add(options.BatchSize);
        command.SetAction(result =>
        {
            var chosen = Methods.Find(result.GetValue(method) ?? "grad-cam");
            if (!Methods.CamMethods.TryGetValue(chosen.Name, out var cam))
            {
                throw new CliException(ExitCodes.Usage, $"The ablation study varies the components of a CAM method; '{chosen.Name}' is not one. CAM methods: {string.Join(", ", Methods.CamMethods.Keys)}.");
            }

            var factorList = List(result.GetValue(factors) ?? string.Join(",", FactorNames));
            var unknown = factorList.FirstOrDefault(f => !FactorNames.Contains(f));
            if (unknown is not null)
            {
                throw new CliException(ExitCodes.Usage, $"Unknown factor '{unknown}'. Factors: {string.Join(", ", FactorNames)}.");
            }

            int curveSteps = result.GetValue(steps), correlationRuns = result.GetValue(runs), batchSize = result.GetValue(options.BatchSize);
            if (curveSteps < 1 || correlationRuns < 2 || batchSize < 1)
            {
                throw new CliException(ExitCodes.Usage, "--curve-steps and --batch-size must be positive and --correlation-runs at least 2.");
            }

            CommonOptions.RequireRange(batchSize, CommonOptions.MaxBatchSize, "--batch-size", "each row of a call holds its forward and backward activations");
            var reportFolder = CommonOptions.Required(result, report, "the report folder");
            var input = options.SingleInput(result, "a .npy batch, an image file or a folder of images");
            OutputFiles.RefuseInsideInput(reportFolder, input);
            using var staged = StagedFolder.Create(reportFolder);
            var model = ModelFile.Load(CommonOptions.Required(result, options.Model, "the path of an .onnx file")).RequireSingleInput("ablate");
            var batch = InputLoader.Load(input, model, options.ImageOptions(result));
            if (batch.Tensor.Rank != 4)
            {
                throw new CliException(ExitCodes.BadInput, $"The ablation study explains images [N, C, H, W]; the input has shape {batch.Tensor.ShapeText}.");
            }

            var targets = options.ReadTargets(result, batch.Tensor.BatchSize);
            var study = new AblationOptions
            {
                Method = cam,
                DefaultLayer = options.SingleLayer(result, "ablate"),
                Layers = result.GetValue(layers) is { Length: > 0 } names ? names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : null,
                VaryLayer = factorList.Contains("layer"),
                VaryMapRelu = factorList.Contains("relu"),
                VaryReluGradient = factorList.Contains("gradient"),
                VaryPooling = factorList.Contains("pooling"),
                Masks = Masks(result.GetValue(masks), batch.Tensor),
                Curves = new DeletionInsertionOptions { Steps = curveSteps },
                FaithfulnessCorrelation = new FaithfulnessCorrelationOptions { Runs = correlationRuns, Seed = result.GetValue(options.Seed) },
                Execution = new ExecutionOptions { BatchSize = batchSize },
            };
            Run(model.Model, batch, targets, study, chosen.Name, staged.Staging, output, cancellation);
            staged.Commit();
            output.WriteLine($"wrote ablation.csv, ablation.md and ablation.html to {staged.Target}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Runs the study, then writes its report into <paramref name="folder"/> (nothing is written before the study succeeds); returns it.</summary>
    public static AblationResult Run(Onnx.OnnxModel model, InputBatch batch, long[]? targets, AblationOptions options, string methodName, string folder, TextWriter output, CancellationToken cancellation)
    {
        var (variants, _) = AblationStudy.Plan(model, options);
        output.WriteLine($"ablation of {methodName}: {variants.Count} variants on {batch.Tensor.BatchSize} images (default: {variants[0].Setting})");
        AblationResult? result = null;
        ProgressDisplay.Run(output, progress => result = AblationStudy.Run(model, batch.Tensor, targets, options, progress($"ablation of {methodName}"), cancellation));
        cancellation.ThrowIfCancellationRequested();
        var title = $"Ablation study of {methodName}";
        OutputFiles.Guard(folder, () => AblationReport.Write(result!, batch.Display, folder, title, heatmapSamples: 4, captions: batch.Names));
        output.WriteLine(result!.ToMarkdown(title).Split("\n## All statistics")[0].TrimEnd());
        return result;
    }

    /// <summary>The masks of <c>--masks</c>: none, the brighter-than-background object masks, or a .npy file.</summary>
    private static FloatTensor? Masks(string? text, FloatTensor inputs)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (text.Equals("brighter", StringComparison.OrdinalIgnoreCase))
        {
            return ObjectMasks.BrighterThanBackground(inputs);
        }

        var path = Path.GetFullPath(text);
        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.BadInput, $"--masks '{text}' is neither 'brighter', 'none', nor an existing .npy file.");
        }

        return Npy.ReadFloats(path);
    }

    private static string[] List(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => s.ToLower(CultureInfo.InvariantCulture)).ToArray();
}
