using Npgsql;

namespace Tandem.Service.Orleans.Storage;

/// <summary>The embedded PostgreSQL scripts and how they are run: in one transaction that first takes a transaction-level
/// advisory lock, because PostgreSQL's <c>CREATE TABLE IF NOT EXISTS</c> is not safe against itself (two silos starting
/// together on an empty database can both pass the check, and the second fails on the catalog's unique index).</summary>
internal static class PostgresSchema
{
    /// <summary>The advisory lock key every Tandem script takes (an arbitrary constant: "Tandem" in ASCII).</summary>
    private const long LockKey = 0x54616E64656D;

    /// <summary>The embedded script <c>Storage/<paramref name="name"/></c>.</summary>
    public static string Read(string name)
    {
        using Stream stream = typeof(PostgresSchema).Assembly.GetManifestResourceStream("Tandem.Service.Orleans.Storage." + name)
            ?? throw new InvalidOperationException($"The PostgreSQL script {name} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Run <paramref name="script"/> on <paramref name="connection"/> under the lock.</summary>
    public static async Task ApplyAsync(NpgsqlConnection connection, string script, CancellationToken cancellationToken)
    {
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey}); {script}", connection, transaction))
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary><see cref="ApplyAsync"/>, synchronously (for startup code that dependency injection runs synchronously).</summary>
    public static void Apply(NpgsqlConnection connection, string script)
    {
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({LockKey}); {script}", connection, transaction))
            command.ExecuteNonQuery();
        transaction.Commit();
    }
}
