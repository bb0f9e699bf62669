using Tandem.Cli;

return await CliApp.RunAsync(args, System.Console.Out, System.Console.Error, CancellationToken.None).ConfigureAwait(false);
