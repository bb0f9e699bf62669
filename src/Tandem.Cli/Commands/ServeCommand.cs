using System.CommandLine;
using Tandem.Service;
using Tandem.Service.Security;

namespace Tandem.Cli.Commands;

/// <summary>`tandem serve`: the decision service (issue 16), a thin host over <see cref="ServiceApp"/>.</summary>
public static class ServeCommand
{
    /// <summary>Create the command.</summary>
    public static Command Create(CliIo io)
    {
        ArgumentNullException.ThrowIfNull(io);
        var urls = new Option<string>("--urls") { Description = "Where to listen (default http://127.0.0.1:5080, loopback only).", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var data = new Option<string>("--data") { Description = "Data folder of the embedded SQLite store (default ./tandem-data).", DefaultValueFactory = _ => "tandem-data" };
        var sync = new Option<string>("--sync") { Description = "full (default: every commit fsynced; survives power loss) or normal (survives a process kill, not a power cut).", DefaultValueFactory = _ => "full" };
        var maxBody = new Option<int?>("--max-body") { Description = "Largest request body in bytes, 1024..16777216 (default 65536)." };
        var batch = new Option<int?>("--batch") { Description = "Most requests of one study committed together, 1..10000 (default 256)." };
        var snapshotEvery = new Option<int?>("--snapshot-every") { Description = "Store a learner snapshot every N events, ≥ 1 (default 10000)." };
        var cluster = new Option<string?>("--cluster") { Description = "Serve the same API with each study in an Orleans grain, from a JSON cluster file (store and silo settings; docs/service-cluster.md). Default: the embedded single-node service." };
        var command = new Command("serve", "Run the decision service (needs TANDEM_ADMIN_KEY): decide, log, learn, survive a crash. See docs/service.md.");
        foreach (Option o in new Option[] { urls, data, sync, maxBody, batch, snapshotEvery, cluster }) command.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var args = new List<string> { "--urls", parse.GetValue(urls)!, "--data", parse.GetValue(data)!, "--sync", parse.GetValue(sync)! };
            if (parse.GetValue(maxBody) is { } m) args.AddRange(["--max-body", m.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (parse.GetValue(batch) is { } b) args.AddRange(["--batch", b.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (parse.GetValue(snapshotEvery) is { } s) args.AddRange(["--snapshot-every", s.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (parse.GetValue(cluster) is { } config)
            {
                // The cluster host parses, checks the admin key and the store, and prints its own one-line errors (exit 2).
                int exit = await Tandem.Service.Orleans.ClusterServiceApp.MainAsync([.. args, "--cluster", config], io.Error, ct).ConfigureAwait(false);
                return exit;
            }
            ServiceOptions options;
            try { options = ServiceOptions.Parse(args); }
            catch (ArgumentException ex) { throw new UsageException(ex.Message.Split(" (Parameter")[0]); }
            AdminKey admin = AdminKey.FromEnvironment(out string? problem) ?? throw new UsageException(problem!);
            await using var app = ServiceApp.Build(options, admin);
            io.Error.WriteLine($"tandem serve: listening on {options.Urls}, data in {Path.GetFullPath(options.DataDirectory)}");
            await ServiceApp.RunAsync(app, ct).ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }
}
