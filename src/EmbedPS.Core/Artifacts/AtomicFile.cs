namespace EmbedPS.Core.Artifacts;

/// <summary>
/// Writes a file so that readers only ever see the old file or the complete new one: the content goes
/// to a temporary file beside the target, which is renamed over it only after a successful flush.
/// A failure or cancellation deletes the temporary file and leaves the target untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Fault-injection hook for tests (a disk that fills up, a process killed mid-write): when set in the current async flow,
    /// every <see cref="Write"/> goes through the stream it returns. Null in normal use.
    /// </summary>
    public static readonly AsyncLocal<Func<Stream, Stream>?> StreamInterceptor = new();

    public static void Write(string path, Action<Stream> writeContent, CancellationToken cancellation = default)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                var target = StreamInterceptor.Value?.Invoke(stream) ?? stream;
                writeContent(target);
                cancellation.ThrowIfCancellationRequested();
                stream.Flush(flushToDisk: true);
            }
            cancellation.ThrowIfCancellationRequested();
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Builds a whole folder (a static site, say) in a temporary sibling folder and swaps it in at the end.
    /// </summary>
    public static void WriteDirectory(string path, Action<string> writeContent, CancellationToken cancellation = default)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        var old = temp + ".old";
        try
        {
            Directory.CreateDirectory(temp);
            writeContent(temp);
            cancellation.ThrowIfCancellationRequested();
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(temp, full);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            if (Directory.Exists(old) && !Directory.Exists(full)) Directory.Move(old, full);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
