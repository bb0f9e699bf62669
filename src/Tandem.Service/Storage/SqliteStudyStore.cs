using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Tandem.Service.Storage;

/// <summary>How hard SQLite pushes a commit to the disk.</summary>
public enum CommitDurability
{
    /// <summary><c>synchronous=FULL</c>: the write-ahead log is fsynced at every commit, so an acknowledged event
    /// survives a process kill, a kernel crash and a power cut. The default.</summary>
    Full,

    /// <summary><c>synchronous=NORMAL</c>: in WAL mode a commit is written to the log but fsynced only at checkpoints.
    /// An acknowledged event survives a process kill (kill -9: the operating system still has the pages) but the last
    /// commits may be lost to a power cut or a kernel crash.</summary>
    Normal,
}

/// <summary>
/// The embedded store: one SQLite file (<c>tandem.db</c> under the data folder) in WAL mode, so readers (the log
/// endpoint) never block the writers and the writers' commits are appends to the log. Each call opens a pooled
/// connection; one study's appends come from its writer in order, different studies' appends serialize on SQLite's
/// single write lock (each is one short transaction of a whole group of events).
/// </summary>
public sealed class SqliteStudyStore : IStudyStore
{
    private readonly string _connectionString;
    private readonly string _synchronous;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Appender> _appenders = new(StringComparer.Ordinal);

    /// <summary>Open (creating when missing) the store in <paramref name="directory"/>.</summary>
    public SqliteStudyStore(string directory, CommitDurability durability = CommitDurability.Full)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), "tandem.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _synchronous = durability == CommitDurability.Full ? "FULL" : "NORMAL";
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS studies(
              id TEXT PRIMARY KEY, kind TEXT NOT NULL, spec TEXT NOT NULL, key_salt BLOB NOT NULL, key_hash BLOB NOT NULL,
              seed TEXT NOT NULL, created TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS events(
              study TEXT NOT NULL, seq INTEGER NOT NULL, type INTEGER NOT NULL, decision_seq INTEGER NOT NULL,
              request_id TEXT NULL, subject TEXT NULL, reward REAL NULL, model_version INTEGER NOT NULL, body TEXT NOT NULL, aux TEXT NULL,
              PRIMARY KEY(study, seq)) WITHOUT ROWID;
            CREATE UNIQUE INDEX IF NOT EXISTS events_decision ON events(study, decision_seq, type) WHERE type < 2;
            CREATE UNIQUE INDEX IF NOT EXISTS events_request ON events(study, request_id) WHERE request_id IS NOT NULL;
            CREATE TABLE IF NOT EXISTS snapshots(
              study TEXT NOT NULL, event_seq INTEGER NOT NULL, model_version INTEGER NOT NULL, state TEXT NOT NULL,
              PRIMARY KEY(study, event_seq)) WITHOUT ROWID;
            """);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public async Task CreateStudyAsync(StoredStudy study, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO studies(id, kind, spec, key_salt, key_hash, seed, created) VALUES($id, $kind, $spec, $salt, $hash, $seed, $created)";
        command.Parameters.AddWithValue("$id", study.Id);
        command.Parameters.AddWithValue("$kind", study.Kind);
        command.Parameters.AddWithValue("$spec", study.SpecJson);
        command.Parameters.AddWithValue("$salt", study.KeySalt);
        command.Parameters.AddWithValue("$hash", study.KeyHash);
        command.Parameters.AddWithValue("$seed", study.Seed.ToString(CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$created", study.Created.ToString("O", CultureInfo.InvariantCulture));
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19) // SQLITE_CONSTRAINT: the primary key
        {
            throw new StudyExistsException(study.Id);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredStudy>> ListStudiesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, kind, spec, key_salt, key_hash, seed, created FROM studies ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var studies = new List<StoredStudy>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            studies.Add(new StoredStudy(reader.GetString(0), reader.GetString(1), reader.GetString(2), (byte[])reader[3], (byte[])reader[4],
                ulong.Parse(reader.GetString(5), CultureInfo.InvariantCulture), DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture)));
        }
        return studies;
    }

    /// <inheritdoc />
    public Task AppendAsync(string studyId, IReadOnlyList<StudyEvent> events, StoredSnapshot? snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        Appender appender = _appenders.GetOrAdd(studyId, id => new Appender(Open(), id));
        lock (appender)
        {
            // Synchronous on purpose: SQLite has no asynchronous I/O, and the caller is the study's own writer loop.
            appender.Append(events, snapshot);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<StoredSnapshot?> LoadSnapshotAsync(string studyId, CancellationToken cancellationToken = default)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT event_seq, model_version, state FROM snapshots WHERE study = $study ORDER BY event_seq DESC LIMIT 1";
        command.Parameters.AddWithValue("$study", studyId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        return new StoredSnapshot(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StudyEvent> ReadEventsAsync(string studyId, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, type, decision_seq, request_id, subject, reward, model_version, body, aux FROM events WHERE study = $study AND seq > $after ORDER BY seq";
        command.Parameters.AddWithValue("$study", studyId);
        command.Parameters.AddWithValue("$after", afterSequence);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) yield return ReadEvent(reader);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StudyEvent> ReadPendingDecisionsAsync(string studyId, long atOrBefore, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT d.seq, d.type, d.decision_seq, d.request_id, d.subject, d.reward, d.model_version, d.body, d.aux FROM events d
            WHERE d.study = $study AND d.type = 0 AND d.seq <= $at
              AND NOT EXISTS (SELECT 1 FROM events r WHERE r.study = d.study AND r.decision_seq = d.decision_seq AND r.type = 1 AND r.seq <= $at)
            ORDER BY d.decision_seq
            """;
        command.Parameters.AddWithValue("$study", studyId);
        command.Parameters.AddWithValue("$at", atOrBefore);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) yield return ReadEvent(reader);
    }

    /// <inheritdoc />
    public async Task<StudyIndex> ReadIndexAsync(string studyId, CancellationToken cancellationToken = default)
    {
        await using var connection = Open();
        var rewards = new List<(long, double)>();
        var requests = new List<(string, long)>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT decision_seq, reward FROM events WHERE study = $study AND type = 1";
            command.Parameters.AddWithValue("$study", studyId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rewards.Add((reader.GetInt64(0), reader.GetDouble(1)));
        }
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT request_id, decision_seq FROM events WHERE study = $study AND type = 0 AND request_id IS NOT NULL";
            command.Parameters.AddWithValue("$study", studyId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) requests.Add((reader.GetString(0), reader.GetInt64(1)));
        }
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COALESCE(MAX(decision_seq), 0), (SELECT COALESCE(MAX(seq), 0) FROM events WHERE study = $study) FROM events WHERE study = $study AND type = 0";
            command.Parameters.AddWithValue("$study", studyId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new StudyIndex(rewards, requests, reader.GetInt64(0), reader.GetInt64(1));
        }
    }

    /// <inheritdoc />
    public async Task<StudyEvent?> ReadDecisionAsync(string studyId, long decisionSequence, CancellationToken cancellationToken = default)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, type, decision_seq, request_id, subject, reward, model_version, body, aux FROM events WHERE study = $study AND decision_seq = $decision AND type = 0";
        command.Parameters.AddWithValue("$study", studyId);
        command.Parameters.AddWithValue("$decision", decisionSequence);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEvent(reader) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LogRow>> ReadLogAsync(string studyId, long afterDecision, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT d.decision_seq, d.body, r.reward FROM events d
            LEFT JOIN events r ON r.study = d.study AND r.decision_seq = d.decision_seq AND r.type = 1
            WHERE d.study = $study AND d.type = 0 AND d.decision_seq > $after
            ORDER BY d.decision_seq LIMIT $limit
            """;
        command.Parameters.AddWithValue("$study", studyId);
        command.Parameters.AddWithValue("$after", afterDecision);
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<LogRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            rows.Add(new LogRow(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetDouble(2)));
        return rows;
    }

    /// <summary>Nothing to release but the pooled connections of this file (so it can be deleted or copied).</summary>
    public void Dispose()
    {
        foreach (Appender appender in _appenders.Values)
        {
            lock (appender) appender.Dispose();
        }
        _appenders.Clear();
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>One study's open connection and prepared insert: a commit costs the inserts and one fsync, not a
    /// connection, a pragma and a statement compilation.</summary>
    private sealed class Appender : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _insert;
        private readonly SqliteParameter _seq, _type, _decision, _request, _subject, _reward, _version, _body, _aux;
        private readonly string _study;

        public Appender(SqliteConnection connection, string study)
        {
            _connection = connection;
            _study = study;
            _insert = connection.CreateCommand();
            _insert.CommandText = "INSERT INTO events(study, seq, type, decision_seq, request_id, subject, reward, model_version, body, aux) VALUES($study, $seq, $type, $decision, $request, $subject, $reward, $version, $body, $aux)";
            _insert.Parameters.AddWithValue("$study", study);
            _seq = _insert.Parameters.Add("$seq", SqliteType.Integer);
            _type = _insert.Parameters.Add("$type", SqliteType.Integer);
            _decision = _insert.Parameters.Add("$decision", SqliteType.Integer);
            _request = _insert.Parameters.Add("$request", SqliteType.Text);
            _subject = _insert.Parameters.Add("$subject", SqliteType.Text);
            _reward = _insert.Parameters.Add("$reward", SqliteType.Real);
            _version = _insert.Parameters.Add("$version", SqliteType.Integer);
            _body = _insert.Parameters.Add("$body", SqliteType.Text);
            _aux = _insert.Parameters.Add("$aux", SqliteType.Text);
            _insert.Prepare();
        }

        public void Append(IReadOnlyList<StudyEvent> events, StoredSnapshot? snapshot)
        {
            using SqliteTransaction transaction = _connection.BeginTransaction();
            _insert.Transaction = transaction;
            foreach (StudyEvent e in events)
            {
                _seq.Value = e.Sequence;
                _type.Value = (int)e.Type;
                _decision.Value = e.DecisionSequence;
                _request.Value = (object?)e.RequestId ?? DBNull.Value;
                _subject.Value = (object?)e.Subject ?? DBNull.Value;
                _reward.Value = e.Reward is { } r ? r : DBNull.Value;
                _version.Value = e.ModelVersion;
                _body.Value = e.Body;
                _aux.Value = (object?)e.Aux ?? DBNull.Value;
                _insert.ExecuteNonQuery();
            }
            if (snapshot is not null)
            {
                using var command = _connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "INSERT OR REPLACE INTO snapshots(study, event_seq, model_version, state) VALUES($study, $seq, $version, $state)";
                command.Parameters.AddWithValue("$study", _study);
                command.Parameters.AddWithValue("$seq", snapshot.EventSequence);
                command.Parameters.AddWithValue("$version", snapshot.ModelVersion);
                command.Parameters.AddWithValue("$state", snapshot.StateJson);
                command.ExecuteNonQuery();
            }
            transaction.Commit(); // one fsync of the write-ahead log under synchronous=FULL
        }

        public void Dispose()
        {
            _insert.Dispose();
            _connection.Dispose();
        }
    }

    private static StudyEvent ReadEvent(SqliteDataReader reader) => new(
        reader.GetInt64(0), (StudyEventType)reader.GetInt32(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetDouble(5), reader.GetInt64(6), reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8));

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA synchronous=" + _synchronous + ";");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
