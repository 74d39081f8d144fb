using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Explainers;

namespace Microsoft.ML.Explainability.Cli.Commands;

/// <summary>
/// <c>explain --model M.onnx --input X --method NAME --output OUT</c>. OUT ending in <c>.npy</c> receives the values as
/// float32: N×H×W for CAM and attention methods (post-processed, at input resolution; with <c>--raw</c> the N×h×w
/// layer-resolution map before ReLU and normalisation), N×C×H×W for input-attribution methods. Any other OUT is a
/// folder receiving <c>NAME.npy</c>, <c>targets.npy</c> (int64, the class explained per row) and one PNG overlay per row.
/// </summary>
internal static class ExplainCommand
{
    public static Command Create(TextWriter output, CancellationToken cancellation)
    {
        var options = new CommonOptions();
        var method = new Option<string>("--method") { Description = "The method (see `methods`)." };
        var outputOption = new Option<string>("--output", "-o") { Description = "OUT.npy, or a folder for PNG overlays plus the .npy." };
        var raw = new Option<bool>("--raw") { Description = "CAM, FullGrad and attention methods: the layer-resolution map before ReLU and normalisation (N×h×w)." };
        var command = new Command("explain", "Explain a batch with one method; write a .npy (exact layout: N×H×W maps or N×C×H×W attributions) or a folder of PNG overlays plus the .npy.");
        options.AddInputOptions(command);
        command.Options.Add(method);
        command.Options.Add(outputOption);
        command.Options.Add(raw);
        options.AddMethodOptions(command);
        command.Options.Add(options.ExplainedInput);
        command.Options.Add(options.Convention);
        command.SetAction(result =>
        {
            var chosen = Methods.Find(CommonOptions.Required(result, method, "one of " + string.Join(", ", Methods.All.Select(m => m.Name))));
            bool isRaw = result.GetValue(raw);
            if (isRaw && chosen.Layout != ExplanationLayout.Map)
            {
                throw new CliException(ExitCodes.Usage, $"--raw applies to methods with a layer-resolution map (CAM, FullGrad and attention methods); '{chosen.Name}' gives input attributions (N×C×H×W).");
            }

            var target = CommonOptions.Required(result, outputOption, "OUT.npy or an output folder");
            var model = ModelFile.Load(CommonOptions.Required(result, options.Model, "the path of an .onnx file"), result.GetValue(options.ExplainedInput));
            var (input, otherFiles) = options.SplitInputs(result, model, "a .npy batch, an image file or a folder of images");
            OutputFiles.RefuseInsideInput(target, input);
            var batch = InputLoader.Load(input, model, options.ImageOptions(result));
            var targets = options.ReadTargets(result, batch.Tensor.BatchSize);
            var methodOptions = options.MethodOptions(result, cancellation, isRaw);
            methodOptions = methodOptions with
            {
                GuidedGradCamConvention = CommonOptions.ParseConvention(result.GetValue(options.Convention)),
                ExplainedInput = model.Input,
                OtherInputs = InputLoader.ReadOtherInputs(otherFiles, model),
            };
            if (target.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            {
                var file = OutputFiles.PrepareFile(target);
                var values = Compute(model, batch, chosen, targets, methodOptions, output);
                OutputFiles.WriteNpy(file, values.Values);
                output.WriteLine($"wrote {file}");
                return ExitCodes.Success;
            }

            using var staged = StagedFolder.Create(target);
            var computed = Compute(model, batch, chosen, targets, methodOptions, output);
            var written = Write(batch, chosen, computed, methodOptions, staged.Staging);
            staged.Commit();
            output.WriteLine($"wrote {written} to {staged.Target}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Explains <paramref name="batch"/> (finite values only, see <see cref="Methods.Compute"/>) and prints what was done.</summary>
    public static MethodResult Compute(ModelFile model, InputBatch batch, ExplanationMethod method, long[]? targets, MethodOptions options, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        var result = Methods.Compute(method, model.Model, batch.Tensor, targets, options);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{method.Name}: {batch.Tensor.BatchSize} rows {batch.Tensor.ShapeText} -> {result.Values.ShapeText} in {clock.ElapsedMilliseconds} ms{(result.Detail is null ? "" : "; " + result.Detail)}"));
        return result;
    }

    /// <summary>Writes the values, the targets and one overlay PNG per row into <paramref name="folder"/> (created); returns a summary of what was written.</summary>
    public static string Write(InputBatch batch, ExplanationMethod method, MethodResult result, MethodOptions options, string folder)
    {
        OutputFiles.Guard(folder, () => Directory.CreateDirectory(folder));
        var npy = method.Name + (options.Raw ? ".raw" : "") + ".npy";
        OutputFiles.WriteNpy(Path.Combine(folder, npy), result.Values);
        if (result.Targets is { } resolved)
        {
            OutputFiles.WriteInt64(Path.Combine(folder, "targets.npy"), resolved);
        }

        int images = 0;
        for (int row = 0; row < batch.Tensor.BatchSize; row++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            var png = OutputFiles.OverlayPng(batch, result.Values, options.Raw ? ExplanationLayout.Map : method.Layout, row);
            if (png is null)
            {
                break;
            }

            OutputFiles.WriteBytes(Path.Combine(folder, $"{batch.Names[row]}.{method.Name}.png"), png);
            images++;
        }

        return $"{npy}{(images > 0 ? $" and {images} overlay PNGs" : "")}";
    }
}
