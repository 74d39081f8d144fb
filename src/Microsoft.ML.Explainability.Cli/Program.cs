using Microsoft.ML.Explainability.Cli;

// The first Ctrl+C cancels the running command (which then removes its partial output); a second one ends the process.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};

return CliApp.Run(args, Console.Out, Console.Error, cancellation.Token);
