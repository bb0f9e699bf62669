using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Tandem.Service.Security;
using Tandem.Service.Storage;
using Tandem.Service.Studies;

namespace Tandem.Service.Orleans;

/// <summary>
/// <c>tandem serve --cluster CONFIG</c>: the same HTTP API as <see cref="ServiceApp"/> (the same handlers, limits and
/// keys), with each study's single writer in an Orleans grain and a silo co-hosted in the web process. Every process
/// started with the same configuration joins the cluster; a study is active on one silo at a time and reactivates on
/// another when its silo dies, from the shared store (snapshot + replay).
/// </summary>
public static class ClusterServiceApp
{
    /// <summary>Build the web application with a co-hosted silo. <paramref name="silo"/>, when given, runs after the
    /// configuration's own settings (tests shorten the failure detector there).</summary>
    public static WebApplication Build(ServiceOptions options, ClusterConfig cluster, AdminKey admin, TimeProvider? time = null,
        Action<ILoggingBuilder>? logging = null, Action<ISiloBuilder>? silo = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cluster);
        cluster.Validate();
        return ServiceApp.Build(options with { DataDirectory = cluster.StoreDirectory }, admin, time, logging, services =>
        {
            if (cluster.Store == "postgres")
                services.AddSingleton<IStudyStore>(_ => Storage.PostgresStudyStore.Open(cluster.ConnectionString!));
            services.AddOrleans(builder =>
            {
                if (cluster.Clustering == "postgres")
                {
                    builder.Configure<ClusterOptions>(o =>
                    {
                        o.ClusterId = cluster.ClusterId;
                        o.ServiceId = cluster.ServiceId;
                    });
                    IPAddress ip = cluster.AdvertisedAddress;
                    builder.ConfigureEndpoints(ip, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(ip));
                    Storage.PostgresMembershipTable.AddTo(builder.Services, cluster.ConnectionString!);
                }
                else
                {
                    builder.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, cluster.PrimarySiloEndpoint, cluster.ServiceId, cluster.ClusterId);
                }
                builder.Configure<ClusterMembershipOptions>(o => o.ProbeTimeout = TimeSpan.FromSeconds(cluster.ProbeTimeoutSeconds));
                AddStudyGrains(builder.Services);
                silo?.Invoke(builder);
            });
        });
    }

    /// <summary>What a silo needs to host study grains and what the API needs to reach them: the
    /// <see cref="IStudyHostFactory"/> that places every study in its grain. The store, clock, writer options and metrics
    /// come from the service's own registrations (<see cref="ServiceApp.Build"/>) or the caller's.</summary>
    public static IServiceCollection AddStudyGrains(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IStudyHostFactory>(sp => new GrainStudyHostFactory(sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<IStudyStore>()));
        return services;
    }

    /// <summary>The command line: <c>--cluster CONFIG</c> and the options of <see cref="ServiceOptions.Parse"/> (whose
    /// <c>--data</c> the configuration's store replaces). Returns the exit code: 2 with one line on <paramref name="error"/>
    /// for bad input, a missing admin key or a store that cannot be opened.</summary>
    public static async Task<int> MainAsync(IReadOnlyList<string> args, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        static (ServiceOptions, ClusterConfig) Parse(IReadOnlyList<string> args)
        {
            int at = args.ToList().IndexOf("--cluster");
            if (at < 0 || at + 1 >= args.Count) throw new ArgumentException("--cluster CONFIG is required (a JSON file; docs/service-cluster.md).", "--cluster");
            ClusterConfig cluster = ClusterConfig.Load(args[at + 1]);
            return (ServiceOptions.Parse([.. args.Take(at), .. args.Skip(at + 2)]), cluster);
        }
        if (!ServiceApp.TryReadSettings(() => Parse(args), error, out var settings, out AdminKey? admin)) return 2;
        var (options, cluster) = settings;
        WebApplication app;
        try
        {
            app = Build(options, cluster, admin);
            await ServiceApp.StartAsync(app, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or OrleansException)
        {
            error.WriteLine($"error: the cluster could not start with store {cluster.StoreDescription} and silo port {cluster.SiloPort}: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
            return 2;
        }
        await using (app.ConfigureAwait(false))
        {
            error.WriteLine($"tandem serve: listening on {options.Urls}, cluster '{cluster.ClusterId}', silo port {cluster.SiloPort}, store {cluster.StoreDescription}");
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        return 0;
    }
}
