using System.Diagnostics;
using System.Globalization;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Artifacts;

/// <summary>
/// Writes a file so that readers only ever see the old file or the complete new one: the content goes
/// to a temporary file beside the target, which is renamed over it only after a successful flush.
/// A failure or cancellation deletes the temporary file and leaves the target untouched.
/// The temporary file is named <c>.&lt;target&gt;.&lt;pid&gt;-&lt;random&gt;.tmp</c>; a writer that was killed (SIGKILL, power loss)
/// cannot delete its own, so the next write of the same target deletes the ones whose process no longer runs.
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
        string temp;
        try
        {
            Directory.CreateDirectory(directory);
            RemoveStaleTemporaryFiles(full);
            temp = TemporaryName(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(full, ex);
        }
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
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw CannotWrite(full, ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>The error for a target that cannot be written: it names the target, never the temporary file.</summary>
    private static EmbedPSException CannotWrite(string target, Exception ex)
    {
        var reason = ex is UnauthorizedAccessException ? "permission denied" : ex.Message.Replace(Path.GetDirectoryName(target) ?? "\0", "…", StringComparison.Ordinal);
        return new EmbedPSException("CannotWriteTarget", ex is UnauthorizedAccessException ? EmbedPSErrorKind.PermissionDenied : EmbedPSErrorKind.ResourceUnavailable,
            $"Cannot write '{target}': {reason.TrimEnd().TrimEnd('.')}.", ex) { File = target };
    }

    /// <summary>A fresh temporary name beside <paramref name="fullPath"/> that records the writing process.</summary>
    public static string TemporaryName(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath) ?? ".",
            "." + Path.GetFileName(fullPath) + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8] + ".tmp");

    /// <summary>
    /// Deletes temporary files (and folders, from <see cref="WriteDirectory"/>) of this target left by writers that no
    /// longer run (the process id in the name is not a live process, or is a live process that started after the file was
    /// last written, i.e. a reused id). A folder writer killed between its two renames leaves the previous folder as
    /// <c>…tmp.old</c> and no target: that folder is moved back into place, not deleted. Entries of live writers, and
    /// entries whose name records no process, are left alone. Returns the paths deleted or restored.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemporaryFiles(string fullPath)
    {
        var deleted = new List<string>();
        var directory = Path.GetDirectoryName(fullPath) ?? ".";
        if (!Directory.Exists(directory)) return deleted;
        var prefix = "." + Path.GetFileName(fullPath) + ".";
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFileSystemEntries(directory, prefix + "*.tmp")
                .Concat(Directory.EnumerateFileSystemEntries(directory, prefix + "*.tmp.old")).ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return deleted; }
        foreach (var entry in candidates)
        {
            var name = Path.GetFileName(entry);
            bool previous = name.EndsWith(".tmp.old", StringComparison.Ordinal);
            var middle = name[prefix.Length..^(previous ? 8 : 4)]; // "<pid>-<random>"
            int dash = middle.IndexOf('-');
            if (dash <= 0 || !int.TryParse(middle.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (middle[(dash + 1)..].Contains('.')) continue; // another target's file (".a.parquet.x" vs ".a.parquet")
            if (IsLiveOwner(pid, entry)) continue;
            if (Directory.Exists(entry))
            {
                if (previous && !Directory.Exists(fullPath) && !File.Exists(fullPath))
                {
                    try { Directory.Move(entry, fullPath); deleted.Add(entry); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                    continue;
                }
                try { Directory.Delete(entry, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                if (!Directory.Exists(entry)) deleted.Add(entry);
                continue;
            }
            TryDelete(entry);
            if (!File.Exists(entry)) deleted.Add(entry);
        }
        return deleted;
    }

    private static bool IsLiveOwner(int pid, string file)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited) return false;
            // A reused id: the live process started after the file was last written, so it cannot own it.
            var written = Directory.Exists(file) ? Directory.GetLastWriteTimeUtc(file) : File.GetLastWriteTimeUtc(file);
            try { return process.StartTime.ToUniversalTime() <= written.AddSeconds(2); }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { return true; }
        }
        catch (ArgumentException) { return false; }      // no such process
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>
    /// Builds a whole folder (a static site, say) in a temporary sibling folder and swaps it in at the end. Leftovers of a
    /// killed earlier run are cleaned first (and a previous folder it had moved aside is put back).
    /// </summary>
    public static void WriteDirectory(string path, Action<string> writeContent, CancellationToken cancellation = default)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        RemoveStaleTemporaryFiles(full);
        var temp = TemporaryName(full);
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

/// <summary>
/// The one overwrite routine of every writer (Export-Csv's rules): checked before any computation, so that a refusal costs
/// nothing; nothing on disk changes until the write itself (a read-only bit is cleared only then, and never under -WhatIf).
/// </summary>
public static class OutputTarget
{
    /// <summary>
    /// Throws a clear error naming <paramref name="fullPath"/> when it cannot be written: a directory, an existing file with
    /// <paramref name="noClobber"/>, a read-only file without <paramref name="force"/>, or a folder that cannot be created or
    /// written (checked with a probe file that deletes itself, unless <paramref name="probe"/> is false). Changes nothing.
    /// </summary>
    public static void Check(string fullPath, bool noClobber, bool force, bool probe = true, string? parameterName = null)
    {
        var what = parameterName is null ? "" : $" (-{parameterName})";
        if (Directory.Exists(fullPath))
            throw new EmbedPSException("TargetIsDirectory", EmbedPSErrorKind.InvalidArgument, $"Cannot write '{fullPath}'{what}: it is a directory; give a file path.") { File = fullPath };
        if (File.Exists(fullPath))
        {
            if (noClobber)
                throw new EmbedPSException("NoClobber", EmbedPSErrorKind.ResourceExists, $"The file '{fullPath}'{what} already exists and -NoClobber was specified.") { File = fullPath };
            if ((File.GetAttributes(fullPath) & FileAttributes.ReadOnly) != 0 && !force)
                throw new EmbedPSException("FileReadOnly", EmbedPSErrorKind.PermissionDenied, $"The file '{fullPath}'{what} is read-only; use -Force to overwrite it.") { File = fullPath };
        }
        var directory = Path.GetDirectoryName(fullPath) ?? ".";
        var existing = directory;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new EmbedPSException("TargetFolderNotWritable", EmbedPSErrorKind.InvalidArgument, $"Cannot write '{fullPath}'{what}: '{existing}' is a file, not a folder.") { File = fullPath };
            existing = Path.GetDirectoryName(existing);
            if (existing is null) break;
        }
        if (!probe || existing is null) return;
        var probeFile = Path.Combine(existing, "." + Path.GetFileName(fullPath) + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-probe.tmp");
        try
        {
            using var stream = new FileStream(probeFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(probeFile)) return; // a concurrent probe of this process: the folder is writable
            throw new EmbedPSException("TargetFolderNotWritable", EmbedPSErrorKind.PermissionDenied,
                $"Cannot write '{fullPath}'{what}: the folder '{existing}' is not writable ({(ex is UnauthorizedAccessException ? "permission denied" : ex.Message)}).", ex) { File = fullPath };
        }
    }

    /// <summary>Right before writing (after ShouldProcess said yes): check again and clear a read-only bit the user allowed with -Force.</summary>
    public static void PrepareOverwrite(string fullPath, bool noClobber, bool force)
    {
        Check(fullPath, noClobber, force, probe: false);
        if (File.Exists(fullPath))
        {
            var attributes = File.GetAttributes(fullPath);
            if ((attributes & FileAttributes.ReadOnly) != 0) File.SetAttributes(fullPath, attributes & ~FileAttributes.ReadOnly);
        }
    }
}
