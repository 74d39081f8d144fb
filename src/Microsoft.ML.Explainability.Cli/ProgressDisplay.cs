using Microsoft.ML.Explainability.Evaluation;
using Spectre.Console;

namespace Microsoft.ML.Explainability.Cli;

/// <summary>
/// Shows the progress of an evaluation: a Spectre.Console progress bar per (method, metric) on an interactive console,
/// one line per finished metric otherwise (redirected output, in-process runs).
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Runs <paramref name="work"/>, giving it a progress factory (label → reporter).</summary>
    public static void Run(TextWriter output, Action<Func<string, IProgress<EvaluationProgress>>> work)
    {
        bool interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive)
        {
            work(label => new LineProgress(output, label));
            return;
        }

        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => work(label => new BarProgress(context.AddTask(Markup.Escape(label)))));
    }

    private sealed class BarProgress(ProgressTask task) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value)
        {
            task.MaxValue = Math.Max(1, value.Total);
            task.Value = value.Completed;
        }
    }

    private sealed class LineProgress(TextWriter output, string label) : IProgress<EvaluationProgress>
    {
        private bool _done;

        public void Report(EvaluationProgress value)
        {
            if (!_done && value.Completed >= value.Total)
            {
                _done = true;
                output.WriteLine($"  {label}: {value.Completed}/{value.Total} done");
            }
        }
    }
}
