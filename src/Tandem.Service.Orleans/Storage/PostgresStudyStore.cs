using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using Tandem.Service.Storage;

namespace Tandem.Service.Orleans.Storage;

/// <summary>
/// The shared study store on PostgreSQL (issue 19), for silos on several machines: the tables of the embedded store
/// (<c>tandem-postgres.sql</c>, created at startup when missing). A group of events and its snapshot are one
/// transaction; PostgreSQL's default <c>synchronous_commit=on</c> makes the commit durable before it returns. Different
/// studies commit in parallel (row locks, not a file lock). The primary key (study, seq) refuses a second writer's event
/// of the same number, so two activations of one study can never both commit.
/// </summary>
public sealed class PostgresStudyStore : IStudyStore
{
    private readonly NpgsqlDataSource _source;

    private PostgresStudyStore(NpgsqlDataSource source) => _source = source;

    /// <summary>Connect with <paramref name="connectionString"/> (Npgsql syntax) and create the tables when missing.
    /// Throws <see cref="NpgsqlException"/> when the server cannot be reached.</summary>
    public static async Task<PostgresStudyStore> OpenAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlDataSource source = NpgsqlDataSource.Create(connectionString);
        try
        {
            await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await PostgresSchema.ApplyAsync(connection, Schema, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new PostgresStudyStore(source);
    }

    /// <summary><see cref="OpenAsync"/>, synchronously (dependency injection builds services synchronously; this runs once
    /// at startup).</summary>
    public static PostgresStudyStore Open(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlDataSource source = NpgsqlDataSource.Create(connectionString);
        try
        {
            using var connection = source.OpenConnection();
            PostgresSchema.Apply(connection, Schema);
        }
        catch
        {
            source.Dispose();
            throw;
        }
        return new PostgresStudyStore(source);
    }

    /// <summary>The schema script shipped with the store (<c>Storage/tandem-postgres.sql</c>).</summary>
    public static string Schema { get; } = PostgresSchema.Read("tandem-postgres.sql");

    /// <inheritdoc />
    public async Task CreateStudyAsync(StoredStudy study, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        await using var command = _source.CreateCommand(
            "INSERT INTO tandem_studies(id, kind, spec, key_salt, key_hash, seed, created) VALUES($1, $2, $3, $4, $5, $6, $7)");
        command.Parameters.Add(new NpgsqlParameter { Value = study.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = study.Kind });
        command.Parameters.Add(new NpgsqlParameter { Value = study.SpecJson });
        command.Parameters.Add(new NpgsqlParameter { Value = study.KeySalt });
        command.Parameters.Add(new NpgsqlParameter { Value = study.KeyHash });
        command.Parameters.Add(new NpgsqlParameter { Value = (decimal)study.Seed });
        command.Parameters.Add(new NpgsqlParameter { Value = study.Created.ToUniversalTime() });
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new StudyExistsException(study.Id);
        }
        catch (NpgsqlException ex) when (Broken(ex))
        {
            _source.Clear(); // not retried: a write that failed may or may not have committed; the caller is told it failed
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredStudy>> ListStudiesAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _source.CreateCommand("SELECT id, kind, spec, key_salt, key_hash, seed, created FROM tandem_studies ORDER BY id");
        await using var reader = await ReaderAsync(command, cancellationToken).ConfigureAwait(false);
        var studies = new List<StoredStudy>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            studies.Add(new StoredStudy(reader.GetString(0), reader.GetString(1), reader.GetString(2), (byte[])reader[3], (byte[])reader[4],
                (ulong)reader.GetDecimal(5), new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero)));
        }
        return studies;
    }

    /// <inheritdoc />
    public async Task AppendAsync(string studyId, IReadOnlyList<StudyEvent> events, StoredSnapshot? snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        try
        {
            await AppendOnceAsync(studyId, events, snapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (Broken(ex))
        {
            _source.Clear(); // not retried (the group is answered 503 and the writer reloads); the next use gets fresh connections
            throw;
        }
    }

    private async Task AppendOnceAsync(string studyId, IReadOnlyList<StudyEvent> events, StoredSnapshot? snapshot, CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // One round trip for the group: a batch of inserts inside the transaction.
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            foreach (StudyEvent e in events)
            {
                var insert = new NpgsqlBatchCommand(
                    "INSERT INTO tandem_events(study, seq, type, decision_seq, request_id, subject, reward, model_version, body, aux) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
                insert.Parameters.Add(new NpgsqlParameter { Value = studyId });
                insert.Parameters.Add(new NpgsqlParameter { Value = e.Sequence });
                insert.Parameters.Add(new NpgsqlParameter { Value = (short)e.Type });
                insert.Parameters.Add(new NpgsqlParameter { Value = e.DecisionSequence });
                insert.Parameters.Add(new NpgsqlParameter { Value = (object?)e.RequestId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                insert.Parameters.Add(new NpgsqlParameter { Value = (object?)e.Subject ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                insert.Parameters.Add(new NpgsqlParameter { Value = e.Reward is { } r ? r : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Double });
                insert.Parameters.Add(new NpgsqlParameter { Value = e.ModelVersion });
                insert.Parameters.Add(new NpgsqlParameter { Value = e.Body });
                insert.Parameters.Add(new NpgsqlParameter { Value = (object?)e.Aux ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                batch.BatchCommands.Add(insert);
            }
            if (snapshot is not null)
            {
                var insert = new NpgsqlBatchCommand(
                    "INSERT INTO tandem_snapshots(study, event_seq, model_version, state) VALUES($1, $2, $3, $4) ON CONFLICT (study, event_seq) DO UPDATE SET model_version = EXCLUDED.model_version, state = EXCLUDED.state");
                insert.Parameters.Add(new NpgsqlParameter { Value = studyId });
                insert.Parameters.Add(new NpgsqlParameter { Value = snapshot.EventSequence });
                insert.Parameters.Add(new NpgsqlParameter { Value = snapshot.ModelVersion });
                insert.Parameters.Add(new NpgsqlParameter { Value = snapshot.StateJson });
                batch.BatchCommands.Add(insert);
            }
            if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<StoredSnapshot?> LoadSnapshotAsync(string studyId, CancellationToken cancellationToken = default)
    {
        await using var command = _source.CreateCommand("SELECT event_seq, model_version, state FROM tandem_snapshots WHERE study = $1 ORDER BY event_seq DESC LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter { Value = studyId });
        await using var reader = await ReaderAsync(command, cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new StoredSnapshot(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StudyEvent> ReadEventsAsync(string studyId, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = _source.CreateCommand($"SELECT {Columns} FROM tandem_events WHERE study = $1 AND seq > $2 ORDER BY seq");
        command.Parameters.Add(new NpgsqlParameter { Value = studyId });
        command.Parameters.Add(new NpgsqlParameter { Value = afterSequence });
        await using var reader = await ReaderAsync(command, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) yield return ReadEvent(reader);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StudyEvent> ReadPendingDecisionsAsync(string studyId, long atOrBefore, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = _source.CreateCommand($"""
            SELECT {Columns} FROM tandem_events d
            WHERE d.study = $1 AND d.type = 0 AND d.seq <= $2
              AND NOT EXISTS (SELECT 1 FROM tandem_events r WHERE r.study = d.study AND r.decision_seq = d.decision_seq AND r.type = 1 AND r.seq <= $2)
            ORDER BY d.decision_seq
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = studyId });
        command.Parameters.Add(new NpgsqlParameter { Value = atOrBefore });
        await using var reader = await ReaderAsync(command, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) yield return ReadEvent(reader);
    }

    /// <inheritdoc />
    public async Task<StudyIndex> ReadIndexAsync(string studyId, CancellationToken cancellationToken = default)
    {
        var rewards = new List<(long, double)>();
        var requests = new List<(string, long)>();
        await using (var command = _source.CreateCommand("SELECT decision_seq, reward FROM tandem_events WHERE study = $1 AND type = 1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = studyId });
            await using var reader = await ReaderAsync(command, cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rewards.Add((reader.GetInt64(0), reader.GetDouble(1)));
        }
        await using (var command = _source.CreateCommand("SELECT request_id, decision_seq FROM tandem_events WHERE study = $1 AND type = 0 AND request_id IS NOT NULL"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = studyId });
            await using var reader = await ReaderAsync(command, cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) requests.Add((reader.GetString(0), reader.GetInt64(1)));
        }
        await using (var command = _source.CreateCommand(
            "SELECT COALESCE(MAX(decision_seq) FILTER (WHERE type = 0), 0), COALESCE(MAX(seq), 0) FROM tandem_events WHERE study = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = studyId });
            await using var reader = await ReaderAsync(command, cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new StudyIndex(rewards, requests, reader.GetInt64(0), reader.GetInt64(1));
        }
    }

    /// <inheritdoc />
    public async Task<StudyEvent?> ReadDecisionAsync(string studyId, long decisionSequence, CancellationToken cancellationToken = default)
    {
        await using var command = _source.CreateCommand($"SELECT {Columns} FROM tandem_events WHERE study = $1 AND decision_seq = $2 AND type = 0");
        command.Parameters.Add(new NpgsqlParameter { Value = studyId });
        command.Parameters.Add(new NpgsqlParameter { Value = decisionSequence });
        await using var reader = await ReaderAsync(command, cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEvent(reader) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LogRow>> ReadLogAsync(string studyId, long afterDecision, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = _source.CreateCommand("""
            SELECT d.decision_seq, d.body, r.reward FROM tandem_events d
            LEFT JOIN tandem_events r ON r.study = d.study AND r.decision_seq = d.decision_seq AND r.type = 1
            WHERE d.study = $1 AND d.type = 0 AND d.decision_seq > $2
            ORDER BY d.decision_seq LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = studyId });
        command.Parameters.Add(new NpgsqlParameter { Value = afterDecision });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        await using var reader = await ReaderAsync(command, cancellationToken).ConfigureAwait(false);
        var rows = new List<LogRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            rows.Add(new LogRow(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetDouble(2)));
        return rows;
    }

    /// <summary>Close the connection pool.</summary>
    public void Dispose() => _source.Dispose();

    /// <summary>Run a read; when it fails on a connection the server closed (a restart, an administrator's termination: the
    /// pool still holds such connections, and each fails on its next use), empty the pool and run it once more. Reads are
    /// safe to repeat.</summary>
    private async Task<NpgsqlDataReader> ReaderAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (Broken(ex))
        {
            _source.Clear();
            return await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A failure of the connection rather than of the statement: an I/O error, or the server's "connection
    /// exception" (08) and "operator intervention" (57P) classes.</summary>
    private static bool Broken(NpgsqlException ex) =>
        ex is PostgresException pg ? pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) : true;

    private const string Columns = "seq, type, decision_seq, request_id, subject, reward, model_version, body, aux";

    private static StudyEvent ReadEvent(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), (StudyEventType)reader.GetInt16(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetDouble(5), reader.GetInt64(6), reader.GetString(7),
        reader.IsDBNull(8) ? null : reader.GetString(8));
}
