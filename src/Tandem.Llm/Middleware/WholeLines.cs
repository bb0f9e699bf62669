namespace Tandem.Llm.Middleware;

/// <summary>Appends whole lines to a record file (cassette, audit log): a line that cannot be written completely is
/// cut back off the file, so a full disk never leaves a torn line behind (issue 15, defect 7).</summary>
internal static class WholeLines
{
    /// <summary>Append <paramref name="line"/> (ending with a newline) at the end of <paramref name="file"/> and flush.
    /// On failure the file is cut back to its length before, where it can be, and the failure is returned; null on success.
    /// The caller holds the file's lock.</summary>
    public static Exception? TryAppend(FileStream file, ReadOnlySpan<byte> line)
    {
        long before = -1;
        try
        {
            if (file.CanSeek)
            {
                before = file.Length;
                file.Seek(before, SeekOrigin.Begin);
            }
            file.Write(line);
            file.Flush();
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            try
            {
                if (before >= 0) file.SetLength(before);
            }
            catch (Exception cut) when (cut is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                // A torn line may stay behind; readers skip and cut a torn last line (CassetteStore.TornTail).
            }
            return ex;
        }
    }
}
