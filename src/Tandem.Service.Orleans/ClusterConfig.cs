using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Tandem.Service.Orleans;

/// <summary>
/// The cluster of <c>tandem serve --cluster CONFIG</c>: a small JSON file (docs/service-cluster.md). Immutable;
/// <see cref="Validate"/> and <see cref="Load"/> name the field at fault.
/// <code>
/// { "clusterId": "tandem", "serviceId": "tandem",
///   "clustering": { "kind": "postgres" },
///   "store": { "kind": "postgres", "connectionString": "Host=db;Username=tandem;Password=...;Database=tandem" },
///   "siloPort": 11111, "gatewayPort": 30000, "advertisedIp": "127.0.0.1" }
/// </code>
/// </summary>
public sealed record ClusterConfig
{
    /// <summary>The Orleans cluster id (silos with the same id form one cluster). Default "tandem".</summary>
    public string ClusterId { get; init; } = "tandem";

    /// <summary>The Orleans service id (stable across deployments). Default "tandem".</summary>
    public string ServiceId { get; init; } = "tandem";

    /// <summary>How silos find each other: <c>localhost</c> (silos on one machine, joined through the primary silo at
    /// <see cref="PrimarySiloPort"/>) or <c>postgres</c> (a membership table in the postgres store's database, so silos on
    /// any machine that reaches it; needs <c>store.kind: postgres</c>, whose connection string it uses).</summary>
    public string Clustering { get; init; } = "localhost";

    /// <summary>The initial timeout of the failure detector's probes (Orleans' <c>ClusterMembershipOptions.ProbeTimeout</c>),
    /// in seconds, 0.1..60. Default 2 (Orleans' own default is 5). A killed silo is declared dead after a few missed probes,
    /// so this sets most of the failover time (measured here: about 3 s at 1 s, 13–18 s at 5 s); too short and a silo that
    /// merely pauses (a loaded machine, a long GC) is declared dead and stops.</summary>
    public double ProbeTimeoutSeconds { get; init; } = 2;

    /// <summary>The silo port of the primary silo (localhost clustering). Range 1..65535. Default 11111.</summary>
    public int PrimarySiloPort { get; init; } = 11111;

    /// <summary>Where the studies are stored: <c>sqlite</c> (one SQLite file in <see cref="StoreDirectory"/>, shared by
    /// the silos of one machine; not for a network file system) or <c>postgres</c> (a PostgreSQL server at
    /// <see cref="ConnectionString"/>, shared by silos anywhere).</summary>
    public string Store { get; init; } = "sqlite";

    /// <summary>The Npgsql connection string of the postgres store. It may hold a password: it is never printed.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The folder of the shared SQLite store (sqlite).</summary>
    public string StoreDirectory { get; init; } = "tandem-data";

    /// <summary>This silo's port for silo-to-silo traffic. Range 1..65535. Default 11111.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>This silo's gateway port for clients. Range 1..65535. Default 30000.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>The address other silos reach this one at (postgres clustering publishes it in the membership table).
    /// Default 127.0.0.1; a silo with another address listens on all of the host's addresses.</summary>
    public string AdvertisedIp { get; init; } = "127.0.0.1";

    /// <summary>Throws <see cref="ArgumentException"/> naming the field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ClusterId)) throw new ArgumentException("clusterId must not be empty.", "clusterId");
        if (string.IsNullOrWhiteSpace(ServiceId)) throw new ArgumentException("serviceId must not be empty.", "serviceId");
        if (Clustering is not ("localhost" or "postgres")) throw new ArgumentException($"clustering.kind must be 'localhost' or 'postgres'; got '{Clustering}'.", "clustering.kind");
        if (Store is not ("sqlite" or "postgres")) throw new ArgumentException($"store.kind must be 'sqlite' or 'postgres'; got '{Store}'.", "store.kind");
        if (Clustering == "postgres" && Store != "postgres")
            throw new ArgumentException($"clustering.kind 'postgres' keeps the membership table in the postgres store's database; store.kind is '{Store}'.", "clustering.kind");
        if (!IPAddress.TryParse(AdvertisedIp, out _)) throw new ArgumentException($"advertisedIp must be an IP address; got '{AdvertisedIp}'.", "advertisedIp");
        if (Store == "sqlite" && string.IsNullOrWhiteSpace(StoreDirectory)) throw new ArgumentException("store.directory must not be empty.", "store.directory");
        if (Store == "postgres" && string.IsNullOrWhiteSpace(ConnectionString)) throw new ArgumentException("store.connectionString is required for the postgres store.", "store.connectionString");
        if (!(ProbeTimeoutSeconds >= 0.1 && ProbeTimeoutSeconds <= 60))
            throw new ArgumentOutOfRangeException("clustering.probeTimeoutSeconds", ProbeTimeoutSeconds.ToString(CultureInfo.InvariantCulture), "clustering.probeTimeoutSeconds must lie in 0.1..60.");
        Port(PrimarySiloPort, "clustering.primarySiloPort");
        Port(SiloPort, "siloPort");
        Port(GatewayPort, "gatewayPort");
        if (SiloPort == GatewayPort) throw new ArgumentException($"siloPort and gatewayPort must differ; both are {SiloPort}.", "gatewayPort");
    }

    /// <summary>Read and check a configuration file. Throws <see cref="ArgumentException"/> naming the file and the field.</summary>
    public static ClusterConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--cluster {path}: cannot read the file ({ex.Message}).", "--cluster", ex);
        }
        try
        {
            return Parse(text);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"--cluster {path}: {ex.ParamName}: {ex.Message.Split(" (Parameter")[0]}", "--cluster", ex);
        }
    }

    /// <summary>Parse a configuration document (unknown fields are refused, so a typo is not silently ignored).</summary>
    public static ClusterConfig Parse(string json)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"not valid JSON ({ex.Message}).", "$", ex);
        }
        if (root.ValueKind != JsonValueKind.Object) throw new ArgumentException("the configuration must be a JSON object.", "$");
        var config = new ClusterConfig();
        foreach (JsonProperty p in root.EnumerateObject())
        {
            config = p.Name switch
            {
                "clusterId" => config with { ClusterId = Text(p.Value, "clusterId") },
                "serviceId" => config with { ServiceId = Text(p.Value, "serviceId") },
                "siloPort" => config with { SiloPort = Integer(p.Value, "siloPort") },
                "gatewayPort" => config with { GatewayPort = Integer(p.Value, "gatewayPort") },
                "advertisedIp" => config with { AdvertisedIp = Text(p.Value, "advertisedIp") },
                "clustering" => ReadClustering(config, p.Value),
                "store" => ReadStore(config, p.Value),
                _ => throw new ArgumentException($"unknown field '{p.Name}'. Allowed: clusterId, serviceId, siloPort, gatewayPort, advertisedIp, clustering, store.", p.Name),
            };
        }
        config.Validate();
        return config;
    }

    /// <summary>The store as it may be printed: the folder, or the server and database without credentials.</summary>
    public string StoreDescription => Store == "sqlite" ? "sqlite " + Path.GetFullPath(StoreDirectory)
        : new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString) is var b ? $"postgres {b.Host}:{b.Port}/{b.Database}" : "postgres";

    /// <summary>The primary silo's endpoint (localhost clustering).</summary>
    public IPEndPoint PrimarySiloEndpoint => new(IPAddress.Loopback, PrimarySiloPort);

    /// <summary><see cref="AdvertisedIp"/> parsed.</summary>
    public IPAddress AdvertisedAddress => IPAddress.Parse(AdvertisedIp);

    private static ClusterConfig ReadClustering(ClusterConfig config, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new ArgumentException("clustering must be an object.", "clustering");
        foreach (JsonProperty p in value.EnumerateObject())
        {
            config = p.Name switch
            {
                "kind" => config with { Clustering = Text(p.Value, "clustering.kind") },
                "primarySiloPort" => config with { PrimarySiloPort = Integer(p.Value, "clustering.primarySiloPort") },
                "probeTimeoutSeconds" => config with { ProbeTimeoutSeconds = Number(p.Value, "clustering.probeTimeoutSeconds") },
                _ => throw new ArgumentException($"unknown field '{p.Name}'. Allowed: kind, primarySiloPort, probeTimeoutSeconds.", "clustering." + p.Name),
            };
        }
        return config;
    }

    private static ClusterConfig ReadStore(ClusterConfig config, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new ArgumentException("store must be an object.", "store");
        foreach (JsonProperty p in value.EnumerateObject())
        {
            config = p.Name switch
            {
                "kind" => config with { Store = Text(p.Value, "store.kind") },
                "directory" => config with { StoreDirectory = Text(p.Value, "store.directory") },
                "connectionString" => config with { ConnectionString = Text(p.Value, "store.connectionString") },
                _ => throw new ArgumentException($"unknown field '{p.Name}'. Allowed: kind, directory, connectionString.", "store." + p.Name),
            };
        }
        return config;
    }

    private static string Text(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new ArgumentException($"{field} must be a string.", field);

    private static int Integer(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) ? n
            : throw new ArgumentException($"{field} must be an integer; got {value.GetRawText()}.", field);

    private static double Number(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw new ArgumentException($"{field} must be a number; got {value.GetRawText()}.", field);

    private static void Port(int port, string field)
    {
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(field, port.ToString(CultureInfo.InvariantCulture), $"{field} must lie in 1..65535.");
    }
}
