using System.CommandLine;

namespace Microsoft.ML.Explainability.Cli.Commands;

/// <summary>
/// <c>ablate --model M.onnx --input X --method grad-cam --report DIR</c>: the ablation study of the evaluation harness.
/// This version of the library has no ablation study, so the command checks its arguments and then reports that it is
/// not available (exit code <see cref="ExitCodes.NotAvailable"/>) instead of producing a substitute.
/// </summary>
internal static class AblateCommand
{
    public static Command Create(TextWriter output)
    {
        var options = new CommonOptions();
        var method = new Option<string>("--method") { Description = "The method whose components are ablated (e.g. grad-cam)." };
        var report = new Option<string>("--report") { Description = "Output folder of the report." };
        var command = new Command("ablate", "Run the evaluation harness's ablation study of a method (not available in this version of the library).");
        options.AddInputOptions(command);
        command.Options.Add(method);
        command.Options.Add(report);
        command.SetAction(result => Unavailable(Methods.Find(CommonOptions.Required(result, method, "the method to ablate"))));
        _ = output;
        return command;
    }

    private static int Unavailable(ExplanationMethod chosen) =>
        throw new CliException(ExitCodes.NotAvailable, $"The ablation study (for '{chosen.Name}') is not available: this version of Microsoft.ML.Explainability's evaluation harness has no ablation study yet. Use `evaluate` to compare methods and settings.");
}
