// The service on its own (`dotnet Tandem.Service.dll --urls ... --data ...`); `tandem serve` calls the same entry.
return await Tandem.Service.ServiceApp.MainAsync(args, Console.Error).ConfigureAwait(false);
