// The evaluation report of issue 7: the four Fashion-MNIST fixture models × six explanation methods × every
// applicable metric on the first 100 test images. Writes, per model, report.csv / report.md / report.html to the
// output folder, and a Markdown summary of all of it to docs/evaluation-report.md.
//
//   dotnet run -c Release --project samples/EvaluationReport [-- --images 100 --output out/evaluation-report --doc docs/evaluation-report.md]
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cam;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Lrp.Composites;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.Onnx;
using Microsoft.ML.Explainability.Reports;
using Microsoft.ML.Explainability.Runtime;
using Microsoft.ML.Explainability.VisionTransformers;
using Microsoft.ML.Explainability;

var settings = Settings.Parse(args);
var total = Stopwatch.StartNew();
var (images, labels) = FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "assets", "data"), settings.Images);
Directory.CreateDirectory(settings.Output);
var execution = new ExecutionOptions { BatchSize = 128 };
var models = new[] { "fmnist_cnn", "fmnist_resnet", "fmnist_mobilenet", "fmnist_deit" };
var summaries = new List<ModelSummary>();
foreach (var name in models)
{
    var model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "assets", "models", name + ".onnx"));
    Console.WriteLine($"== {name}");
    summaries.Add(Evaluator.Run(name, model, images, labels, settings, execution));
}

total.Stop();
var doc = Summary.Markdown(summaries, settings, total.Elapsed);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.Doc))!);
File.WriteAllText(settings.Doc, doc, new UTF8Encoding(false));
Console.WriteLine($"wrote {Path.GetFullPath(settings.Doc)} and the per-model reports in {Path.GetFullPath(settings.Output)} ({total.Elapsed.TotalSeconds:F0} s)");

/// <summary>Command-line settings and the reduced budgets of the expensive metrics.</summary>
internal sealed record Settings(int Images, string Output, string Doc)
{
    public const int CurveSteps = 50;
    public const int FlipSteps = 20;
    public const int CorrelationRuns = 20;
    public const int InfidelitySamples = 20;
    public const int SensitivityImages = 20;
    public const int SensitivitySamples = 3;
    public const int RandomisationImages = 20;
    public const int RandomisationStages = 3;
    public const int IntegratedGradientsSteps = 32;

    public static Settings Parse(string[] args)
    {
        int images = 100;
        string output = Path.Combine("out", "evaluation-report");
        string? doc = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--images":
                    images = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--output":
                    output = args[++i];
                    break;
                case "--doc":
                    doc = args[++i];
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: [--images N] [--output DIR] [--doc FILE.md]");
            }
        }

        return new Settings(images, output, doc ?? Path.Combine(RepositoryRoot() ?? ".", "docs", "evaluation-report.md"));
    }

    private static string? RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Microsoft.ML.Explainability.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}

/// <summary>The bundled Fashion-MNIST test sample.</summary>
internal static class FashionMnist
{
    public const float Mean = 0.2860f;
    public const float Std = 0.3530f;

    /// <summary>The first <paramref name="count"/> test images, normalised as the fixture models expect, [count, 1, 28, 28], and their labels.</summary>
    public static (FloatTensor Images, byte[] Labels) Load(string folder, int count)
    {
        var pixels = Read(Path.Combine(folder, "fashion-mnist-t10k-1000-images-idx3-ubyte.gz"));
        var labels = Read(Path.Combine(folder, "fashion-mnist-t10k-1000-labels-idx1-ubyte.gz"));
        var data = new float[count * 784];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = ((pixels[16 + i] / 255f) - Mean) / Std;
        }

        return (new FloatTensor(data, count, 1, 28, 28), labels.AsSpan(8, count).ToArray());
    }

    private static byte[] Read(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }
}

/// <summary>One explanation method: explains a batch for given classes, returning attributions of the inputs' shape.</summary>
internal sealed record Method(string Name, bool Additive, Func<OnnxModel, IExplainer> Create);

/// <summary>An explainer bound to one model.</summary>
internal interface IExplainer : IDisposable
{
    /// <summary>What was used (layer, composite…).</summary>
    string Detail { get; }

    /// <summary>Explanations of the batch's shape for one class per row.</summary>
    FloatTensor Explain(FloatTensor batch, long[] targets);
}

internal sealed class DelegateExplainer(string detail, Func<FloatTensor, long[], FloatTensor> explain, IDisposable owner) : IExplainer
{
    public string Detail => detail;

    public FloatTensor Explain(FloatTensor batch, long[] targets) => explain(batch, targets);

    public void Dispose() => owner.Dispose();
}

/// <summary>A method that does not apply to a model, with the reason.</summary>
internal sealed class NotApplicableException(string reason) : Exception(reason);

internal static class Methods
{
    private static readonly ExecutionOptions Execution = new() { BatchSize = 128 };

    public static readonly Method[] All =
    [
        Cam("Grad-CAM", ExplanationMethods.GradCam),
        Cam("Grad-CAM++", ExplanationMethods.GradCamPlusPlus),
        Cam("Score-CAM", ExplanationMethods.ScoreCam),
        new("Guided Grad-CAM", false, model =>
        {
            var explainer = new GuidedGradCam(model, new CamOptions { Execution = Execution });
            return new DelegateExplainer($"layer {explainer.Layer.Name}", (x, t) => explainer.Explain(x, t).Attributions, explainer);
        }),
        new("Integrated gradients", true, model =>
        {
            var explainer = new IntegratedGradients(model, new IntegratedGradientsOptions { Steps = Settings.IntegratedGradientsSteps, Execution = Execution });
            return new DelegateExplainer($"{Settings.IntegratedGradientsSteps} Gauss–Legendre steps, zero baseline", (x, t) => explainer.Explain(x, t).Attributions, explainer);
        }),
        new("LRP EpsilonPlus", true, Lrp),
    ];

    private static Method Cam(string name, Microsoft.ML.Explainability.Explainers.ExplanationMethod method) => new(name, false, model =>
    {
        var explainer = new CamExplainer(model, new CamOptions { Method = method, Execution = Execution });
        return new DelegateExplainer($"layer {explainer.Layer.Name} ({explainer.Layer.Height}×{explainer.Layer.Width})", (x, t) => AblationStudy.SpreadOverChannels(explainer.Explain(x, t).Maps, x), explainer);
    });

    /// <summary>The CNN composite; for a transformer, which the CNN composite refuses, the transformer explainer's LRP.</summary>
    private static DelegateExplainer Lrp(OnnxModel model)
    {
        try
        {
            var explainer = new LrpExplainer(model, new LrpOptions { Composite = LrpComposite.EpsilonPlus(), Execution = Execution });
            var probe = explainer.Explain(FloatTensor.Zeros(1, 1, 28, 28), [0]);
            _ = probe;
            return new DelegateExplainer("composite EpsilonPlus (Zennit), BatchNorm folded", (x, t) => explainer.Explain(x, t).Relevance, explainer);
        }
        catch (ExplainabilityException refused)
        {
            TransformerExplainer transformer;
            try
            {
                transformer = new TransformerExplainer(model, new TransformerOptions { Method = TransformerMethod.Lrp, Execution = Execution });
            }
            catch (ExplainabilityException e)
            {
                throw new NotApplicableException($"the CNN composite refuses the model ({refused.Message}) and it is not a vision transformer ({e.Message})");
            }

            return new DelegateExplainer($"transformer LRP (AttnLRP-style rules; the CNN composite refuses the model: {FirstSentence(refused.Message)})", (x, t) =>
            {
                var result = transformer.Explain(x, t);
                return result.Relevance ?? AblationStudy.SpreadOverChannels(result.Maps, x);
            }, transformer);
        }
    }

    private static string FirstSentence(string text)
    {
        int end = text.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? text[..end] : text.TrimEnd('.');
    }
}

/// <summary>Per model: the report and what happened.</summary>
internal sealed record ModelSummary(string Model, EvaluationReport Report, double Accuracy, IReadOnlyList<(string Method, string Detail, double Seconds)> Methods, IReadOnlyList<(string Method, string Reason)> NotApplicable, double Seconds, long ForwardPasses);

internal static class Evaluator
{
    public static readonly Dictionary<string, double> Timings = new();

    private static T Time<T>(string name, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        var result = work();
        Timings[name] = Timings.GetValueOrDefault(name) + clock.Elapsed.TotalSeconds;
        return result;
    }

    public static ModelSummary Run(string name, OnnxModel model, FloatTensor images, byte[] labels, Settings settings, ExecutionOptions execution)
    {
        var clock = Stopwatch.StartNew();
        using var scorer = new ModelScorer(model, "logits", execution);
        var targets = scorer.Predict(images);
        double accuracy = targets.Select((t, i) => t == labels[i] ? 1.0 : 0).Average();
        var masks = ObjectMasks.BrighterThanBackground(images);
        var report = new EvaluationReport();
        var page = new HtmlReport(report, $"Evaluation of {name} ({images.BatchSize} Fashion-MNIST test images)");
        var done = new List<(string, string, double)>();
        var notApplicable = new List<(string, string)>();
        int sub = Math.Min(Settings.RandomisationImages, images.BatchSize);
        var subset = images.Rows(0, sub);
        var subsetTargets = targets[..sub];
        foreach (var method in Methods.All)
        {
            var timer = Stopwatch.StartNew();
            IExplainer explainer;
            try
            {
                explainer = method.Create(model);
            }
            catch (NotApplicableException e)
            {
                notApplicable.Add((method.Name, e.Message));
                Console.WriteLine($"  {method.Name}: not applicable — {e.Message}");
                continue;
            }

            using (explainer)
            {
                var e = explainer.Explain(images, targets);
                double explainSeconds = timer.Elapsed.TotalSeconds;
                var m = method.Name;

                // Faithfulness.
                report.AddCurves(m, Time("del", () => DeletionInsertion.Deletion(scorer, images, e, targets, new DeletionInsertionOptions { Steps = Settings.CurveSteps })));
                report.AddCurves(m, Time("ins", () => DeletionInsertion.Insertion(scorer, images, e, targets, new DeletionInsertionOptions { Steps = Settings.CurveSteps })));
                var flipping = Time("flip", () => PixelFlipping.Run(scorer, images, e, targets, new PixelFlippingOptions { Steps = Settings.FlipSteps }));
                report.Add(m, "MoRF AOPC", flipping.AopcMorf, higherIsBetter: true);
                report.Add(m, "LeRF AOPC", flipping.AopcLerf, higherIsBetter: false);
                var road = Time("road", () => Road.Run(scorer, images, e, targets));
                report.Add(m, "ROAD MoRF", road.MeanMorf, higherIsBetter: false);
                report.Add(m, "ROAD LeRF", road.MeanLerf, higherIsBetter: true);
                report.Add(m, "faithfulness correlation", Time("fc", () => FaithfulnessCorrelation.Run(scorer, images, e, targets, new FaithfulnessCorrelationOptions { Runs = Settings.CorrelationRuns })), higherIsBetter: true);
                report.Add(m, "infidelity", Time("infid", () => Infidelity.Run(scorer, images, e, targets, new InfidelityOptions { Samples = Settings.InfidelitySamples, MultipliedByInputs = method.Additive })), higherIsBetter: false);
                report.Add(m, "max-sensitivity", Time("maxsens", () => Enumerable.Range(0, Math.Min(Settings.SensitivityImages, images.BatchSize)).Select(n =>
                    MaxSensitivity.Run(images.Rows(n, 1), stack => explainer.Explain(stack, Enumerable.Repeat(targets[n], stack.BatchSize).ToArray()), new MaxSensitivityOptions { Samples = Settings.SensitivitySamples, Normalize = true })[0]).ToArray()), higherIsBetter: false);
                if (method.Additive)
                {
                    report.Add(m, "completeness error", Time("compl", () => Completeness.Run(scorer, images, e, targets)).RelativeErrors, higherIsBetter: false);
                }

                // Localisation, complexity.
                report.Add(m, "pointing game", Localisation.PointingGame(e, masks), higherIsBetter: true);
                report.Add(m, "relevance mass accuracy", Localisation.RelevanceMassAccuracy(e, masks), higherIsBetter: true);
                report.Add(m, "relevance rank accuracy", Localisation.RelevanceRankAccuracy(e, masks), higherIsBetter: true);
                report.Add(m, "sparseness (Gini)", Complexity.Sparseness(e), higherIsBetter: true);
                report.Add(m, "complexity (entropy)", Complexity.EntropyComplexity(e), higherIsBetter: false);

                // Randomisation sanity checks on a subset: cascading model-parameter randomisation (last stage: every layer
                // randomised) and the random-logit test; lower similarity means more dependence on the model / class.
                var stages = Time("rand", () => ModelRandomisation.Run(model, subset, (randomised, x) =>
                {
                    if (ReferenceEquals(randomised, model))
                    {
                        return explainer.Explain(x, subsetTargets);
                    }

                    using var fresh = method.Create(randomised);
                    return fresh.Explain(x, subsetTargets);
                }, new RandomisationOptions { Seed = 1, MaxStages = Settings.RandomisationStages }));
                report.Add(m, "randomised model SSIM", stages[^1].Ssim, higherIsBetter: false);
                report.Add(m, "randomised model |Spearman|", stages[^1].SpearmanAbsolute, higherIsBetter: false);
                var (logit, _) = ModelRandomisation.RandomLogit(subset, subsetTargets, 10, explainer.Explain, seed: 1);
                report.Add(m, "random-logit SSIM", logit.Ssim, higherIsBetter: false);

                page.AddHeatmaps(m, images, e, maxSamples: 6, colormap: HeatmapColormap.Jet, captions: Enumerable.Range(0, 6).Select(i => $"#{i}: class {targets[i]}").ToArray());
                done.Add((m, explainer.Detail, timer.Elapsed.TotalSeconds));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {m}: explained in {explainSeconds:F1} s, all metrics in {timer.Elapsed.TotalSeconds:F1} s ({explainer.Detail})"));
            }
        }

        Console.WriteLine("  timings: " + string.Join(", ", Timings.Select(t => $"{t.Key} {t.Value:F1}")));
        Timings.Clear();
        var folder = Path.Combine(settings.Output, name);
        Directory.CreateDirectory(folder);
        ReportWriters.WriteCsv(report, Path.Combine(folder, "report.csv"));
        ReportWriters.WriteMarkdown(report, Path.Combine(folder, "report.md"), $"Evaluation of {name}");
        page.Save(Path.Combine(folder, "report.html"));
        return new ModelSummary(name, report, accuracy, done, notApplicable, clock.Elapsed.TotalSeconds, scorer.ForwardPasses);
    }
}

internal static class Summary
{
    public static string Markdown(IReadOnlyList<ModelSummary> models, Settings settings, TimeSpan elapsed)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.Append("# Evaluation report: fixture models × methods × metrics\n\n");
        text.Append(c, $"Written by `samples/EvaluationReport` (`dotnet run -c Release --project samples/EvaluationReport`), which evaluates the four bundled Fashion-MNIST fixture models with six explanation methods on the first {settings.Images} images of the bundled test sample, and writes per model `report.csv`, `report.md` and `report.html` (summary, curves, heatmap overlays) to `out/evaluation-report/<model>/`. ");
        text.Append(c, $"This run took {elapsed.TotalMinutes:F1} min on {Environment.ProcessorCount} cores.\n\n");
        text.Append("Every metric is explained for the model's predicted class; each cell is the mean over images ± the half-width of the 95 % t-interval, with n in brackets; ↑ higher is better, ↓ lower is better.\n\n");
        text.Append("## Settings\n\n");
        text.Append("- Images: normalised as the models expect, `(p/255 − 0.2860)/0.3530`; the zero baseline is therefore the dataset-mean image. Object masks for localisation: pixels brighter than the background (`ObjectMasks.BrighterThanBackground`, 5 % of the range).\n");
        text.Append(c, $"- Methods: Grad-CAM, Grad-CAM++ and Score-CAM at the automatic target layer (for DeiT, the automatic token layer: the last block's `norm1`); CAM maps are spread over the input channel. Guided Grad-CAM; integrated gradients ({Settings.IntegratedGradientsSteps} Gauss–Legendre steps, zero baseline); LRP with Zennit's EpsilonPlus composite (for DeiT, see below).\n");
        text.Append(c, $"- Deletion/insertion: {Settings.CurveSteps} steps, zero baseline, softmax probability. Pixel flipping (MoRF/LeRF AOPC): {Settings.FlipSteps} steps, uniform-noise baseline, logit. ROAD: 10–90 % in steps of 10 %, noisy linear imputation, probability.\n");
        text.Append(c, $"- Reduced budgets, to keep the run under 10 minutes on 2 cores: faithfulness correlation {Settings.CorrelationRuns} random subsets of 10 % of the pixels per image (default 50); infidelity {Settings.InfidelitySamples} Gaussian perturbations (σ = 0.1, default 50; relative perturbations for the additive methods); max-sensitivity on the first {Settings.SensitivityImages} images with {Settings.SensitivitySamples} perturbations in the L∞ ball of radius 0.05, normalised by ‖Φ(x)‖ (default 10); model randomisation on the first {Settings.RandomisationImages} images, cascading from the top layer with {Settings.RandomisationStages} reported stages — the table shows the last one, every Conv/Gemm/MatMul layer re-initialised; random-logit test on the same {Settings.RandomisationImages} images; integrated gradients with {Settings.IntegratedGradientsSteps} steps (default 50).\n");
        text.Append("- Completeness (relative error |Σa − (f(x) − f(0))| / |f(x) − f(0)|, logit) applies to the additive methods only (integrated gradients, LRP); CAM maps and Guided Grad-CAM do not claim to sum to the output. Integrated gradients satisfies it up to the quadrature error; LRP conserves the relevance of f(x) itself, less what the biases absorb (ε-rule layers), not f(x) − f(0), so a large relative error is expected there and is no fault of the implementation.\n");
        text.Append("- Randomisation rows: similarity (SSIM of the min–max scaled |saliency| maps, Spearman of |values|) between the explanation of the trained model and of the fully randomised one, or of the predicted class and a random other class; a method that passes Adebayo et al.'s sanity check shows low similarity.\n");
        text.Append("- The HTML pages hold the deletion and insertion curves and heatmap overlays of the first six images per method.\n\n");
        text.Append("## Headline\n\n");
        var headline = new[] { "deletion AUC", "insertion AUC", "faithfulness correlation", "pointing game", "relevance mass accuracy", "randomised model SSIM" };
        foreach (var model in models)
        {
            var best = headline.Select(metric =>
            {
                var candidates = model.Report.Methods.Where(m => model.Report.Contains(m, metric)).ToArray();
                bool higher = model.Report.HigherIsBetter(metric) ?? true;
                var winner = higher ? candidates.MaxBy(m => model.Report.Summary(m, metric).Mean) : candidates.MinBy(m => model.Report.Summary(m, metric).Mean);
                return string.Create(c, $"{metric} {winner} ({EvaluationReport.Format(model.Report.Summary(winner!, metric).Mean)})");
            });
            text.Append(c, $"- **{model.Model}** (accuracy on these images {model.Accuracy:P0}): best {string.Join("; ", best)}.\n");
        }

        foreach (var model in models)
        {
            text.Append(c, $"\n## {model.Model}\n\n");
            text.Append(c, $"Accuracy on these images {model.Accuracy:P0}; {model.ForwardPasses:N0} forward passes for the metrics; {model.Seconds:F0} s.\n\n");
            foreach (var (method, detail, seconds) in model.Methods)
            {
                text.Append(c, $"- {method}: {detail}; {seconds:F1} s with all metrics.\n");
            }

            foreach (var (method, reason) in model.NotApplicable)
            {
                text.Append(c, $"- {method}: not applicable — {reason}.\n");
            }

            var markdown = ReportWriters.ToMarkdown(model.Report, model.Model);
            var wide = markdown.Split("\n## All statistics")[0];
            var table = wide[wide.IndexOf("| Method |", StringComparison.Ordinal)..].TrimEnd();
            text.Append('\n').Append(Transpose(table)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Turns the wide methods × metrics table into metrics × methods (fewer, readable columns).</summary>
    private static string Transpose(string table)
    {
        var rows = table.Split('\n').Where(l => !l.StartsWith("|---", StringComparison.Ordinal))
            .Select(l => System.Text.RegularExpressions.Regex.Split(l.Trim().Trim('|'), @"(?<!\\)\|").Select(cell => cell.Trim()).ToArray())
            .ToArray();
        var text = new StringBuilder();
        int columns = rows[0].Length;
        for (int j = 0; j < columns; j++)
        {
            text.Append("| ").AppendJoin(" | ", rows.Select(r => j == 0 && r == rows[0] ? "Metric" : r[j])).Append(" |\n");
            if (j == 0)
            {
                text.Append('|').Append(string.Concat(rows.Select(_ => "---|"))).Append('\n');
            }
        }

        return text.ToString();
    }
}
