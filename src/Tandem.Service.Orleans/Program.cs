return await Tandem.Service.Orleans.ClusterServiceApp.MainAsync(args, Console.Error).ConfigureAwait(false);
