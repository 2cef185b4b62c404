namespace EmbedPS.Core.Common;

/// <summary>
/// How a core algorithm reports to whoever runs it. The cmdlets marshal these calls onto the
/// pipeline thread (Write-Progress, Write-Verbose, Write-Warning); tests pass <see cref="StageLog.Null"/>.
/// Implementations must be thread-safe: algorithms call them from worker threads.
/// </summary>
public interface IStageLog
{
    /// <summary>Fraction done in [0, 1] and a short status line.</summary>
    void Progress(double fraction, string status);
    void Verbose(string message);
    void Warning(string message);
}

public static class StageLog
{
    public static IStageLog Null { get; } = new NullLog();

    private sealed class NullLog : IStageLog
    {
        public void Progress(double fraction, string status) { }
        public void Verbose(string message) { }
        public void Warning(string message) { }
    }
}

/// <summary>A log that keeps every message, for tests and for summaries.</summary>
public sealed class RecordingStageLog : IStageLog
{
    private readonly object _gate = new();
    public List<string> Verbose { get; } = new();
    public List<string> Warnings { get; } = new();
    public int ProgressCount { get; private set; }

    void IStageLog.Progress(double fraction, string status) { lock (_gate) ProgressCount++; }
    void IStageLog.Verbose(string message) { lock (_gate) Verbose.Add(message); }
    void IStageLog.Warning(string message) { lock (_gate) Warnings.Add(message); }
}
