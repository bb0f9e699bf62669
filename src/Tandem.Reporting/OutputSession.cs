namespace Tandem.Reporting;

/// <summary>
/// One command's hold on its output folder (issue 15, defect 11): a lock so two runs cannot write one folder
/// at once, an <c>INCOMPLETE</c> marker while the run works, and a staging folder whose files are moved in
/// (each by an atomic rename) only when the run has finished, so a killed run never leaves one run's summary
/// beside another run's report without saying so. Files that a run writes while it works (audit logs,
/// cassettes, the decision log) go to <see cref="Folder"/> directly.
/// </summary>
/// <remarks>Not thread-safe: one command owns it. The lock is an exclusive lock on <c>.tandem.lock</c> in the
/// folder (flock on Linux), released when the session is disposed or the process dies.</remarks>
public sealed class OutputSession : IDisposable
{
    /// <summary>The marker's file name.</summary>
    public const string IncompleteMarker = "INCOMPLETE";

    private const string LockName = ".tandem.lock";
    private readonly FileStream _lock;
    private bool _committed;

    private OutputSession(string folder, FileStream lockStream, string staging)
    {
        Folder = folder;
        _lock = lockStream;
        Staging = staging;
    }

    /// <summary>The output folder (full path).</summary>
    public string Folder { get; }

    /// <summary>Where the final files are written before <see cref="Commit"/> moves them into <see cref="Folder"/>.</summary>
    public string Staging { get; }

    /// <summary>
    /// Create and lock <paramref name="path"/>, mark it incomplete and open a staging folder inside it.
    /// Throws <see cref="IOException"/> naming the folder when it cannot be written or another run holds it.
    /// </summary>
    public static OutputSession Begin(string path)
    {
        string folder = OutputFolder.Prepare(path);
        FileStream lockStream;
        try
        {
            lockStream = new FileStream(Path.Combine(folder, LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"Output folder '{folder}' is in use by another tandem run (it holds {LockName}); choose another --out or wait for it to finish.", ex);
        }
        try
        {
            File.WriteAllText(Path.Combine(folder, IncompleteMarker),
                "A tandem run is writing this folder, or one was stopped before it finished: the files here may mix runs.\n");
            string staging = Path.Combine(folder, ".staging-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            Directory.CreateDirectory(staging);
            return new OutputSession(folder, lockStream, staging);
        }
        catch
        {
            lockStream.Dispose();
            throw;
        }
    }

    /// <summary>The staging path of a final file.</summary>
    public string StagedFile(string name) => Path.Combine(Staging, name);

    /// <summary>Move every staged file into the folder (replacing older ones), then remove the marker.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        foreach (string file in Directory.EnumerateFiles(Staging, "*", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal))
        {
            File.Move(file, Path.Combine(Folder, Path.GetFileName(file)), overwrite: true);
        }
        Directory.Delete(Staging, recursive: true);
        File.Delete(Path.Combine(Folder, IncompleteMarker));
        _committed = true;
    }

    /// <summary>Release the lock; without <see cref="Commit"/> the staged files are discarded and the marker stays.</summary>
    public void Dispose()
    {
        if (!_committed)
        {
            try { if (Directory.Exists(Staging)) Directory.Delete(Staging, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        _committed = true;
        _lock.Dispose();
    }
}
