using System.CommandLine;
using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Compilation;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.Lrp;

namespace Microsoft.ML.Explainability.Cli.Commands;

/// <summary>
/// <c>compile --model M.onnx --method NAME [--layer T] --output E.onnx</c>: a standalone explaining model, written by the
/// core's <see cref="ExplanationCompiler"/>; which methods compile, and why the others do not, is read from <see cref="ExplanationMethods"/>.
/// </summary>
internal static class CompileCommand
{
    public static Command Create(TextWriter output, CancellationToken cancellation)
    {
        var options = new CommonOptions();
        var method = new Option<string>("--method") { Description = $"The method to compile: {string.Join(", ", ExplanationCompiler.Compilable.Select(m => m.Name))}." };
        var outputOption = new Option<string>("--output", "-o") { Description = "The compiled model (.onnx)." };
        var perChannel = new Option<bool>("--per-channel") { Description = "saliency: |gradient| per input element (N×C×H×W) instead of the maximum over channels (N×1×H×W)." };
        var requiredTargets = new Option<bool>("--required-targets") { Description = "Make 'targets' a required input (for onnxruntime-node/-web, which cannot override an optional input's default)." };
        var lrpSeed = new Option<string>("--lrp-seed") { Description = "lrp: the relevance put on the explained class: one-hot (1) or logit (its output value).", DefaultValueFactory = _ => "one-hot" };
        lrpSeed.AcceptOnlyFromAmong("one-hot", "logit");
        var command = new Command("compile", $"Compile an explanation into a standalone ONNX model: the original outputs plus '{ExplanationCompiler.ExplanationOutput}' and '{ExplanationCompiler.ClassOutput}', with an int64 input '{ExplanationCompiler.TargetsInput}'. Runs in any ONNX runtime without this library.");
        command.Options.Add(options.Model);
        command.Options.Add(method);
        command.Options.Add(options.Layer);
        command.Options.Add(options.Layout);
        command.Options.Add(options.EigenSmooth);
        command.Options.Add(options.AugSmooth);
        command.Options.Add(outputOption);
        command.Options.Add(perChannel);
        command.Options.Add(requiredTargets);
        command.Options.Add(options.Steps);
        command.Options.Add(options.Samples);
        command.Options.Add(options.Noise);
        command.Options.Add(options.Seed);
        command.Options.Add(options.Composite);
        command.Options.Add(options.Low);
        command.Options.Add(options.High);
        command.Options.Add(lrpSeed);
        command.Options.Add(options.ExplainedInput);
        command.Options.Add(options.Convention);
        foreach (var option in options.TargetOptions)
        {
            command.Options.Add(option);
        }
        command.SetAction(result =>
        {
            var name = CommonOptions.Required(result, method, "the method to compile");
            var chosen = ExplanationMethods.TryFind(name)
                ?? throw new CliException(ExitCodes.Usage, $"Unknown method '{name}'. Methods that compile: {string.Join(", ", ExplanationCompiler.Compilable.Select(m => m.Name))}.");
            if (!chosen.Compiles)
            {
                throw new CliException(ExitCodes.NotAvailable, $"Method '{chosen.Name}' cannot be compiled to ONNX: {chosen.NotCompilableReason}. Methods that compile: {string.Join(", ", ExplanationCompiler.Compilable.Select(m => m.Name))}.");
            }

            var target = CommonOptions.Required(result, outputOption, "the path of the compiled .onnx file");
            var model = ModelFile.Load(CommonOptions.Required(result, options.Model, "the path of an .onnx file"), result.GetValue(options.ExplainedInput));
            var path = OutputFiles.PrepareFile(target);
            var low = ImageOptions.ParseFloats(result.GetValue(options.Low), "--low");
            var high = ImageOptions.ParseFloats(result.GetValue(options.High), "--high");
            var settings = new MethodSettings
            {
                TargetLayers = result.GetValue(options.Layer),
                EigenSmooth = result.GetValue(options.EigenSmooth) ? true : null,
                AugSmooth = result.GetValue(options.AugSmooth) ? true : null,
                Layout = options.ParseLayout(result),
                ExplainedInput = model.Input,
                GuidedGradCamConvention = CommonOptions.ParseConvention(result.GetValue(options.Convention)),
                Steps = result.GetValue(options.Steps),
                Samples = result.GetValue(options.Samples),
                NoiseLevel = result.GetValue(options.Noise),
                Seed = result.GetValue(options.Seed),
                Composite = result.GetValue(options.Composite),
                Low = low?.Select(v => (double)v).ToArray(),
                High = high?.Select(v => (double)v).ToArray(),
                LrpSeed = result.GetValue(lrpSeed) == "logit" ? LrpSeed.Logit : LrpSeed.OneHot,
                Target = options.ParseTarget(result),
            };
            CompiledExplanation compiled;
            try
            {
                compiled = ExplanationCompiler.Compile(model.Model, chosen, settings, new CompileOptions
                {
                    RequiredTargets = result.GetValue(requiredTargets),
                    ReduceChannels = chosen == ExplanationMethods.Saliency && !result.GetValue(perChannel),
                });
            }
            catch (ArgumentException e) when (e is not ArgumentNullException)
            {
                throw new CliException(ExitCodes.Usage, e.Message);
            }

            cancellation.ThrowIfCancellationRequested();
            OutputFiles.WriteAtomically(path, compiled.Model.Save);
            output.WriteLine($"compiled {compiled.Method.Name} ({compiled.Detail}) into {path}");
            output.WriteLine($"  inputs: {string.Join(", ", compiled.Model.InputNames)}{(compiled.Model.InputNames.Contains(ExplanationCompiler.TargetsInput) ? "" : $" (+ optional int64 '{ExplanationCompiler.TargetsInput}' [N], -1 = predicted class)")}");
            output.WriteLine($"  outputs: {string.Join(", ", compiled.Model.OutputNames)}; '{ExplanationCompiler.ExplanationOutput}' is {compiled.ExplanationShape}");
            return ExitCodes.Success;
        });
        return command;
    }
}
