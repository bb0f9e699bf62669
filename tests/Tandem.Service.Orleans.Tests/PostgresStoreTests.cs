using Npgsql;
using Tandem.Service.Orleans.Storage;
using Tandem.Service.Storage;

namespace Tandem.Service.Orleans.Tests;

/// <summary>The PostgreSQL store against a real server, checked against the embedded SQLite store given the same calls:
/// set <c>TANDEM_TEST_POSTGRES</c> to a connection string (<c>scripts/postgres-test-server.sh start</c> prints one);
/// without a reachable server the test is reported skipped with the reason (<see cref="PostgresFactAttribute"/>).</summary>
public sealed class PostgresStoreTests
{
    [PostgresFact]
    public async Task Append_ReadBack_Pending_Index_Log_AndSnapshots_AsTheSqliteStoreDoes()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        using PostgresStudyStore pg = await PostgresStudyStore.OpenAsync(database.ConnectionString);
        string data = Path.Combine(Path.GetTempPath(), "tandem-orleans-tests", Guid.NewGuid().ToString("N"));
        using var sqlite = new SqliteStudyStore(data);
        string id = "pg-" + Guid.NewGuid().ToString("N")[..10];
        var study = new StoredStudy(id, "linucb", "{\"id\":\"" + id + "\"}", [1, 2, 3], [4, 5, 6], ulong.MaxValue - 7, new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero));
        StudyEvent[] first =
        [
            new(1, StudyEventType.Decision, 1, "r1", "s1", null, 0, "{\"d\":1}", "aux1"),
            new(2, StudyEventType.Decision, 2, null, null, null, 0, "{\"d\":2}"),
            new(3, StudyEventType.Reward, 1, null, null, 0.25, 1, "{\"reward\":0.25}"),
        ];
        StudyEvent[] second = [new(4, StudyEventType.Decision, 3, "r3", null, null, 1, "{\"d\":3}")];
        foreach (IStudyStore store in new IStudyStore[] { pg, sqlite })
        {
            await store.CreateStudyAsync(study);
            await Assert.ThrowsAsync<StudyExistsException>(() => store.CreateStudyAsync(study));
            await store.AppendAsync(id, first, new StoredSnapshot(3, 1, "{\"state\":1}"));
            await store.AppendAsync(id, second, null);
            // A second writer's event of a number already committed: the whole group is refused, nothing of it stored.
            await Assert.ThrowsAnyAsync<Exception>(() => store.AppendAsync(id, [new(5, StudyEventType.Decision, 4, null, null, null, 1, "{}"), new(4, StudyEventType.Decision, 5, null, null, null, 1, "{}")], null));
        }
        Assert.Equal(Describe(await sqlite.ListStudiesAsync(), id), Describe(await pg.ListStudiesAsync(), id));
        Assert.Equal(await sqlite.LoadSnapshotAsync(id), await pg.LoadSnapshotAsync(id));
        Assert.Equal(await All(sqlite.ReadEventsAsync(id, 1)), await All(pg.ReadEventsAsync(id, 1)));
        Assert.Equal(await All(sqlite.ReadPendingDecisionsAsync(id, 3)), await All(pg.ReadPendingDecisionsAsync(id, 3)));
        StudyIndex a = await sqlite.ReadIndexAsync(id), b = await pg.ReadIndexAsync(id);
        Assert.Equal((a.LastDecision, a.LastEvent), (b.LastDecision, b.LastEvent));
        Assert.Equal((4L, 3L), (b.LastEvent, b.LastDecision));
        Assert.Equal(a.Rewards, b.Rewards);
        Assert.Equal(a.Requests.OrderBy(r => r.RequestId), b.Requests.OrderBy(r => r.RequestId));
        Assert.Equal(await sqlite.ReadDecisionAsync(id, 3), await pg.ReadDecisionAsync(id, 3));
        Assert.Equal(await sqlite.ReadLogAsync(id, 0, 10), await pg.ReadLogAsync(id, 0, 10));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Open_WithNoServer_ThrowsNpgsqlException_AndMainSaysSoInOneLineWithoutThePassword()
    {
        string config = Path.GetTempFileName();
        await File.WriteAllTextAsync(config, """{"store":{"kind":"postgres","connectionString":"Host=127.0.0.1;Port=1;Username=u;Password=secret-pw;Timeout=2"},"siloPort":40101,"gatewayPort":40102}""");
        Environment.SetEnvironmentVariable("TANDEM_ADMIN_KEY", ClusterService.AdminKeyText);
        var error = new StringWriter();
        Assert.Equal(2, await ClusterServiceApp.MainAsync(["--cluster", config, "--urls", "http://127.0.0.1:0"], error));
        string[] lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("postgres 127.0.0.1:1/", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", lines[0], StringComparison.Ordinal);
        File.Delete(config);
    }

    private static string Describe(IReadOnlyList<StoredStudy> studies, string id) =>
        studies.Where(s => s.Id == id).Select(s => $"{s.Id} {s.Kind} {s.SpecJson} {Convert.ToHexString(s.KeySalt)} {Convert.ToHexString(s.KeyHash)} {s.Seed} {s.Created:O}").Single();

    private static async Task<List<StudyEvent>> All(IAsyncEnumerable<StudyEvent> events)
    {
        var list = new List<StudyEvent>();
        await foreach (StudyEvent e in events) list.Add(e);
        return list;
    }
}

/// <summary>A fact that runs only when <c>TANDEM_TEST_POSTGRES</c> names a reachable PostgreSQL server, and is reported
/// as skipped with the reason otherwise.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        string? connection = Environment.GetEnvironmentVariable("TANDEM_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(connection))
        {
            Skip = "TANDEM_TEST_POSTGRES is not set (scripts/postgres-test-server.sh start prints a connection string).";
            return;
        }
        try
        {
            using var probe = new NpgsqlConnection(connection + ";Timeout=3");
            probe.Open();
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException)
        {
            Skip = $"no PostgreSQL server reachable at TANDEM_TEST_POSTGRES: {ex.Message}";
        }
    }
}

/// <summary>A fresh database on the test server for one test (so tests never see each other's studies), dropped after.</summary>
internal sealed class PostgresTestDatabase : IAsyncDisposable
{
    private readonly string _server;
    private readonly string _name;

    private PostgresTestDatabase(string server, string name, string connectionString)
    {
        _server = server;
        _name = name;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        string server = Environment.GetEnvironmentVariable("TANDEM_TEST_POSTGRES")!;
        string name = "tandem_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new PostgresTestDatabase(server, name, new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
    }

    /// <summary>The store fails: the database refuses new connections and its open ones are terminated (what clients see
    /// when the server goes away), until <see cref="ResumeAsync"/>.</summary>
    public async Task SuspendAsync()
    {
        await AdminAsync($"ALTER DATABASE {_name} ALLOW_CONNECTIONS false");
        await AdminAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{_name}' AND pid <> pg_backend_pid()");
    }

    /// <summary>The store is back.</summary>
    public Task ResumeAsync() => AdminAsync($"ALTER DATABASE {_name} ALLOW_CONNECTIONS true");

    private async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
