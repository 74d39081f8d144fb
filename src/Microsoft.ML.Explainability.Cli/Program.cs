using Microsoft.ML.Explainability.Cli;

// The first Ctrl+C cancels the running command, which stops at its next cancellation check and removes its partial
// output. A second one ends the process at once; its staging folders are removed first, so no partial output remains.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        cancellation.Cancel();
        return;
    }

    StagedFolder.AbandonAll();
};

return CliApp.Run(args, Console.Out, Console.Error, cancellation.Token);
