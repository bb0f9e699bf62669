namespace Tandem.Reporting;

/// <summary>Creates an experiment's output folder and checks, before any work, that it can be written.</summary>
public static class OutputFolder
{
    /// <summary>
    /// Creates <paramref name="path"/> (and its parents) if needed and checks that files can be
    /// written in it by creating and deleting a probe file.
    /// </summary>
    /// <param name="path">The folder, absolute or relative to the current directory.</param>
    /// <returns>The full path of the folder.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or only white space, or not a valid path.</exception>
    /// <exception cref="IOException">The folder cannot be created or written; the message names the full path.</exception>
    public static string Prepare(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(full);
            string probe = Path.Combine(full, $".tandem-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose))
            {
            }

            // DeleteOnClose is best effort on some file systems; make sure the probe is gone.
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new IOException($"Output folder '{full}' cannot be created or written: {ex.Message}", ex);
        }

        return full;
    }

    /// <summary>Creates the folder that will hold <paramref name="filePath"/>, if it has one.</summary>
    internal static void EnsureParent(string filePath)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(filePath));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
    }
}
