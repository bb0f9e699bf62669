using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService;

namespace Tandem.Service.Orleans.Storage;

/// <summary>
/// Orleans cluster membership through PostgreSQL (issue 19): Orleans' public <see cref="IMembershipTable"/> contract over
/// Tandem's own tables (<c>tandem-cluster-postgres.sql</c>, created at startup when missing), so silos on different
/// machines find each other through the server that already holds their studies.
/// <para>
/// The contract's concurrency: one version row per cluster carries the membership version and an etag, regenerated
/// (<c>gen_random_uuid()</c>) with every change. <see cref="InsertRowAsync"/> and <see cref="UpdateRowAsync"/> run in one
/// transaction that first updates the version row <em>only where its etag is the one the caller read</em>, then inserts
/// (a silo's row must not exist) or updates (its row etag must be the one read); if either affects no row, the
/// transaction rolls back and the call answers false, so a write based on a stale read changes nothing. Two writers with
/// the same etag serialize on the version row's lock and the second finds the etag changed (PostgreSQL re-checks the
/// <c>WHERE</c> of a row updated concurrently under READ COMMITTED). A heartbeat (<see cref="UpdateIAmAliveAsync"/>)
/// changes neither etag. Reads are one statement each, so the rows and the version are one consistent snapshot.
/// Times are stored as <c>timestamptz</c> (microseconds: the last 100 ns tick of a <see cref="DateTime"/> is dropped).
/// </para>
/// </summary>
public sealed class PostgresMembershipTable : IMembershipTable, IDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly string _clusterId;

    /// <summary>A table for cluster <paramref name="clusterId"/> on the server of <paramref name="connectionString"/> (Npgsql
    /// syntax). Nothing is sent until <see cref="InitializeMembershipTableAsync"/>.</summary>
    public PostgresMembershipTable(string connectionString, string clusterId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        _source = NpgsqlDataSource.Create(connectionString);
        _clusterId = clusterId;
    }

    /// <summary>The schema script (<c>Storage/tandem-cluster-postgres.sql</c>).</summary>
    public static string Schema { get; } = PostgresSchema.Read("tandem-cluster-postgres.sql");

    /// <summary>Make silos of <paramref name="services"/> keep their membership in PostgreSQL at
    /// <paramref name="connectionString"/>, under the cluster id of their <see cref="ClusterOptions"/>.</summary>
    public static IServiceCollection AddTo(IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.AddSingleton<IMembershipTable>(sp => new PostgresMembershipTable(connectionString, sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId));
        return services;
    }

    /// <inheritdoc />
    public Task InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion, CancellationToken.None);

    /// <summary>Create the tables when missing and, when <paramref name="tryInitTableVersion"/>, this cluster's version row
    /// (version 0) when missing. Throws <see cref="NpgsqlException"/> when the server cannot be reached.</summary>
    public async Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await PostgresSchema.ApplyAsync(connection, Schema, cancellationToken).ConfigureAwait(false);
        if (!tryInitTableVersion) return;
        await using var command = new NpgsqlCommand(
            "INSERT INTO tandem_cluster_versions(cluster_id, version, etag) VALUES($1, 0, gen_random_uuid()::text) ON CONFLICT (cluster_id) DO NOTHING", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = _clusterId });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId, CancellationToken.None);

    /// <summary>Delete every row of cluster <paramref name="clusterId"/>, its version row included.</summary>
    public async Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clusterId);
        await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (string table in new[] { "tandem_cluster_members", "tandem_cluster_versions" })
        {
            await using var command = new NpgsqlCommand($"DELETE FROM {table} WHERE cluster_id = $1", connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = clusterId });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate, CancellationToken.None);

    /// <summary>Delete the rows of dead silos whose last known update (the latest of start, heartbeat and suspicion vote)
    /// precedes <paramref name="beforeDate"/>. The version is unchanged: removing a dead row is not a membership change.</summary>
    public async Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _source.CreateCommand(
            "DELETE FROM tandem_cluster_members WHERE cluster_id = $1 AND status = $2 AND GREATEST(start_time, i_am_alive, last_suspect) < $3");
        command.Parameters.Add(new NpgsqlParameter { Value = _clusterId });
        command.Parameters.Add(new NpgsqlParameter { Value = (int)SiloStatus.Dead });
        command.Parameters.Add(new NpgsqlParameter { Value = beforeDate.ToUniversalTime() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key, CancellationToken.None);

    /// <summary>The row of silo <paramref name="key"/> (none when absent) and the table version, read in one statement.</summary>
    public Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ReadAsync(key.ToParsableString(), cancellationToken);
    }

    /// <inheritdoc />
    public Task<MembershipTableData> ReadAll() => ReadAllAsync(CancellationToken.None);

    /// <summary>Every row of this cluster and the table version, read in one statement.</summary>
    public Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken) => ReadAsync(null, cancellationToken);

    /// <inheritdoc />
    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion, CancellationToken.None);

    /// <summary>Add <paramref name="entry"/> and set the version to <paramref name="tableVersion"/>'s, atomically; false
    /// (nothing changed) when the silo already has a row or the table's etag is no longer <paramref name="tableVersion"/>'s.</summary>
    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        return await WriteAsync(tableVersion, (connection, transaction) =>
        {
            var insert = new NpgsqlCommand("""
                INSERT INTO tandem_cluster_members(cluster_id, silo, status, proxy_port, host_name, silo_name, role_name, update_zone, fault_zone,
                  suspect_times, last_suspect, start_time, i_am_alive, etag)
                VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, gen_random_uuid()::text)
                ON CONFLICT (cluster_id, silo) DO NOTHING
                """, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = _clusterId });
            AddEntry(insert, entry);
            return insert;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => UpdateRowAsync(entry, etag, tableVersion, CancellationToken.None);

    /// <summary>Replace the silo's row with <paramref name="entry"/> and set the version to <paramref name="tableVersion"/>'s,
    /// atomically; false (nothing changed) when the row is missing, its etag is no longer <paramref name="etag"/>, or the
    /// table's etag is no longer <paramref name="tableVersion"/>'s.</summary>
    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(etag);
        ArgumentNullException.ThrowIfNull(tableVersion);
        return await WriteAsync(tableVersion, (connection, transaction) =>
        {
            // $2 is the silo (the key); the entry's other fields follow in AddEntry's order.
            var update = new NpgsqlCommand("""
                UPDATE tandem_cluster_members SET status = $3, proxy_port = $4, host_name = $5, silo_name = $6, role_name = $7, update_zone = $8,
                  fault_zone = $9, suspect_times = $10, last_suspect = $11, start_time = $12, i_am_alive = $13, etag = gen_random_uuid()::text
                WHERE cluster_id = $1 AND silo = $2 AND etag = $14
                """, connection, transaction);
            update.Parameters.Add(new NpgsqlParameter { Value = _clusterId });
            AddEntry(update, entry);
            update.Parameters.Add(new NpgsqlParameter { Value = etag });
            return update;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry, CancellationToken.None);

    /// <summary>Write the silo's heartbeat time; no etag changes. Throws <see cref="OrleansMissingMembershipEntryException"/>
    /// when the silo has no row.</summary>
    public async Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using NpgsqlCommand command = _source.CreateCommand("UPDATE tandem_cluster_members SET i_am_alive = $3 WHERE cluster_id = $1 AND silo = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = _clusterId });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.SiloAddress.ToParsableString() });
        command.Parameters.Add(new NpgsqlParameter { Value = Utc(entry.IAmAliveTime) });
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            throw new OrleansMissingMembershipEntryException($"Cluster '{_clusterId}' has no membership row for silo {entry.SiloAddress}.");
    }

    /// <summary>Close the connection pool.</summary>
    public void Dispose() => _source.Dispose();

    private async Task<bool> WriteAsync(TableVersion tableVersion, Func<NpgsqlConnection, NpgsqlTransaction, NpgsqlCommand> row, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var version = new NpgsqlCommand(
            "UPDATE tandem_cluster_versions SET version = $2, etag = gen_random_uuid()::text WHERE cluster_id = $1 AND etag = $3", connection, transaction))
        {
            version.Parameters.Add(new NpgsqlParameter { Value = _clusterId });
            version.Parameters.Add(new NpgsqlParameter { Value = tableVersion.Version });
            version.Parameters.Add(new NpgsqlParameter { Value = tableVersion.VersionEtag ?? "" });
            if (await version.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return false;
            }
        }
        await using (NpgsqlCommand command = row(connection, transaction))
        {
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return false;
            }
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<MembershipTableData> ReadAsync(string? silo, CancellationToken cancellationToken)
    {
        // The version row LEFT JOIN its members: one statement, so one snapshot of both.
        await using NpgsqlCommand command = _source.CreateCommand($"""
            SELECT v.version, v.etag, m.silo, m.status, m.proxy_port, m.host_name, m.silo_name, m.role_name, m.update_zone, m.fault_zone,
              m.suspect_times, m.start_time, m.i_am_alive, m.etag
            FROM tandem_cluster_versions v LEFT JOIN tandem_cluster_members m ON m.cluster_id = v.cluster_id {(silo is null ? "" : "AND m.silo = $2")}
            WHERE v.cluster_id = $1 ORDER BY m.silo
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = _clusterId });
        if (silo is not null) command.Parameters.Add(new NpgsqlParameter { Value = silo });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<Tuple<MembershipEntry, string>>();
        TableVersion? version = null;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            version ??= new TableVersion(reader.GetInt32(0), reader.GetString(1));
            if (reader.IsDBNull(2)) continue;
            var entry = new MembershipEntry
            {
                SiloAddress = SiloAddress.FromParsableString(reader.GetString(2)),
                Status = (SiloStatus)reader.GetInt32(3),
                ProxyPort = reader.GetInt32(4),
                HostName = reader.IsDBNull(5) ? null! : reader.GetString(5),
                SiloName = reader.IsDBNull(6) ? null! : reader.GetString(6),
                RoleName = reader.IsDBNull(7) ? null : reader.GetString(7),
                UpdateZone = reader.GetInt32(8),
                FaultZone = reader.GetInt32(9),
                SuspectTimes = ReadSuspects(reader.GetString(10)),
                StartTime = reader.GetDateTime(11),
                IAmAliveTime = reader.GetDateTime(12),
            };
            rows.Add(Tuple.Create(entry, reader.GetString(13)));
        }
        // A cluster nobody initialized yet: no rows, version 0 with an etag no write can match.
        return new MembershipTableData(rows, version ?? new TableVersion(0, "none"));
    }

    /// <summary>Parameters $2..$13: the entry's fields in the column order of the insert.</summary>
    private static void AddEntry(NpgsqlCommand command, MembershipEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry.SiloAddress);
        List<Tuple<SiloAddress, DateTime>> suspects = entry.SuspectTimes ?? [];
        command.Parameters.Add(new NpgsqlParameter { Value = entry.SiloAddress.ToParsableString() });
        command.Parameters.Add(new NpgsqlParameter { Value = (int)entry.Status });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.ProxyPort });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.HostName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.SiloName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.RoleName ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.UpdateZone });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.FaultZone });
        command.Parameters.Add(new NpgsqlParameter { Value = WriteSuspects(suspects) });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = suspects.Count == 0 ? DBNull.Value : Utc(suspects.Max(s => Utc(s.Item2))),
            NpgsqlDbType = NpgsqlDbType.TimestampTz,
        });
        command.Parameters.Add(new NpgsqlParameter { Value = Utc(entry.StartTime) });
        command.Parameters.Add(new NpgsqlParameter { Value = Utc(entry.IAmAliveTime) });
    }

    /// <summary>The suspicion votes as a JSON array of [silo, round-trip time] pairs (exact: the time keeps its ticks).</summary>
    private static string WriteSuspects(List<Tuple<SiloAddress, DateTime>> suspects) =>
        JsonSerializer.Serialize(suspects.Select(s => new[] { s.Item1.ToParsableString(), Utc(s.Item2).ToString("O", CultureInfo.InvariantCulture) }));

    private static List<Tuple<SiloAddress, DateTime>> ReadSuspects(string json) =>
        [.. JsonSerializer.Deserialize<string[][]>(json)!.Select(p =>
            Tuple.Create(SiloAddress.FromParsableString(p[0]), DateTime.Parse(p[1], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)))];

    private static DateTime Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };
}
