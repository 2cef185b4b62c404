using System.Diagnostics;
using System.Text.Json;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Pipeline;

/// <summary>Who holds (or held) a pipeline's lock: the process, and the pipeline (its Name and data file) it runs.</summary>
public sealed record PipelineLockHolder(int ProcessId, string Host, string RunId, DateTimeOffset Started, string? Pipeline = null, string? ConfigPath = null)
{
    public override string ToString() =>
        $"{(Pipeline is null ? "" : $"pipeline '{Pipeline}'{(ConfigPath is null ? "" : $" ({ConfigPath})")}, ")}process {ProcessId} on {Host} (run {RunId}, started {Started:u})";
}

/// <summary>
/// One run of a pipeline at a time. The lock is an operating-system lock on <c>pipeline.lock</c> in the output folder (an
/// exclusive flock on Linux and macOS, a share mode on Windows): the OS drops it when the holder exits, however it exits, so
/// a run killed with SIGKILL never blocks the next one. <c>pipeline.lock.json</c> says who holds it; when it is still there
/// but the OS lock is free, the holder died without cleaning up: the lock is stale and is taken over (and reported).
/// The lock file itself is never deleted (deleting a locked file lets two processes lock two different files).
/// </summary>
public sealed class PipelineLock : IDisposable
{
    private readonly FileStream _handle;
    private readonly string _infoPath;

    private PipelineLock(FileStream handle, string infoPath, PipelineLockHolder? stale)
    {
        _handle = handle;
        _infoPath = infoPath;
        TakenOverFrom = stale;
    }

    /// <summary>The dead holder whose stale lock was taken over, or null.</summary>
    public PipelineLockHolder? TakenOverFrom { get; }

    public static string LockPath(string outputPath) => Path.Combine(outputPath, "pipeline.lock");

    /// <summary>
    /// Takes the lock or throws: <c>PipelineLocked</c> naming the live holder (its pipeline and process) when another run holds
    /// it, <c>PipelineOutputUnwritable</c> naming the folder and the real cause (permission, read-only file system, a path that
    /// is not a folder) when the lock file cannot be made at all.
    /// </summary>
    public static PipelineLock Acquire(string outputPath, string pipelineName, string runId, string? configPath = null)
    {
        var path = LockPath(outputPath);
        var infoPath = path + ".json";
        FileStream handle;
        try
        {
            Directory.CreateDirectory(outputPath);
            handle = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (IsContention(ex))
        {
            // The holder writes who it is right after taking the lock: give it a moment, so the message can name it.
            var holder = ReadHolder(infoPath);
            for (int attempt = 0; holder is null && attempt < 40; attempt++)
            {
                Thread.Sleep(50);
                holder = ReadHolder(infoPath);
            }
            bool samePipeline = holder?.Pipeline is null || holder.Pipeline == pipelineName;
            var who = holder is null ? "another process" : samePipeline ? (holder with { Pipeline = null, ConfigPath = null }).ToString() : holder.ToString();
            var what = !samePipeline
                ? $"The output folder '{outputPath}' is in use: {who} holds the lock '{path}'. The pipeline '{pipelineName}' was refused and changed nothing"
                : $"The pipeline '{pipelineName}' is already running: {who} holds the lock '{path}'. This run was refused and changed nothing";
            throw new EmbedPSException("PipelineLocked", EmbedPSErrorKind.ResourceUnavailable,
                what + "; try again when that run has finished.", ex) { File = path };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw Unwritable(outputPath, path, ex);
        }
        var stale = ReadHolder(infoPath);
        var mine = new PipelineLockHolder(Environment.ProcessId, Environment.MachineName, runId, DateTimeOffset.UtcNow, pipelineName, configPath);
        try
        {
            Artifacts.AtomicFile.Write(infoPath, s => JsonSerializer.Serialize(s, mine));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EmbedPSException)
        {
            handle.Dispose();
            throw Unwritable(outputPath, infoPath, ex is EmbedPSException { InnerException: { } inner } ? inner : ex);
        }
        return new PipelineLock(handle, infoPath, stale);
    }

    /// <summary>
    /// True only for "another open file holds the lock": EWOULDBLOCK from flock on Linux (11) and macOS (35), a sharing or lock
    /// violation on Windows. Every other failure (read-only file system, permission, missing folder) has a cause of its own.
    /// </summary>
    private static bool IsContention(IOException ex) =>
        ex.GetType() == typeof(IOException) && (ex.HResult & 0xFFFF) switch
        {
            11 when OperatingSystem.IsLinux() => true,
            35 when OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() => true,
            0x20 or 0x21 when OperatingSystem.IsWindows() => true,   // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
            _ => false,
        };

    private static EmbedPSException Unwritable(string outputPath, string file, Exception ex)
    {
        // The nearest part of the path that exists says more than the exception: a file where a folder should be, say.
        var existing = Path.GetFullPath(outputPath);
        while (existing is not null && !Directory.Exists(existing) && !File.Exists(existing)) existing = Path.GetDirectoryName(existing);
        var cause = ex switch
        {
            _ when existing is not null && File.Exists(existing) => $"'{existing}' is a file, not a folder",
            UnauthorizedAccessException => "permission denied",
            DirectoryNotFoundException => "a folder on the path does not exist",
            IOException io when (io.HResult & 0xFFFF) == 30 && !OperatingSystem.IsWindows() => "the file system is read-only",
            IOException io when (io.HResult & 0xFFFF) == 20 && !OperatingSystem.IsWindows() => "a part of the path is a file, not a folder",
            IOException io when (io.HResult & 0xFFFF) == 28 && !OperatingSystem.IsWindows() => "no space left on the device",
            _ => ex.Message,
        };
        return new EmbedPSException("PipelineOutputUnwritable",
            ex is UnauthorizedAccessException ? EmbedPSErrorKind.PermissionDenied : EmbedPSErrorKind.ResourceUnavailable,
            $"Cannot write to the output folder '{outputPath}' ({cause}): '{file}' could not be created. Nothing was run; " +
            "make OutputPath a folder this user can write to.", ex) { File = file };
    }

    private static PipelineLockHolder? ReadHolder(string infoPath)
    {
        try { return File.Exists(infoPath) ? JsonSerializer.Deserialize<PipelineLockHolder>(File.ReadAllText(infoPath)) : null; }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }

    public void Dispose()
    {
        try { File.Delete(_infoPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _handle.Dispose();
    }
}

/// <summary>
/// The served folder: a link <c>latest</c> in the output folder that points at the current run's folder. Switching it is one
/// atomic step on Linux and macOS: a new symbolic link is made beside it and renamed over it (rename(2)), so a web server
/// serving <c>latest/atlas</c> sees the old run or the new one, never a mix and never nothing. On Windows the link is a
/// symbolic link replaced by delete-then-rename (a window of microseconds in which the path does not exist).
/// </summary>
public static class LatestLink
{
    public const string Name = "latest";

    /// <summary>The run folder <c>latest</c> points at, or null when there is none yet.</summary>
    public static string? Target(string outputPath)
    {
        var link = Path.Combine(outputPath, Name);
        var info = new DirectoryInfo(link);
        if (info.LinkTarget is null) return null;
        var target = Path.GetFullPath(Path.Combine(outputPath, info.LinkTarget));
        return Directory.Exists(target) ? target : null;
    }

    /// <summary>Points <c>latest</c> at <paramref name="runFolder"/> (a folder inside <paramref name="outputPath"/>) in one step.</summary>
    public static void Switch(string outputPath, string runFolder)
    {
        var link = Path.Combine(outputPath, Name);
        if (Directory.Exists(link) && new DirectoryInfo(link).LinkTarget is null)
            throw new EmbedPSException("LatestNotALink", EmbedPSErrorKind.InvalidData,
                $"'{link}' is a real folder, not the link Invoke-EmbeddingPipeline maintains; move it away so the served atlas can be switched.") { File = link };
        var relative = Path.GetRelativePath(outputPath, runFolder);
        var temp = Path.Combine(outputPath, $".{Name}.{Guid.NewGuid():N}.tmp");
        Directory.CreateSymbolicLink(temp, relative);
        try
        {
            if (OperatingSystem.IsWindows())
            {
                if (Directory.Exists(link) || File.Exists(link)) Directory.Delete(link);
                Directory.Move(temp, link);
            }
            else if (rename(temp, link) != 0)
            {
                throw new IOException($"rename('{temp}', '{link}') failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}.");
            }
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int rename(string oldPath, string newPath);
}

/// <summary>
/// Test hooks, read from the environment variable <c>EMBEDPS_PIPELINE_FAULT</c> as <c>mode:stage</c>: <c>fail</c> throws at the
/// start of the stage, <c>diskfull</c> makes the stage's artifact write throw halfway ("No space left on device"), <c>hang</c>
/// writes part of the artifact and then waits (so a test can kill the process mid-write), <c>slow</c> waits 5 seconds when the run
/// reaches the stage, run or reused, and then goes on normally (so that two runs overlap). Unset in normal use.
/// </summary>
public sealed record PipelineFault(string Mode, string Stage)
{
    public const string Variable = "EMBEDPS_PIPELINE_FAULT";

    public static PipelineFault? FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.Split(':', 2);
        if (parts.Length != 2 || parts[0] is not ("fail" or "diskfull" or "hang" or "slow"))
            throw new EmbedPSException("BadFaultSpec", EmbedPSErrorKind.InvalidArgument, $"{Variable} must be fail:<stage>, diskfull:<stage>, hang:<stage> or slow:<stage>, not '{text}'.");
        return new PipelineFault(parts[0], parts[1]);
    }

    /// <summary>Arms the fault for the stage about to run (a no-op for other stages).</summary>
    public void Arm(string stage, CancellationToken cancellation = default)
    {
        if (!string.Equals(stage, Stage, StringComparison.OrdinalIgnoreCase)) return;
        if (Mode == "slow") return;
        if (Mode == "fail")
            throw new EmbedPSException("InjectedFault", EmbedPSErrorKind.ResourceUnavailable, $"Injected failure in stage '{stage}' ({Variable}).");
        Artifacts.AtomicFile.StreamInterceptor.Value = inner => new FaultStream(inner, Mode == "hang");
    }

    /// <summary>The <c>slow</c> fault: waits when the run reaches the stage, whether it runs or is reused.</summary>
    public void Reach(string stage, CancellationToken cancellation)
    {
        if (Mode == "slow" && string.Equals(stage, Stage, StringComparison.OrdinalIgnoreCase))
            Task.Delay(TimeSpan.FromSeconds(5), cancellation).GetAwaiter().GetResult();
    }

    public static void Disarm() => Artifacts.AtomicFile.StreamInterceptor.Value = null;

    /// <summary>Passes the first 1,024 bytes through, then throws (disk full) or flushes and waits (hang).</summary>
    private sealed class FaultStream(Stream inner, bool hang) : Stream
    {
        private long _written;
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > 1024)
            {
                int part = (int)Math.Max(0, 1024 - _written);
                inner.Write(buffer[..part]);
                _written += part;
                if (!hang) throw new IOException("No space left on device (injected by " + Variable + ").");
                inner.Flush();
                Thread.Sleep(TimeSpan.FromMinutes(10));
                throw new IOException("Injected hang ended.");
            }
            inner.Write(buffer);
            _written += buffer.Length;
        }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) { Write(buffer, offset, count); return Task.CompletedTask; }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) { Write(buffer.Span); return ValueTask.CompletedTask; }
        public override Task FlushAsync(CancellationToken cancellationToken) { inner.Flush(); return Task.CompletedTask; }
    }
}
