using Microsoft.ML.Explainability.Cli;

return CliApp.Run(args, Console.Out, Console.Error);
