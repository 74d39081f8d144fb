using System.CommandLine;
using System.Globalization;
using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Reports;
using Microsoft.ML.Explainability.Runtime;

namespace Microsoft.ML.Explainability.Cli.Commands;

/// <summary>
/// <c>evaluate --model M.onnx --input X --methods a,b,c --metrics … --report DIR</c>: explains the batch with each
/// method and scores the explanations with each metric; writes <c>report.csv</c>, <c>report.md</c>,
/// <c>report.html</c> (summary, curves and overlays) and each method's <c>.npy</c> to DIR.
/// </summary>
internal static class EvaluateCommand
{
    /// <summary>The metrics of <c>--metrics</c>: the registry's names, and <c>all</c>.</summary>
    public static IReadOnlyList<string> MetricNames => MetricRegistry.All.Select(m => m.Name).ToArray();

    public static Command Create(TextWriter output, CancellationToken cancellation)
    {
        var options = new CommonOptions();
        var methods = new Option<string>("--methods") { Description = "Comma-separated methods (see `methods`)." };
        var metrics = new Option<string>("--metrics") { Description = "Comma-separated metrics, or all: " + string.Join(", ", MetricNames) + " (default: deletion,insertion). Localisation metrics use masks of the pixels brighter than the background.", DefaultValueFactory = _ => "deletion,insertion" };
        var convention = new Option<string>("--convention") { Description = "Metric defaults: default, or quantus (Quantus 0.6's baselines, AUC, sample counts).", DefaultValueFactory = _ => "default" };
        var report = new Option<string>("--report") { Description = "Output folder of the report (CSV, Markdown, HTML)." };
        var steps = new Option<int>("--curve-steps") { Description = "Deletion/insertion: steps of the curves.", DefaultValueFactory = _ => 50 };
        var command = new Command("evaluate", "Score explanation methods with evaluation metrics; write the summary as CSV, Markdown and HTML (with a progress bar).");
        options.AddInputOptions(command);
        command.Options.Add(methods);
        command.Options.Add(metrics);
        command.Options.Add(report);
        command.Options.Add(steps);
        command.Options.Add(convention);
        // No --target-kind: the metrics score the model's class output, which a target's explanation does not explain.
        options.AddMethodOptions(command, withTargets: false);
        command.SetAction(result =>
        {
            var chosen = ParseList(CommonOptions.Required(result, methods, "comma-separated method names")).Select(Methods.Require).ToArray();
            var metricList = ParseList(result.GetValue(metrics) ?? "deletion,insertion");
            metricList = metricList.SelectMany(m => m == MetricRegistry.AllName ? MetricNames : [m]).Distinct().ToArray();
            var unknown = metricList.Where(m => !MetricNames.Contains(m)).ToArray();
            if (unknown.Length > 0)
            {
                throw new CliException(ExitCodes.Usage, $"Unknown metric '{unknown[0]}'. Metrics: {string.Join(", ", MetricNames)}, or all.");
            }

            var conventionName = (result.GetValue(convention) ?? "default").ToLowerInvariant();
            var chosenConvention = conventionName switch
            {
                "default" => EvaluationConvention.Default,
                "quantus" => EvaluationConvention.Quantus,
                _ => throw new CliException(ExitCodes.Usage, $"Unknown convention '{conventionName}'. Conventions: default, quantus."),
            };

            int curveSteps = result.GetValue(steps);
            if (curveSteps < 1)
            {
                throw new CliException(ExitCodes.Usage, "--curve-steps must be positive.");
            }

            var reportFolder = CommonOptions.Required(result, report, "the report folder");
            var input = options.SingleInput(result, "a .npy batch, an image file or a folder of images");
            OutputFiles.RefuseInsideInput(reportFolder, input);
            using var staged = StagedFolder.Create(reportFolder);
            var model = ModelFile.Load(CommonOptions.Required(result, options.Model, "the path of an .onnx file")).RequireSingleInput("evaluate");
            var batch = InputLoader.Load(input, model, options.ImageOptions(result));
            var targets = options.ReadTargets(result, batch.Tensor.BatchSize);
            Run(model, batch, chosen, metricList, targets, options.MethodOptions(result, cancellation, withTargets: false), curveSteps, staged.Staging, output, captions: null, convention: chosenConvention);
            staged.Commit();
            output.WriteLine($"wrote report.csv, report.md and report.html to {staged.Target}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Evaluates, then writes the report (and each method's .npy) into <paramref name="folder"/>: nothing is written
    /// until every method and metric has run, and <see cref="MethodOptions.Cancellation"/> stops the run between
    /// batches of the metrics.
    /// </summary>
    public static EvaluationReport Run(ModelFile model, InputBatch batch, IReadOnlyList<ExplanationMethod> methods, IReadOnlyList<string> metrics, long[]? targets, MethodOptions options, int curveSteps, string folder, TextWriter output, IReadOnlyList<string>? captions, string title = "Explanation evaluation", bool writeExplanations = true, EvaluationConvention convention = EvaluationConvention.Default)
    {
        var descriptors = metrics.Select(MetricRegistry.Find).ToArray();
        var masks = descriptors.Any(d => d.Needs.HasFlag(MetricNeeds.Masks)) ? ObjectMasks.BrighterThanBackground(batch.Tensor) : null;
        var report = new EvaluationReport();
        var explanations = new List<(string Method, FloatTensor Raw, FloatTensor Values)>();
        var cancel = options.Cancellation;
        using var scorer = new ModelScorer(model.Model, null, options.Execution);
        ProgressDisplay.Run(output, progress =>
        {
            foreach (var method in methods)
            {
                var result = Methods.Compute(method, model.Model, batch.Tensor, targets, options);
                var values = AsInputShaped(result.Values, method.Layout, batch.Tensor);
                explanations.Add((method.Name, result.Values, values));
                var resolved = scorer.ResolveTargets(batch.Tensor, targets ?? result.Targets, cancel);
                using var context = new MetricContext
                {
                    Model = model.Model, Scorer = scorer, Inputs = batch.Tensor, Explanations = values, Targets = resolved, Masks = masks,
                    Explain = (m, x, t) => AsInputShaped(Methods.Compute(method, m, x, t, options).Values, method.Layout, x),
                    Convention = convention, Seed = options.Seed, CurveSteps = curveSteps, CancellationToken = cancel,
                };
                MetricRegistry.Evaluate(report, method.Name, context, descriptors, metric => progress($"{method.Name} {metric}"));
            }
        });

        cancel.ThrowIfCancellationRequested();
        if (writeExplanations)
        {
            foreach (var (method, raw, _) in explanations)
            {
                OutputFiles.WriteNpy(Path.Combine(folder, method + ".npy"), raw);
            }
        }

        OutputFiles.Guard(folder, () =>
        {
            ReportWriters.WriteCsv(report, Path.Combine(folder, "report.csv"));
            ReportWriters.WriteMarkdown(report, Path.Combine(folder, "report.md"), title);
            var html = new HtmlReport(report, title);
            foreach (var (method, _, values) in explanations.Where(_ => batch.Tensor.Rank == 4))
            {
                html.AddHeatmaps(method, batch.Display, values, maxSamples: 8, colormap: HeatmapColormap.Jet, captions: captions ?? batch.Names);
            }

            html.Save(Path.Combine(folder, "report.html"));
        });
        output.WriteLine(ReportWriters.ToMarkdown(report, title).Split("\n## All statistics")[0].TrimEnd());
        return report;
    }

    /// <summary>Explanations in the inputs' shape: an N×H×W map is spread evenly over the C channels (its channel sum is the map).</summary>
    public static FloatTensor AsInputShaped(FloatTensor values, ExplanationLayout layout, FloatTensor inputs)
    {
        if (layout == ExplanationLayout.InputAttribution || values.Shape.SequenceEqual(inputs.Shape))
        {
            return values;
        }

        if (inputs.Rank != 4 || values.Rank != 3 || values.Shape[1] != inputs.Shape[2] || values.Shape[2] != inputs.Shape[3])
        {
            throw new CliException(ExitCodes.ModelError, $"Maps of shape {values.ShapeText} do not fit inputs {inputs.ShapeText}.");
        }

        int n = inputs.BatchSize, c = (int)inputs.Shape[1], plane = values.RowLength;
        var data = new float[inputs.Length];
        for (int r = 0; r < n; r++)
        {
            var map = values.Row(r);
            for (int k = 0; k < c; k++)
            {
                for (int p = 0; p < plane; p++)
                {
                    data[(((r * c) + k) * plane) + p] = map[p] / c;
                }
            }
        }

        return new FloatTensor(data, inputs.Shape);
    }

    private static string[] ParseList(string text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => s.ToLower(CultureInfo.InvariantCulture)).ToArray();
}
