using System.CommandLine;
using Microsoft.ML.Explainability.Cli.Compile;
using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Lrp;

namespace Microsoft.ML.Explainability.Cli.Commands;

/// <summary><c>compile --model M.onnx --method NAME [--layer T] --output E.onnx</c>: a standalone explaining model (see <see cref="ExplanationCompiler"/>).</summary>
internal static class CompileCommand
{
    public static Command Create(TextWriter output, CancellationToken cancellation)
    {
        var options = new CommonOptions();
        var method = new Option<string>("--method") { Description = "grad-cam, hires-cam, grad-cam-plus-plus, xgrad-cam, layer-cam, grad-cam-element-wise, saliency, gradient, input-x-gradient, guided-backprop, deconvnet or lrp." };
        var outputOption = new Option<string>("--output", "-o") { Description = "The compiled model (.onnx)." };
        var perChannel = new Option<bool>("--per-channel") { Description = "saliency: |gradient| per channel (N×C×H×W) instead of the maximum over channels (N×H×W)." };
        var requiredTargets = new Option<bool>("--required-targets") { Description = "Make 'targets' a required input (for onnxruntime-node/-web, which cannot override an optional input's default)." };
        var lrpSeed = new Option<string>("--lrp-seed") { Description = "lrp: the relevance put on the explained class: one-hot (1) or logit (its output value).", DefaultValueFactory = _ => "one-hot" };
        lrpSeed.AcceptOnlyFromAmong("one-hot", "logit");
        var command = new Command("compile", "Compile an explanation into a standalone ONNX model: the original outputs plus 'saliency' and 'explained_class', with an optional int64 input 'targets'. Runs in any ONNX runtime without this library.");
        command.Options.Add(options.Model);
        command.Options.Add(method);
        command.Options.Add(options.Layer);
        command.Options.Add(options.Layout);
        command.Options.Add(outputOption);
        command.Options.Add(perChannel);
        command.Options.Add(requiredTargets);
        command.Options.Add(options.Composite);
        command.Options.Add(options.Low);
        command.Options.Add(options.High);
        command.Options.Add(lrpSeed);
        command.SetAction(result =>
        {
            var name = Methods.Find(CommonOptions.Required(result, method, "the method to compile")).Name;
            var target = CommonOptions.Required(result, outputOption, "the path of the compiled .onnx file");
            var model = ModelFile.Load(CommonOptions.Required(result, options.Model, "the path of an .onnx file"));
            var path = OutputFiles.PrepareFile(target);
            var compiled = ExplanationCompiler.Compile(model.Model, name, new CompileOptions
            {
                Layer = result.GetValue(options.Layer),
                Layout = options.ParseLayout(result),
                PerChannel = result.GetValue(perChannel),
                RequiredTargets = result.GetValue(requiredTargets),
                LrpSeed = result.GetValue(lrpSeed) == "logit" ? LrpSeed.Logit : LrpSeed.OneHot,
                Lrp = new MethodOptions
                {
                    Composite = result.GetValue(options.Composite) ?? "epsilon-plus",
                    Low = ImageOptions.ParseFloats(result.GetValue(options.Low), "--low"),
                    High = ImageOptions.ParseFloats(result.GetValue(options.High), "--high"),
                },
            });
            cancellation.ThrowIfCancellationRequested();
            OutputFiles.WriteAtomically(path, compiled.Model.Save);
            output.WriteLine($"compiled {compiled.Method} ({compiled.Detail}) into {path}");
            output.WriteLine($"  inputs: {string.Join(", ", compiled.Model.InputNames)} {(compiled.Model.InputNames.Contains(ExplanationCompiler.TargetsInput) ? "" : $" (+ optional int64 '{ExplanationCompiler.TargetsInput}' [N], -1 = predicted class)")}");
            output.WriteLine($"  outputs: {string.Join(", ", compiled.Model.OutputNames)}; '{ExplanationCompiler.SaliencyOutput}' is {compiled.SaliencyShape}");
            return ExitCodes.Success;
        });
        return command;
    }
}
