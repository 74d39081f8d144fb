using System.CommandLine;
using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Targets;

namespace Microsoft.ML.Explainability.Cli.Commands;

/// <summary>Options several commands share, and their parsing.</summary>
internal sealed class CommonOptions
{
    /// <summary>Largest <c>--steps</c>: integrated gradients' Gauss–Legendre set-up grows as steps².</summary>
    public const int MaxSteps = IntegratedGradientsOptions.DefaultMaxSteps;

    /// <summary>Largest <c>--samples</c> (SmoothGrad noisy copies per row).</summary>
    public const int MaxSamples = 10_000;

    /// <summary>Largest <c>--masks</c> (RISE forward passes per row).</summary>
    public const int MaxMasks = 1_000_000;

    /// <summary>Largest <c>--batch-size</c> (rows per ONNX Runtime call, each holding forward and backward activations).</summary>
    public const int MaxBatchSize = 4096;

    public Option<string> Model { get; } = new("--model", "-m") { Description = "The ONNX model (.onnx)." };

    public Option<string[]> Input { get; } = new("--input", "-i")
    {
        Description = "The explained input: a float32 .npy batch (N×C×H×W), an image file, or a folder of images. explain: repeat as --input NAME=FILE.npy to feed a multi-input model's other inputs (a float32 or int64 .npy with one row per row of the batch), held fixed.",
    };

    public Option<string> ExplainedInput { get; } = new("--explained-input") { Description = "Multi-input models: the (float) input explained; default the only float image input [N, C, H, W]." };

    public Option<string> AblationFill { get; } = new("--ablation-fill") { Description = "Ablation-CAM: the value of an ablated channel: pytorch-grad-cam (0, or the layer minimum - 1e7 on layers with negative values; the default) or zero (the paper)." };

    /// <summary>Guided Grad-CAM's convention; added by the commands whose own options do not already use the name (explain, compile).</summary>
    public Option<string> Convention { get; } = new("--convention") { Description = "guided-grad-cam: pytorch-grad-cam (the normalised bilinear Grad-CAM map; the default) or captum (Captum's raw ReLU'd layer map, nearest-neighbour upsampling)." };

    public Option<string> Targets { get; } = new("--targets") { Description = "A .npy of int64 class indices, one per row; without it, the predicted class (−1 in the file also means predicted)." };

    public Option<long?> Target { get; } = new("--target") { Description = "One class index for every row." };

    public Option<string> Size { get; } = new("--size") { Description = "Images: resize to H, HxW or H,W (default: the model input's size)." };

    public Option<string> Mean { get; } = new("--mean") { Description = "Images: per-channel mean subtracted after scaling pixels to [0, 1] (one value or one per channel; default 0)." };

    public Option<string> Std { get; } = new("--std") { Description = "Images: per-channel standard deviation divided by (default 1)." };

    public Option<bool> Grayscale { get; } = new("--grayscale") { Description = "Images: convert to grey (automatic for 1-channel models)." };

    public Option<string[]> Layer { get; } = new("--layer", "-l") { Description = "CAM target layer (a tensor name; see `layers`); repeat it for several layers, whose maps are combined (mean, or product for refine-cam); default: the automatic choice." };

    public Option<bool> EigenSmooth { get; } = new("--eigen-smooth") { Description = "CAM: pytorch-grad-cam's eigen_smooth — the first principal component of the weighted activations instead of their sum over channels." };

    public Option<bool> AugSmooth { get; } = new("--aug-smooth") { Description = "CAM: pytorch-grad-cam's aug_smooth — the mean map over horizontal flips × input multiplied by 0.9, 1, 1.1." };

    public Option<string> Layout { get; } = new("--layout") { Description = "CAM target layer's layout: nchw ([N, C, h, w]), nhwc ([N, h, w, C]) or tokens ([N, T, C]); default: inferred from the graph (see `layers`)." };

    public Option<int> Steps { get; } = new("--steps") { Description = $"Integrated gradients: quadrature points (1–{MaxSteps}).", DefaultValueFactory = _ => 50 };

    public Option<string> Baseline { get; } = new("--baseline") { Description = "Integrated gradients: 'zero' (default), a number, or a .npy of one row or N rows." };

    public Option<int> Samples { get; } = new("--samples") { Description = $"SmoothGrad: noisy samples per row (1–{MaxSamples}).", DefaultValueFactory = _ => 50 };

    public Option<double> Noise { get; } = new("--noise") { Description = "SmoothGrad: noise level as a fraction of each row's value range.", DefaultValueFactory = _ => 0.15 };

    public Option<int> Seed { get; } = new("--seed") { Description = "Random seed (SmoothGrad noise, evaluation subsets).", DefaultValueFactory = _ => 0 };

    public Option<string> Composite { get; } = new("--composite") { Description = $"LRP composite: {string.Join(", ", Lrp.Composites.LrpComposites.All.Select(c => c.Name))} (default {Lrp.Composites.LrpComposites.EpsilonPlus.Name}).", DefaultValueFactory = _ => Lrp.Composites.LrpComposites.EpsilonPlus.Name };

    public Option<string> Low { get; } = new("--low") { Description = "LRP epsilon-gamma-box: lowest input value (one, or one per channel; default: the batch minimum)." };

    public Option<string> High { get; } = new("--high") { Description = "LRP epsilon-gamma-box: highest input value (one, or one per channel; default: the batch maximum)." };

    public Option<string> Window { get; } = new("--window") { Description = "Occlusion: window size (H or HxW)." };

    public Option<string> Stride { get; } = new("--stride") { Description = "Occlusion: stride (H or HxW)." };

    public Option<int> Masks { get; } = new("--masks") { Description = $"RISE: random masks (1–{MaxMasks}).", DefaultValueFactory = _ => 4000 };

    public Option<string> TargetKind { get; } = new("--target-kind") { Description = "What is explained: " + string.Join("; ", ExplanationTargets.All.Select(k => $"{k.Name} ({k.Summary})")) + $" (default {ExplanationTargets.ClassLogit.Name}). --target/--targets choose the class column." };

    public Option<string> Mask { get; } = new("--mask") { Description = "--target-kind segmentation: a float32 .npy pixel mask [H, W] of the output's spatial size." };

    public Option<string[]> Box { get; } = new("--box") { Description = "--target-kind detector-boxes: a reference box x1,y1,x2,y2 (repeat for several; each with a --box-label).", AllowMultipleArgumentsPerToken = false };

    public Option<long[]> BoxLabel { get; } = new("--box-label") { Description = "--target-kind detector-boxes: the label of each --box, in order." };

    public Option<double> IouThreshold { get; } = new("--iou-threshold") { Description = "--target-kind detector-boxes: the IoU a detection must exceed to match a box.", DefaultValueFactory = _ => 0.5 };

    public Option<string> DetectorOutputs { get; } = new("--detector-outputs") { Description = "--target-kind detector-boxes: the names of the boxes, scores and labels outputs.", DefaultValueFactory = _ => "boxes,scores,labels" };

    public Option<string> Concept { get; } = new("--concept") { Description = "--target-kind similarity: a float32 .npy concept vector (the embedding's length)." };

    public Option<double> Alpha { get; } = new("--alpha") { Description = "--target-kind finer: α, the weight of the compared classes.", DefaultValueFactory = _ => 1.0 };

    public Option<int> Comparisons { get; } = new("--comparisons") { Description = "--target-kind finer: how many of the most similar classes are compared.", DefaultValueFactory = _ => 3 };

    /// <summary>The options of <see cref="ParseTarget"/>, added with the method options.</summary>
    public IReadOnlyList<Option> TargetOptions => [TargetKind, Mask, Box, BoxLabel, IouThreshold, DetectorOutputs, Concept, Alpha, Comparisons];

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = $"Rows per ONNX Runtime call (1–{MaxBatchSize}).", DefaultValueFactory = _ => 32 };

    public Option<long> MaxPixels { get; } = new("--max-pixels") { Description = $"Images: the largest width × height read or resized to (checked from the file's header before decoding; default {Inputs.ImageOptions.DefaultMaxPixels}).", DefaultValueFactory = _ => Inputs.ImageOptions.DefaultMaxPixels };

    public void AddInputOptions(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Input);
        command.Options.Add(Targets);
        command.Options.Add(Target);
        command.Options.Add(Size);
        command.Options.Add(Mean);
        command.Options.Add(Std);
        command.Options.Add(Grayscale);
        command.Options.Add(MaxPixels);
    }

    /// <param name="command">The command.</param>
    /// <param name="withTargets">Whether the command takes <c>--target-kind</c> and its parameters (evaluate does not: its metrics score the class output).</param>
    public void AddMethodOptions(Command command, bool withTargets = true)
    {
        foreach (var option in new Option[] { Layer, Layout, EigenSmooth, AugSmooth, Steps, Baseline, Samples, Noise, Seed, Composite, Low, High, Window, Stride, Masks, BatchSize, AblationFill }.Concat(withTargets ? TargetOptions : []))
        {
            command.Options.Add(option);
        }
    }

    public ImageOptions ImageOptions(ParseResult result)
    {
        long maxPixels = result.GetValue(MaxPixels);
        if (maxPixels < 1)
        {
            throw new CliException(ExitCodes.Usage, "--max-pixels must be positive.");
        }

        return new()
        {
            Size = Inputs.ImageOptions.ParseSize(result.GetValue(Size), "--size", maxPixels),
            Mean = Inputs.ImageOptions.ParseFloats(result.GetValue(Mean), "--mean") ?? [0f],
            Std = Inputs.ImageOptions.ParseFloats(result.GetValue(Std), "--std") ?? [1f],
            Grayscale = result.GetValue(Grayscale),
            MaxPixels = maxPixels,
        };
    }

    public MethodOptions MethodOptions(ParseResult result, CancellationToken cancellation, bool raw = false, bool withTargets = true)
    {
        int steps = result.GetValue(Steps), samples = result.GetValue(Samples), batch = result.GetValue(BatchSize), masks = result.GetValue(Masks);
        double noise = result.GetValue(Noise);
        RequireRange(steps, MaxSteps, "--steps", "integrated gradients' Gauss–Legendre set-up grows as steps²");
        RequireRange(samples, MaxSamples, "--samples", "one noisy copy of each row per sample");
        RequireRange(masks, MaxMasks, "--masks", "one masked forward pass per mask and row");
        RequireRange(batch, MaxBatchSize, "--batch-size", "each row of a call holds its forward and backward activations");
        if (!(noise >= 0) || double.IsInfinity(noise))
        {
            throw new CliException(ExitCodes.Usage, "--noise must be finite and non-negative.");
        }

        return new MethodOptions
        {
            Layers = result.GetValue(Layer) ?? [],
            Layout = ParseLayout(result),
            EigenSmooth = result.GetValue(EigenSmooth),
            AugSmooth = result.GetValue(AugSmooth),
            Raw = raw,
            Steps = steps,
            Baseline = result.GetValue(Baseline),
            Samples = samples,
            Noise = noise,
            Seed = result.GetValue(Seed),
            Composite = result.GetValue(Composite) ?? Lrp.Composites.LrpComposites.EpsilonPlus.Name,
            Low = Inputs.ImageOptions.ParseFloats(result.GetValue(Low), "--low"),
            High = Inputs.ImageOptions.ParseFloats(result.GetValue(High), "--high"),
            Window = result.GetValue(Window),
            Stride = result.GetValue(Stride),
            Masks = masks,
            BatchSize = batch,
            AblationFill = ParseAblationFill(result.GetValue(AblationFill)),
            Target = withTargets ? ParseTarget(result) : null,
            Cancellation = cancellation,
        };
    }

    /// <summary><c>--ablation-fill</c>: null when not given.</summary>
    public static Cam.AblationFill? ParseAblationFill(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "pytorch-grad-cam" => Cam.AblationFill.PyTorchGradCam,
        "zero" => Cam.AblationFill.Zero,
        _ => throw new CliException(ExitCodes.Usage, $"--ablation-fill '{text}' is not a fill: use pytorch-grad-cam or zero."),
    };

    /// <summary><c>--convention</c> of Guided Grad-CAM: null when not given.</summary>
    public static Cam.GuidedGradCamConvention? ParseConvention(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "pytorch-grad-cam" => Cam.GuidedGradCamConvention.PyTorchGradCam,
        "captum" => Cam.GuidedGradCamConvention.Captum,
        _ => throw new CliException(ExitCodes.Usage, $"--convention '{text}' is not a Guided Grad-CAM convention: use pytorch-grad-cam or captum."),
    };

    /// <summary>
    /// The single <c>--input</c> of a command that explains single-input models only (evaluate, ablate): a
    /// <c>NAME=FILE</c> form, or a second value, is refused.
    /// </summary>
    public string SingleInput(ParseResult result, string what)
    {
        var values = result.GetValue(Input) ?? [];
        if (values.Length == 0 || string.IsNullOrWhiteSpace(values[0]))
        {
            throw new CliException(ExitCodes.Usage, $"{Input.Name} is required: {what}.");
        }

        if (values.Length > 1)
        {
            throw new CliException(ExitCodes.Usage, $"{Input.Name} was given {values.Length} times; this command explains single-input models (use `explain --input NAME=FILE.npy` for the other inputs of a multi-input model).");
        }

        return values[0];
    }

    /// <summary>
    /// Splits the <c>--input</c> values against <paramref name="model"/>'s inputs: <c>NAME=FILE</c> where NAME is one of
    /// the model's other inputs feeds that input (the explained input's own name is accepted too); the plain value is the
    /// explained input. Each other input must be given once.
    /// </summary>
    public (string Explained, IReadOnlyDictionary<string, string> Others) SplitInputs(ParseResult result, ModelFile model, string what)
    {
        string? explained = null;
        var others = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in result.GetValue(Input) ?? [])
        {
            int equals = value.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? value[..equals] : null;
            if (name is not null && model.OtherInputs.ContainsKey(name))
            {
                if (!others.TryAdd(name, value[(equals + 1)..]))
                {
                    throw new CliException(ExitCodes.Usage, $"--input {name}=… was given twice.");
                }

                continue;
            }

            var path = name == model.Input ? value[(equals + 1)..] : value;
            if (explained is not null)
            {
                throw new CliException(ExitCodes.Usage, $"--input was given two values for the explained input '{model.Input}' ('{explained}' and '{path}'); the model's other inputs are fed as --input NAME=FILE.npy with NAME one of: {string.Join(", ", model.OtherInputs.Keys)}.");
            }

            explained = path;
        }

        if (string.IsNullOrWhiteSpace(explained))
        {
            throw new CliException(ExitCodes.Usage, $"{Input.Name} is required: {what}.");
        }

        var missing = model.OtherInputs.Keys.Where(k => !others.ContainsKey(k)).ToArray();
        if (missing.Length > 0)
        {
            throw new CliException(ExitCodes.Usage, $"The model explains '{model.Input}' with its other inputs held fixed; feed them: {string.Join(" ", missing.Select(m => $"--input {m}=FILE.npy ({model.OtherInputs[m]})"))}.");
        }

        return (explained, others);
    }

    /// <summary>
    /// The target of <c>--target-kind</c> and the files and values it needs (null: the class logit). The kinds and
    /// what each needs come from <see cref="ExplanationTargets"/>.
    /// </summary>
    public ExplanationTarget? ParseTarget(ParseResult result)
    {
        if (result.GetValue(TargetKind) is not { Length: > 0 } name)
        {
            return null;
        }

        var kind = ExplanationTargets.All.FirstOrDefault(k => string.Equals(k.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new CliException(ExitCodes.Usage, $"--target-kind '{name}' is not a target kind. Kinds: {string.Join(", ", ExplanationTargets.All.Select(k => k.Name))}.");
        var boxes = result.GetValue(Box) ?? [];
        var labels = result.GetValue(BoxLabel) ?? [];
        if (boxes.Length != labels.Length)
        {
            throw new CliException(ExitCodes.Usage, string.Create(CultureInfo.InvariantCulture, $"{boxes.Length} --box and {labels.Length} --box-label were given; give one label per box."));
        }

        var outputs = (result.GetValue(DetectorOutputs) ?? "boxes,scores,labels").Split(',', StringSplitOptions.TrimEntries);
        if (outputs.Length != 3 || outputs.Any(o => o.Length == 0))
        {
            throw new CliException(ExitCodes.Usage, "--detector-outputs takes three output names: boxes,scores,labels.");
        }

        return kind.Create(new TargetSettings
        {
            Mask = result.GetValue(Mask) is { Length: > 0 } mask ? IO.Npy.ReadFloats(mask, expectedRank: 2) : null,
            Concept = result.GetValue(Concept) is { Length: > 0 } concept ? IO.Npy.ReadFloats(concept).Data : null,
            Boxes = boxes.Select((b, i) => ParseBox(b, labels[i])).ToArray(),
            IouThreshold = result.GetValue(IouThreshold),
            DetectorOutputs = (outputs[0], outputs[1], outputs[2]),
            Alpha = result.GetValue(Alpha),
            Comparisons = result.GetValue(Comparisons),
        });
    }

    private static ReferenceBox ParseBox(string text, long label)
    {
        var values = Inputs.ImageOptions.ParseFloats(text, "--box");
        return values is { Count: 4 }
            ? new ReferenceBox(values[0], values[1], values[2], values[3], label)
            : throw new CliException(ExitCodes.Usage, $"--box '{text}' is not x1,y1,x2,y2.");
    }

    /// <summary>The one <c>--layer</c> of a command that takes a single target layer, or null when it is not given.</summary>
    public string? SingleLayer(ParseResult result, string command) =>
        result.GetValue(Layer) switch
        {
            null or [] => null,
            [var one] => one,
            var several => throw new CliException(ExitCodes.Usage, $"'{command}' takes one --layer; {several.Length} were given ({string.Join(", ", several)})."),
        };

    /// <summary>The layout of <c>--layout</c>, or null when it is not given.</summary>
    public LayerLayout? ParseLayout(ParseResult result)
    {
        if (result.GetValue(Layout) is not { Length: > 0 } text)
        {
            return null;
        }

        try
        {
            return LayoutNames.Parse(text);
        }
        catch (ArgumentException)
        {
            throw new CliException(ExitCodes.Usage, $"--layout '{text}' is not a layout: use nchw, nhwc or tokens.");
        }
    }

    /// <summary>Refuses a count outside 1…<paramref name="max"/> at once, before any work that would grow with it.</summary>
    public static void RequireRange(int value, int max, string option, string why)
    {
        if (value < 1 || value > max)
        {
            throw new CliException(ExitCodes.Usage, string.Create(CultureInfo.InvariantCulture, $"{option} {value} is outside 1–{max} ({why})."));
        }
    }

    /// <summary>The targets of <c>--targets</c> or <c>--target</c> (null: the predicted class of every row).</summary>
    public long[]? ReadTargets(ParseResult result, int rows)
    {
        var file = result.GetValue(Targets);
        var single = result.GetValue(Target);
        if (file is not null && single is not null)
        {
            throw new CliException(ExitCodes.Usage, "Give --targets FILE.npy or --target K, not both.");
        }

        if (single is { } k)
        {
            if (k < -1)
            {
                throw new CliException(ExitCodes.Usage, string.Create(CultureInfo.InvariantCulture, $"--target {k} is not a class index (0 or more; −1 for the predicted class)."));
            }

            return Enumerable.Repeat(k, rows).ToArray();
        }

        return file is null ? null : InputLoader.ReadTargets(file, rows);
    }

    public static string Required(ParseResult result, Option<string> option, string what) =>
        result.GetValue(option) is { Length: > 0 } value ? value : throw new CliException(ExitCodes.Usage, $"{option.Name} is required: {what}.");
}
