using System.CommandLine;
using Microsoft.ML.Explainability.Attribution;
using Microsoft.ML.Explainability.Cli.Commands;
using Microsoft.ML.Explainability.Cli.Inputs;
using Microsoft.ML.Explainability.Evaluation;
using Microsoft.ML.Explainability.Explainers;
using Microsoft.ML.Explainability.IO;
using Microsoft.ML.Explainability.Lrp;
using Microsoft.ML.Explainability.VisionTransformers;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>
/// The <c>onnx-xai</c> command line: <c>layers</c>, <c>explain</c>, <c>evaluate</c>, <c>ablate</c>, <c>compile</c> and
/// <c>quickstart</c>. Every failure is reported as one "error: …" line on the error writer with a non-zero exit code
/// (<see cref="ExitCodes"/>); set the environment variable <c>ONNX_XAI_DEBUG=1</c> to also print the stack trace.
/// </summary>
public static class CliApp
{
    /// <summary>Runs the tool in process.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="output">Where results and progress go.</param>
    /// <param name="error">Where errors go.</param>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error) => Run(args, output, error, CancellationToken.None);

    /// <summary>
    /// Runs the tool in process; <paramref name="cancellationToken"/> (Ctrl+C in <c>Program</c>) stops a command: the
    /// token reaches every long-running call that takes one (explanation methods through
    /// <see cref="MethodOptions.Cancellation"/>, evaluation metrics, the ablation study), nothing is written, and the
    /// exit code is <see cref="ExitCodes.Cancelled"/>.
    /// </summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="output">Where results and progress go.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="cancellationToken">Cancels the running command.</param>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var root = new RootCommand("onnx-xai: explain ONNX vision models (Grad-CAM family, gradients, LRP, transformer methods), evaluate explanations, and compile them into standalone ONNX models.");
        root.Subcommands.Add(Guard(LayersCommand.Create(output), error));
        root.Subcommands.Add(Guard(ExplainCommand.Create(output, cancellationToken), error));
        root.Subcommands.Add(Guard(EvaluateCommand.Create(output, cancellationToken), error));
        root.Subcommands.Add(Guard(AblateCommand.Create(output, cancellationToken), error));
        root.Subcommands.Add(Guard(CompileCommand.Create(output, cancellationToken), error));
        root.Subcommands.Add(Guard(QuickStartCommand.Create(output, cancellationToken), error));
        root.Subcommands.Add(MethodsCommand(output));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && !args.Any(a => a is "--help" or "-h" or "-?"))
        {
            foreach (var parseError in parsed.Errors)
            {
                error.WriteLine($"error: {parseError.Message}");
            }

            var command = args.Length > 0 && root.Subcommands.Any(c => c.Name == args[0]) ? args[0] + " " : "";
            error.WriteLine($"Run 'onnx-xai {command}--help' for the usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Report(e, error);
        }
    }

    /// <summary>Wraps a command's action so that exceptions become one readable message and an exit code.</summary>
    private static Command Guard(Command command, TextWriter error)
    {
        var action = command.Action as System.CommandLine.Invocation.SynchronousCommandLineAction
            ?? throw new InvalidOperationException($"Command '{command.Name}' has no synchronous action.");
        command.SetAction(parseResult =>
        {
            try
            {
                return action.Invoke(parseResult);
            }
            catch (Exception e)
            {
                return Report(e, error);
            }
        });
        return command;
    }

    /// <summary>
    /// <c>methods</c>: every entry of <see cref="ExplanationMethods.All"/> — name, family, output layout, needs, whether
    /// it compiles to one ONNX graph (or why not), and its paper. Nothing here lists methods.
    /// </summary>
    private static Command MethodsCommand(TextWriter output)
    {
        var command = new Command("methods", "List every explanation method: name, family, output layout, needs, whether it compiles to a standalone ONNX graph (or why not), and its paper.");
        command.SetAction(_ =>
        {
            foreach (var method in ExplanationMethods.All)
            {
                output.WriteLine(DescribeMethod(method));
            }

            output.WriteLine($"LRP composites (--composite): {string.Join(", ", Lrp.Composites.LrpComposites.All.Select(c => c.Name))}.");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>One line of <c>methods</c>: fields separated by two spaces, the name first.</summary>
    internal static string DescribeMethod(ExplanationMethod method)
    {
        var layout = method.Layout == ExplanationLayout.Map ? "map N×H×W" : "attribution N×C×H×W";
        var needs = method.Needs == MethodNeeds.None
            ? "forward pass"
            : string.Join("+", Enum.GetValues<MethodNeeds>().Where(n => n != MethodNeeds.None && method.Needs.HasFlag(n)).Select(n => n.ToString().ToLowerInvariant()));
        var compiles = method.Compiles ? "compiles" : $"does not compile: {method.NotCompilableReason}";
        return $"{method.Name,-22}  {method.Family,-17}  {layout,-20}  {needs,-30}  {method.Summary}; {compiles}; paper: {method.Paper}";
    }

    /// <summary>Writes "error: message" (and the stack trace with ONNX_XAI_DEBUG=1) and returns the exit code.</summary>
    internal static int Report(Exception exception, TextWriter error)
    {
        var (code, message) = Classify(exception);
        error.WriteLine($"error: {message}");
        if (Environment.GetEnvironmentVariable("ONNX_XAI_DEBUG") is "1" or "true")
        {
            error.WriteLine(exception.ToString());
        }

        return code;
    }

    internal static (int Code, string Message) Classify(Exception exception) => exception switch
    {
        CliException e => (e.ExitCode, e.Message),
        NpyFormatException e => (ExitCodes.BadInput, e.Message),
        InvalidOnnxModelException e => (ExitCodes.BadInput, e.Message),
        NonFiniteInputException e => (ExitCodes.BadInput, e.Message),
        InputMismatchException e => (ExitCodes.BadInput, e.Message),
        EvaluationInputException e => (ExitCodes.BadInput, e.Message),
        UnknownTensorException e => (ExitCodes.Usage, e.Message),
        TargetLayerException e => (ExitCodes.Usage, e.Message),
        Targets.ExplanationTargetException e => (ExitCodes.BadInput, e.Message),
        LrpRuleException e => (ExitCodes.ModelError, e.Message),
        AttentionDiscoveryException e => (ExitCodes.ModelError, e.Message),
        ExplainabilityException e => (ExitCodes.ModelError, e.Message),
        FileNotFoundException e => (ExitCodes.BadInput, e.Message),
        DirectoryNotFoundException e => (ExitCodes.BadInput, e.Message),
        UnauthorizedAccessException e => (ExitCodes.OutputNotWritable, e.Message),
        IOException e => (ExitCodes.OutputNotWritable, e.Message),
        ArgumentException e => (ExitCodes.Usage, e.Message),
        OperationCanceledException => (ExitCodes.Cancelled, "cancelled; nothing was written."),
        _ => (ExitCodes.Failure, $"unexpected {exception.GetType().Name}: {exception.Message} (set ONNX_XAI_DEBUG=1 for the stack trace)"),
    };
}
