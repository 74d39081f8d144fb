using System.CommandLine;
using System.Globalization;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Explainers;

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

    public Option<string> Input { get; } = new("--input", "-i") { Description = "A float32 .npy batch (N×C×H×W), an image file, or a folder of images." };

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

    public void AddMethodOptions(Command command)
    {
        foreach (var option in new Option[] { Layer, Layout, EigenSmooth, AugSmooth, Steps, Baseline, Samples, Noise, Seed, Composite, Low, High, Window, Stride, Masks, BatchSize })
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

    public MethodOptions MethodOptions(ParseResult result, CancellationToken cancellation, bool raw = false)
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
            Cancellation = cancellation,
        };
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
