namespace EmbedPS.Core.Artifacts;

/// <summary>
/// Synchronous by design: Parquet.Net's API is async-first, and EmbedPS calls it through these helpers only. Every caller is a
/// synchronous, CPU-bound stage run from a cmdlet's pipeline thread (a binary cmdlet's ProcessRecord is synchronous, and it
/// writes to the pipeline from that thread), on local files; an async core would make every stage async for no concurrency
/// gain. No synchronization context is installed on those threads, so blocking here cannot deadlock.
/// </summary>
internal static class ParquetSync
{
    /// <summary>The result of a Parquet.Net task, waiting for it.</summary>
    public static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    /// <summary>Waits for a Parquet.Net task.</summary>
    public static void Wait(Task task) => task.GetAwaiter().GetResult();

    /// <summary>The result of a Parquet.Net value task (through a Task when it has not completed yet, as a ValueTask may not be waited on).</summary>
    public static T Wait<T>(ValueTask<T> task) => task.IsCompleted ? task.GetAwaiter().GetResult() : task.AsTask().GetAwaiter().GetResult();

    /// <summary>Waits for a Parquet.Net value task.</summary>
    public static void Wait(ValueTask task)
    {
        if (task.IsCompleted) task.GetAwaiter().GetResult();
        else task.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Disposes a Parquet.Net reader or writer.</summary>
    public static void Dispose(IAsyncDisposable disposable) => Wait(disposable.DisposeAsync());

    /// <summary>A <c>using</c> scope that disposes a Parquet.Net reader or writer synchronously.</summary>
    public static Scope Using(IAsyncDisposable disposable) => new(disposable);

    public readonly struct Scope(IAsyncDisposable disposable) : IDisposable
    {
        public void Dispose() => ParquetSync.Dispose(disposable);
    }
}
