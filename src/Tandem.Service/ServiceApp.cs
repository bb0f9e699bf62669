using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tandem.Service.Api;
using Tandem.Service.Security;
using Tandem.Service.Storage;
using Tandem.Service.Studies;

namespace Tandem.Service;

/// <summary>Options of <c>tandem serve</c>. Immutable; <see cref="Validate"/> names the option out of range.</summary>
public sealed record ServiceOptions
{
    /// <summary>Where to listen. Default http://127.0.0.1:5080 (loopback only).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    /// <summary>The data folder (the SQLite file <c>tandem.db</c> lives there). Default ./tandem-data.</summary>
    public string DataDirectory { get; init; } = "tandem-data";

    /// <summary>Largest request body, in bytes, for decisions, rewards and study creation. Range: 1 KiB..16 MiB. Default 64 KiB.</summary>
    public int MaxBodyBytes { get; init; } = 64 * 1024;

    /// <summary>Largest snapshot a PUT may send, in bytes. Range: 1 KiB..256 MiB. Default 32 MiB.</summary>
    public int MaxSnapshotBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>How commits reach the disk. Default <see cref="CommitDurability.Full"/>.</summary>
    public CommitDurability Durability { get; init; } = CommitDurability.Full;

    /// <summary>The writers' group commit and snapshot interval.</summary>
    public WriterOptions Writer { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Urls)) throw new ArgumentException("--urls must not be empty.", nameof(Urls));
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("--data must not be empty.", nameof(DataDirectory));
        if (MaxBodyBytes is < 1024 or > 16 * 1024 * 1024) throw new ArgumentOutOfRangeException(nameof(MaxBodyBytes), MaxBodyBytes, "--max-body must lie in 1024..16777216 bytes.");
        if (MaxSnapshotBytes is < 1024 or > 256 * 1024 * 1024) throw new ArgumentOutOfRangeException(nameof(MaxSnapshotBytes), MaxSnapshotBytes, "The snapshot limit must lie in 1024..268435456 bytes.");
        ArgumentNullException.ThrowIfNull(Writer, nameof(Writer));
        Writer.Validate();
    }

    /// <summary>Parse the command line of <c>tandem serve</c> / the service executable: <c>--urls U --data DIR
    /// --sync full|normal --max-body N --batch N --snapshot-every N</c>. Throws <see cref="ArgumentException"/> naming the option.</summary>
    public static ServiceOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new ServiceOptions();
        var writer = new WriterOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Count) throw new ArgumentException($"{name} needs a value.", name);
            string value = args[++i];
            options = name switch
            {
                "--urls" => options with { Urls = value },
                "--data" => options with { DataDirectory = value },
                "--sync" => options with { Durability = value switch { "full" => CommitDurability.Full, "normal" => CommitDurability.Normal, _ => throw new ArgumentException($"--sync must be full or normal; got '{value}'.", name) } },
                "--max-body" => options with { MaxBodyBytes = Integer(name, value) },
                "--batch" => options with { Writer = writer = writer with { MaxBatch = Integer(name, value) } },
                "--snapshot-every" => options with { Writer = writer = writer with { SnapshotEvery = Integer(name, value) } },
                _ => throw new ArgumentException($"Unknown option '{name}'. Allowed: --urls, --data, --sync, --max-body, --batch, --snapshot-every.", name),
            };
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex) when (ex.ParamName is "MaxBatch" or "SnapshotEvery")
        {
            string option = ex.ParamName == "MaxBatch" ? "--batch" : "--snapshot-every";
            throw new ArgumentException($"{option}: {ex.Message.Split(" (Parameter")[0]}", option, ex);
        }
        return options;
    }

    private static int Integer(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"{name} must be a positive integer; got '{value}'.", name);
}

/// <summary>Builds and runs the decision service: wiring only (a thin host over the library's online core).</summary>
public static class ServiceApp
{
    /// <summary>Build the application; <paramref name="time"/> stamps decisions (the system clock when null);
    /// <paramref name="services"/>, when given, runs after the defaults and may replace them (the Orleans host registers
    /// its <see cref="IStudyHostFactory"/> and shared <see cref="IStudyStore"/> there).</summary>
    public static WebApplication Build(ServiceOptions options, AdminKey admin, TimeProvider? time = null, Action<ILoggingBuilder>? logging = null,
        Action<IServiceCollection>? services = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(admin);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = Math.Max(options.MaxBodyBytes, options.MaxSnapshotBytes));
        // Request logs at Information would cost more than a decision; warnings and the studies' own messages stay.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (logging is not null) logging(builder.Logging);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(admin);
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSingleton(options.Writer);
        builder.Services.AddSingleton<IStudyStore>(_ => new SqliteStudyStore(options.DataDirectory, options.Durability));
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddSingleton<StudyRegistry>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
        services?.Invoke(builder.Services);

        WebApplication app = builder.Build();
        app.UseExceptionHandler(); // problem documents without stack traces (Production)
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapTandemApi();
        return app;
    }

    /// <summary>Open every stored study (startup replay: the latest snapshot and the events after it), then start
    /// listening. The studies stop when the application is disposed.</summary>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        await app.Services.GetRequiredService<StudyRegistry>().OpenAllAsync(cancellationToken).ConfigureAwait(false);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary><see cref="StartAsync"/>, then serve until <paramref name="cancellationToken"/> is cancelled or the host stops.</summary>
    public static async Task RunAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        await StartAsync(app, cancellationToken).ConfigureAwait(false);
        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The start-up checks every host runs before building: <paramref name="parse"/> the command line (an
    /// <see cref="ArgumentException"/> is bad input) and read the admin key from the environment. On failure writes one
    /// line to <paramref name="error"/> and returns false (the caller exits 2).</summary>
    public static bool TryReadSettings<T>(Func<T> parse, TextWriter error,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? settings, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AdminKey? admin)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(error);
        admin = null;
        try
        {
            settings = parse();
        }
        catch (ArgumentException ex)
        {
            settings = default;
            error.WriteLine("error: " + ex.Message.Split(" (Parameter")[0]);
            return false;
        }
        admin = AdminKey.FromEnvironment(out string? problem);
        if (admin is null) error.WriteLine("error: " + problem);
        return admin is not null;
    }

    /// <summary>The service's command line: returns the exit code (2 with one line on <paramref name="error"/> for bad input
    /// or a missing admin key).</summary>
    public static async Task<int> MainAsync(IReadOnlyList<string> args, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (!TryReadSettings(() => ServiceOptions.Parse(args), error, out ServiceOptions? options, out AdminKey? admin)) return 2;
        await using WebApplication app = Build(options, admin);
        await RunAsync(app, cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
