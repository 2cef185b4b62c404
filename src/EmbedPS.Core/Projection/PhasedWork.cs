using System.Runtime.ExceptionServices;

namespace EmbedPS.Core.Projection;

/// <summary>
/// Runs a long sequence of short phases (UMAP's SGD: two per round, 16 rounds an epoch) on a team of threads that lives for
/// the whole sequence: phase p starts when every part of phase p − 1 is done. Each worker first takes its own share of a
/// phase's parts (worker w of W: parts [w·K/W, (w + 1)·K/W) — the same data on the same core from phase to phase), then helps
/// with any part not yet taken. A worker that runs out of parts waits for the next phase, spinning for a while before it
/// blocks; a worker that the operating system has descheduled takes no parts, so the others are not held up by it (as they
/// would be at a barrier with fixed shares).
/// </summary>
internal sealed class PhasedWork
{
    /// <summary>How long a waiter spins before it blocks, in stopwatch ticks (about 200 µs: longer than a phase usually waits).</summary>
    private static readonly long s_spinTicks = System.Diagnostics.Stopwatch.Frequency / 5_000;

    private readonly int _workers;
    private readonly long _phases;
    private readonly Func<long, int> _partsOf;
    private readonly Action<int, long, int> _run;
    private readonly object _gate = new();
    /// <summary>Per phase parity: the next part to offer helpers, tagged with the phase in the high 32 bits.</summary>
    private readonly long[] _cursor = new long[2];
    /// <summary>Per phase parity and part: 2p while part k of phase p is free, 2p + 1 once taken.</summary>
    private readonly long[][] _claims = new long[2][];
    /// <summary>Parts done and parts in all, of the phases with even and odd numbers.</summary>
    private readonly int[] _done = new int[2], _parts = new int[2];
    /// <summary>The phase that has begun (all phases done: <see cref="_phases"/>).</summary>
    private long _phase = -1;
    private volatile bool _aborted;

    private PhasedWork(int workers, long phases, Func<long, int> partsOf, Action<int, long, int> run)
    {
        _workers = workers;
        _phases = phases;
        _partsOf = partsOf;
        _run = run;
        _claims[0] = new long[64]; _claims[1] = new long[64];
    }

    /// <summary>
    /// Runs phases 0 … <paramref name="phases"/> − 1 on <paramref name="workers"/> threads (this one is worker 0): phase p has
    /// <paramref name="partsOf"/>(p) parts (asked when p begins, after every part of p − 1 is done), part k runs as
    /// <paramref name="run"/>(worker, p, k). <paramref name="onPhase"/>(p) is called on this thread as it comes to phase p
    /// (for progress and cancellation). The first failure stops the others and is rethrown.
    /// </summary>
    public static void Run(int workers, long phases, Func<long, int> partsOf, Action<int, long, int> run, Action<long>? onPhase = null)
    {
        if (phases <= 0) return;
        var work = new PhasedWork(workers, phases, partsOf, run);
        var failures = new Exception?[workers];
        void Body(int worker)
        {
            try { work.Work(worker, worker == 0 ? onPhase : null); }
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

    private void Work(int worker, Action<long>? onPhase)
    {
        for (long phase = 0; phase < _phases; phase++)
        {
            if (_aborted) throw new AbortedException();
            onPhase?.Invoke(phase);
            WaitFor(phase);
            if (Volatile.Read(ref _phase) != phase) continue; // a phase without parts, skipped
            int slot = (int)(phase & 1), parts = _parts[slot];
            // Own share first, then any part still free.
            for (int part = (int)((long)parts * worker / _workers), end = (int)((long)parts * (worker + 1) / _workers); part < end; part++)
                TryRun(worker, phase, slot, part);
            while (true)
            {
                long cursor = Volatile.Read(ref _cursor[slot]);
                if (cursor >> 32 != phase || (int)cursor >= parts) break;
                if (Interlocked.CompareExchange(ref _cursor[slot], cursor + 1, cursor) != cursor) continue;
                TryRun(worker, phase, slot, (int)cursor);
            }
        }
    }

    private void TryRun(int worker, long phase, int slot, int part)
    {
        if (Interlocked.CompareExchange(ref _claims[slot][part], 2 * phase + 1, 2 * phase) != 2 * phase) return;
        _run(worker, phase, part);
        if (Interlocked.Increment(ref _done[slot]) == _parts[slot]) Begin(phase + 1);
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
            if (_claims[slot].Length < parts) _claims[slot] = new long[Math.Max(2 * _claims[slot].Length, parts)];
            _claims[slot].AsSpan(0, parts).Fill(2 * phase);
            _parts[slot] = parts;
            _done[slot] = 0;
            Volatile.Write(ref _cursor[slot], phase << 32);
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
