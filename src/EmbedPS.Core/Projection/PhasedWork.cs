using System.Runtime.ExceptionServices;

namespace EmbedPS.Core.Projection;

/// <summary>
/// Runs a long sequence of short phases (UMAP's SGD: two per round, 16 rounds an epoch) on a team of threads that lives for
/// the whole sequence: phase p starts when every part of phase p − 1 is done, and any worker may run any part. A worker that
/// runs out of parts waits for the next phase, spinning for a few tens of microseconds before it blocks; a worker that the
/// operating system has descheduled simply takes no parts, so the others are not held up by it (as they would be at a
/// barrier with fixed shares).
/// </summary>
internal sealed class PhasedWork
{
    /// <summary>How long a waiter spins before it blocks, in stopwatch ticks (about 20 µs).</summary>
    private static readonly long s_spinTicks = System.Diagnostics.Stopwatch.Frequency / 50_000;

    private readonly long _phases;
    private readonly Func<long, int> _partsOf;
    private readonly Action<long, int> _run;
    private readonly object _gate = new();
    /// <summary>The current phase in the high 32 bits, its next part in the low 32.</summary>
    private long _next;
    /// <summary>Parts done and parts in all, of the phases with even and odd numbers.</summary>
    private readonly int[] _done = new int[2], _parts = new int[2];
    /// <summary>The phase that has begun (all phases done: <see cref="_phases"/>).</summary>
    private long _phase = -1;
    private volatile bool _aborted;

    private PhasedWork(long phases, Func<long, int> partsOf, Action<long, int> run)
    {
        _phases = phases;
        _partsOf = partsOf;
        _run = run;
    }

    /// <summary>
    /// Runs phases 0 … <paramref name="phases"/> − 1 on <paramref name="workers"/> threads (this one included): phase p has
    /// <paramref name="partsOf"/>(p) parts (asked when p begins, after every part of p − 1 is done), part k runs as
    /// <paramref name="run"/>(p, k). <paramref name="onPhase"/>(p) is called on this thread as it comes to phase p (for
    /// progress and cancellation). The first failure stops the others and is rethrown.
    /// </summary>
    public static void Run(int workers, long phases, Func<long, int> partsOf, Action<long, int> run, Action<long>? onPhase = null)
    {
        if (phases <= 0) return;
        var work = new PhasedWork(phases, partsOf, run);
        var failures = new Exception?[workers];
        void Body(int worker)
        {
            try { work.Work(worker == 0 ? onPhase : null); }
            catch (Exception e)
            {
                failures[worker] = e;
                work.Abort();
            }
        }
        work.Begin(0);
        var threads = new Thread[workers - 1];
        for (int w = 1; w < workers; w++)
        {
            int worker = w;
            threads[w - 1] = new Thread(() => Body(worker)) { IsBackground = true, Name = $"EmbedPS worker {w}" };
            threads[w - 1].Start();
        }
        Body(0);
        foreach (var thread in threads) thread.Join();
        // The failure that caused the abort, not the aborts it caused.
        var first = failures.FirstOrDefault(f => f is not null and not AbortedException) ?? failures.FirstOrDefault(f => f is not null);
        if (first is not null) ExceptionDispatchInfo.Capture(first).Throw();
    }

    private void Work(Action<long>? onPhase)
    {
        for (long phase = 0; phase < _phases; phase++)
        {
            if (_aborted) throw new AbortedException();
            onPhase?.Invoke(phase);
            WaitFor(phase);
            int slot = (int)(phase & 1);
            while (true)
            {
                long next = Volatile.Read(ref _next);
                if (next >> 32 != phase) break;
                int part = (int)next;
                if (part >= _parts[slot]) break;
                if (Interlocked.CompareExchange(ref _next, next + 1, next) != next) continue;
                _run(phase, part);
                if (Interlocked.Increment(ref _done[slot]) == _parts[slot]) Begin(phase + 1);
            }
        }
    }

    /// <summary>Begins phase <paramref name="phase"/> (skipping phases without parts) and wakes the waiters.</summary>
    private void Begin(long phase)
    {
        int parts = 0;
        for (; phase < _phases; phase++)
        {
            parts = _partsOf(phase);
            if (parts > 0) break;
        }
        if (phase < _phases)
        {
            int slot = (int)(phase & 1);
            _parts[slot] = parts;
            _done[slot] = 0;
            Volatile.Write(ref _next, phase << 32);
        }
        lock (_gate)
        {
            Volatile.Write(ref _phase, Math.Min(phase, _phases));
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits until phase <paramref name="phase"/> has begun.</summary>
    private void WaitFor(long phase)
    {
        if (Volatile.Read(ref _phase) >= phase) return;
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + s_spinTicks;
        do
        {
            for (int spin = 0; spin < 16; spin++)
            {
                if (Volatile.Read(ref _phase) >= phase) return;
                if (_aborted) throw new AbortedException();
                Thread.SpinWait(1);
            }
        }
        while (System.Diagnostics.Stopwatch.GetTimestamp() < deadline);
        lock (_gate)
        {
            while (Volatile.Read(ref _phase) < phase)
            {
                if (_aborted) throw new AbortedException();
                Monitor.Wait(_gate);
            }
        }
    }

    private void Abort()
    {
        _aborted = true;
        lock (_gate) Monitor.PulseAll(_gate);
    }

    private sealed class AbortedException : Exception
    {
        public AbortedException() : base("Another worker failed.") { }
    }
}
