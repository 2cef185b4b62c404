using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Cooccurrence;

/// <summary>Per-thread working memory of the row-by-row accumulation (Gustavson's sparse accumulator).</summary>
internal sealed class RowScratch
{
    public RowScratch(int entityCount)
    {
        Acc = new double[entityCount];
        Mark = new int[entityCount];
        Touched = new int[entityCount];
    }

    /// <summary>
    /// Dense accumulator over partners; all zero between rows. Double precision, so that counts stay exact far beyond
    /// float32's 2^24 = 16,777,216 (where x + 1f == x); the stored weight is the sum rounded once to float32.
    /// </summary>
    public readonly double[] Acc;
    /// <summary>Mark[j] == Stamp when j is already in <see cref="Touched"/> for the current row.</summary>
    public readonly int[] Mark;
    /// <summary>The current row's partners in discovery order (first <see cref="Count"/> entries).</summary>
    public readonly int[] Touched;
    public int Count;
    public int Stamp;
    /// <summary>Per-thread partial counts of lower partners (summed after the symbolic pass, so no atomics).</summary>
    public int[]? LowerCounts;
    /// <summary>Per-thread integer counts of a dense row of unit weights (<see cref="RowSource.UnitWeights"/>); all zero between rows.</summary>
    public int[]? Counts;
    /// <summary>Per-thread byte marks of a dense row's partners in the counting pass; all zero between rows.</summary>
    public byte[]? Marks;
    public int[]? HeapColumns;
    public float[]? HeapWeights;

    /// <summary>Starts a row. Stamps are row + 1, unique within a pass; every pass uses fresh scratch.</summary>
    public void Begin(int row)
    {
        Stamp = row + 1;
        Count = 0;
    }
}

/// <summary>
/// Produces the rows of a symmetric sparse matrix one at a time into a <see cref="RowScratch"/>.
/// Implementations are called from many threads at once and keep no mutable state of their own.
/// The contribution of (i, j) must be computed exactly like that of (j, i), in the same order, so that
/// the two triangles come out bit-identical.
/// </summary>
internal abstract class RowSource
{
    public abstract int EntityCount { get; }
    /// <summary>Cheap upper bound on row's distinct partners, from input sizes only.</summary>
    public abstract long PartnerUpperBound(int row);
    /// <summary>Puts row's distinct partners j &gt; row (the upper triangle) in Touched and their number in Count, without weights.</summary>
    public abstract void MarkUpper(int row, RowScratch scratch);
    /// <summary>
    /// Adds the weights of row's partners j &gt; row into Acc; with <paramref name="track"/>, also lists them in Touched.
    /// Without it (dense rows, collected by scanning Acc) the loop is a bare scatter-add.
    /// </summary>
    public abstract void AccumulateUpper(int row, RowScratch scratch, bool track);
    /// <summary>Puts all of row's partners (never row itself) in Touched and adds their weights into Acc; leaves Acc[row] at zero.</summary>
    public abstract void AccumulateRow(int row, RowScratch scratch);

    /// <summary>
    /// Every contribution is exactly 1 (plain counts): a dense row may then be counted in 32-bit integers
    /// (<see cref="CountUpper"/>), exact up to 2^31 and half the accumulator's cache footprint; the stored weight, the count
    /// rounded once to float32, is the same as from the double accumulator.
    /// </summary>
    public virtual bool UnitWeights => false;
    /// <summary>With <see cref="UnitWeights"/>: adds 1 to Counts[j] for every contribution of a partner j &gt; row (a bare scatter).</summary>
    public virtual void CountUpper(int row, RowScratch scratch) => throw new NotSupportedException();
    /// <summary>Contributions above the diagonal (with repeats): what <see cref="MarkUpper"/> would walk; 0 when not cheaply known.</summary>
    public virtual long UpperWork(int row) => 0;
    /// <summary>Sets marks[j] = 1 for every partner j &gt; row (a bare scatter); only called where <see cref="UpperWork"/> is positive.</summary>
    public virtual void MarkUpperDense(int row, byte[] marks) => throw new NotSupportedException();
}

/// <summary>The CSR arrays an engine run produced and how it bounded them.</summary>
internal sealed record SparseRowResult(long[] Offsets, int[] Columns, float[] Weights, int AppliedMaxPartners, long ExactNonZeros, long UpperBoundNonZeros);

/// <summary>
/// Builds a symmetric CSR matrix from a <see cref="RowSource"/> in two passes so that peak memory is about the
/// output: a symbolic pass counts each row's distinct partners, the memory guard checks the exact size (or a cap)
/// against the budget before anything big is allocated, then a numeric pass fills rows in place. Rows run in
/// parallel blocks with per-thread dense accumulators; no locks, no per-pair allocation, and every row is summed
/// in a fixed order, so the result does not depend on the number of threads.
/// </summary>
internal static class SparseRowEngine
{
    private const int RowBlock = 32;

    public static SparseRowResult Build(RowSource source, CooccurrenceOptions options, IStageLog log, CancellationToken cancellation)
    {
        int n = source.EntityCount;
        int threads = options.ResolveThreads();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };

        long upperBound = 0;
        for (int i = 0; i < n; i++) upperBound += Math.Min(Math.Max(0, n - 1), source.PartnerUpperBound(i));
        log.Verbose($"Upper bound from collection sizes: {upperBound:N0} non-zeros ({Size(ExactBytes(upperBound, n))}).");

        // An explicit cap K bounds every kept row by K entries, so when n·K entries fit the budget the counting pass is not
        // needed to size anything: skipping it saves a pass over every pair above the diagonal (about a sixth of the stage's
        // CPU time at 20,000 entities). Row sizes and the exact count then come from the filling pass.
        if (options.MaxPartners > 0)
        {
            long bound = (long)n * Math.Min(options.MaxPartners, Math.Max(1, n - 1));
            long boundBytes = CappedBytes(bound, n) + (long)threads * n * ScratchBytesPerEntity;
            long earlyBudget = options.ResolveMemoryBudget();
            if (boundBytes <= earlyBudget && bound * 2 <= Array.MaxLength)
            {
                log.Verbose($"-MaxPartners {options.MaxPartners:N0} bounds the result by {bound:N0} row entries (at most {Size(boundBytes)}, budget {Size(earlyBudget)}): no counting pass.");
                var uncounted = FillCapped(source, null, options.MaxPartners, parallel, log, cancellation, -1, upperBound);
                log.Progress(1.0, "Done");
                return uncounted;
            }
        }

        // Pass 1 (symbolic): each row's number of distinct partners above the diagonal; the partners below are
        // counted from the other side (a row's lower partners are the rows that have it above their diagonal).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double cpu = Cpu();
        var upperCounts = new int[n];
        var lowerCounts = new int[n];
        var scratches = RunRows(n, parallel, log, cancellation, 0.0, 0.3, "Counting partners", (row, s) =>
        {
            s.Begin(row);
            var lower = s.LowerCounts ??= new int[n];
            long work = source.UpperWork(row);
            // A dense row: byte marks scattered without a partner list, then counted (and added to the lower counts) by a
            // vector scan of the rest of the row, cheaper than listing the partners once the row holds more than ~1/8 of them.
            if (work > 0 && work * 8 > n - row - 1)
            {
                var marks = s.Marks ??= new byte[n];
                source.MarkUpperDense(row, marks);
                upperCounts[row] = CollectMarks(marks, lower, row + 1);
                return;
            }
            source.MarkUpper(row, s);
            upperCounts[row] = s.Count;
            var touched = s.Touched;
            for (int t = 0; t < s.Count; t++) lower[touched[t]]++;
        });
        foreach (var scratch in scratches)
        {
            if (scratch.LowerCounts is { } partial) for (int i = 0; i < n; i++) lowerCounts[i] += partial[i];
        }
        scratches.Clear();
        var counts = new int[n];
        long exact = 0;
        int maxCount = 0;
        for (int i = 0; i < n; i++)
        {
            counts[i] = upperCounts[i] + lowerCounts[i];
            exact += counts[i];
            maxCount = Math.Max(maxCount, counts[i]);
        }
        long budget = options.ResolveMemoryBudget();
        long scratchBytes = (long)threads * n * ScratchBytesPerEntity;
        long exactBytes = ExactBytes(exact, n) + scratchBytes;
        log.Verbose($"Counting pass: {clock.Elapsed.TotalSeconds:F2} s ({Cpu() - cpu:F2} s CPU).");
        log.Verbose($"Exact matrix: {exact:N0} non-zeros ({exact / 2:N0} pairs), largest row {maxCount:N0} partners, about {Size(exactBytes)}; memory budget {Size(budget)}.");

        int cap = DecideCap(options.MaxPartners, counts, maxCount, exact, exactBytes, scratchBytes, budget, upperBound, n, log);
        SparseRowResult result;
        if (cap == 0)
        {
            result = FillExact(source, upperCounts, lowerCounts, exact, parallel, log, cancellation, upperBound);
        }
        else
        {
            result = FillCapped(source, counts, cap, parallel, log, cancellation, exact, upperBound);
        }
        log.Progress(1.0, "Done");
        return result;
    }

    private static double Cpu()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>"3.2 GiB", or "140 MiB" below a GiB, so that small budgets do not read as 0.0.</summary>
    internal static string Size(long bytes) => bytes >= (1L << 30)
        ? (bytes / (double)(1L << 30)).ToString("F1", CultureInfo.InvariantCulture) + " GiB"
        : Math.Max(0.1, bytes / (double)(1L << 20)).ToString(bytes < (10L << 20) ? "F1" : "F0", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>Bytes of an exact CSR result: columns and weights, offsets, row sums.</summary>
    internal static long ExactBytes(long nonZeros, int n) => nonZeros * 8 + (n + 1L) * 8 + n * 8L + n * 4L;

    /// <summary>What each worker holds per entity while filling rows (accumulators, positions, byte marks), for the memory guard.</summary>
    internal const int ScratchBytesPerEntity = 17;

    /// <summary>Bytes while capping: the per-row lists, their transpose and the symmetric union (at most twice the lists).</summary>
    internal static long CappedBytes(long kept, int n) => kept * 32 + (n + 1L) * 24 + n * 12L;

    private static long KeptEntries(int[] counts, int cap)
    {
        long sum = 0;
        foreach (var c in counts) sum += Math.Min(c, cap);
        return sum;
    }

    /// <summary>Returns 0 for the exact matrix, or the cap to apply; throws the memory-guard error when nothing fits.</summary>
    private static int DecideCap(int requested, int[] counts, int maxCount, long exact, long exactBytes, long scratchBytes, long budget, long upperBound, int n, IStageLog log)
    {
        bool exactFits = exactBytes <= budget && exact <= Array.MaxLength;
        // A cap at or above the largest row changes nothing.
        if (requested > 0 && requested >= maxCount && exactFits) return 0;
        if (requested == CooccurrenceOptions.AllPartners)
        {
            if (exactFits) return 0;
            throw TooLarge(exact, exactBytes, budget, upperBound, LargestFittingCap(counts, maxCount, scratchBytes, budget, n), n);
        }
        if (requested == CooccurrenceOptions.AutoPartners)
        {
            if (exactFits) return 0;
            int auto = LargestFittingCap(counts, maxCount, scratchBytes, budget, n);
            if (auto < CooccurrenceOptions.MinimumAutoPartners)
                throw TooLarge(exact, exactBytes, budget, upperBound, auto, n);
            log.Warning($"The exact co-occurrence matrix would hold {exact:N0} non-zeros (about {Size(exactBytes)}), more than the memory budget of {Size(budget)}. " +
                        $"Keeping each entity's {auto:N0} strongest partners (-MaxPartners {auto}); pass -MaxPartners or -MaxMemoryGB to choose.");
            return auto;
        }
        long kept = KeptEntries(counts, requested);
        long cappedBytes = CappedBytes(kept, n) + scratchBytes;
        if (cappedBytes > budget || kept * 2 > Array.MaxLength)
            throw TooLarge(exact, exactBytes, budget, upperBound, LargestFittingCap(counts, maxCount, scratchBytes, budget, n), n, requested, cappedBytes);
        log.Verbose($"Keeping each entity's {requested:N0} strongest partners: {kept:N0} row entries before symmetrizing, at most {Size(cappedBytes)}.");
        return requested;
    }

    private static int LargestFittingCap(int[] counts, int maxCount, long scratchBytes, long budget, int n)
    {
        int lo = 0, hi = Math.Max(1, maxCount);
        while (lo < hi)
        {
            int mid = lo + (hi - lo + 1) / 2;
            long kept = KeptEntries(counts, mid);
            if (CappedBytes(kept, n) + scratchBytes <= budget && kept * 2 <= Array.MaxLength) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    private static EmbedPSException TooLarge(long exact, long exactBytes, long budget, long upperBound, int suggestion, int n, int requested = 0, long requestedBytes = 0)
    {
        var inv = CultureInfo.InvariantCulture;
        string what = requested > 0
            ? string.Format(inv, "Keeping {0:N0} partners per entity would still need about {1}", requested, Size(requestedBytes))
            : string.Format(inv, "The co-occurrence matrix of {0:N0} entities would hold {1:N0} non-zeros (upper bound from collection sizes {2:N0}) and need about {3}",
                n, exact, upperBound, Size(exactBytes));
        string advice = suggestion >= 1
            ? string.Format(inv, " Use -MaxPartners {0} (or less) to keep only each entity's strongest partners, or raise -MaxMemoryGB if the machine has the memory.", suggestion)
            : " Even one partner per entity does not fit: raise -MaxMemoryGB, or compute the edge list out of core (see the DuckDB/Spark SQL in the documentation) and use Import-CooccurrenceMatrix.";
        return new EmbedPSException("CooccurrenceTooLarge", EmbedPSErrorKind.ResourceUnavailable,
            string.Format(inv, "{0}, more than the memory budget of {1}.{2}", what, Size(budget), advice))
        {
            Value = exact.ToString(inv),
        };
    }

    /// <summary>
    /// Pass 2 for the exact matrix: each row computes its upper triangle once (so both triangles are identical by
    /// construction) and writes it in place after the room kept for its lower part. Then the lower parts are filled as a
    /// transpose, in parallel over ranges of destination rows: each range reads the slice of every earlier row's sorted
    /// upper part that falls into it, in row order, so lower parts come out sorted without atomics or a sort.
    /// </summary>
    private static SparseRowResult FillExact(RowSource source, int[] upperCounts, int[] lowerCounts, long total, ParallelOptions parallel, IStageLog log, CancellationToken cancellation, long upperBound)
    {
        int n = upperCounts.Length;
        var offsets = new long[n + 1];
        for (int i = 0; i < n; i++) offsets[i + 1] = offsets[i] + upperCounts[i] + lowerCounts[i];
        var columns = new int[total];
        var weights = new float[total];
        var upperWritten = new int[n];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double cpu = Cpu();
        RunRows(n, parallel, log, cancellation, 0.3, 0.85, "Accumulating weights", (row, s) =>
        {
            s.Begin(row);
            // The counting pass gave the row's size, so a dense row skips partner tracking altogether.
            bool dense = ScanIsCheaper(upperCounts[row], n - row - 1);
            long start = offsets[row] + lowerCounts[row];
            if (dense && source.UnitWeights)
            {
                var counts = s.Counts ??= new int[n];
                source.CountUpper(row, s);
                upperWritten[row] = EmitCountsByScan(counts, columns, weights, start, row + 1, upperCounts[row]);
                return;
            }
            source.AccumulateUpper(row, s, track: !dense);
            upperWritten[row] = dense ? EmitByScan(s, columns, weights, start, row + 1) : EmitBySort(s, columns, weights, start);
        });
        log.Verbose($"Accumulation pass: {clock.Elapsed.TotalSeconds:F2} s ({Cpu() - cpu:F2} s CPU).");
        clock.Restart();
        cpu = Cpu();
        log.Progress(0.85, "Mirroring");
        var lowerWritten = MirrorUpperToLower(offsets, lowerCounts, upperWritten, columns, weights, parallel, cancellation);
        log.Verbose($"Mirroring the upper triangle: {clock.Elapsed.TotalSeconds:F2} s ({Cpu() - cpu:F2} s CPU).");
        // Exact zeros (possible with zero item weights) were not stored: close the gaps they left.
        bool gaps = false;
        for (int i = 0; i < n && !gaps; i++) gaps = upperWritten[i] != upperCounts[i] || lowerWritten[i] != lowerCounts[i];
        if (gaps)
        {
            long write = 0;
            for (int i = 0; i < n; i++)
            {
                long lowerStart = offsets[i], upperStart = offsets[i] + lowerCounts[i];
                offsets[i] = write;
                Array.Copy(columns, lowerStart, columns, write, lowerWritten[i]);
                Array.Copy(weights, lowerStart, weights, write, lowerWritten[i]);
                write += lowerWritten[i];
                Array.Copy(columns, upperStart, columns, write, upperWritten[i]);
                Array.Copy(weights, upperStart, weights, write, upperWritten[i]);
                write += upperWritten[i];
            }
            offsets[n] = write;
            Array.Resize(ref columns, (int)write);
            Array.Resize(ref weights, (int)write);
        }
        WarnBeyondFloatPrecision(weights, log);
        return new SparseRowResult(offsets, columns, weights, 0, total, upperBound);
    }

    /// <summary>Destination rows the mirror fills at a time within a range (see <see cref="MirrorUpperToLower"/>).</summary>
    private const int MirrorSubRange = 1024;

    private static int[] MirrorUpperToLower(long[] offsets, int[] lowerCounts, int[] upperWritten, int[] columns, float[] weights, ParallelOptions parallel, CancellationToken cancellation)
    {
        int n = lowerCounts.Length;
        // Destination ranges of about equal work.
        long totalLower = 0;
        foreach (var c in lowerCounts) totalLower += c;
        int rangeCount = Math.Max(1, Math.Min(n, parallel.MaxDegreeOfParallelism * 8));
        var bounds = new List<int> { 0 };
        long acc = 0;
        for (int i = 0; i < n; i++)
        {
            acc += lowerCounts[i] + 1;
            if (acc * rangeCount >= (totalLower + n) * bounds.Count && bounds.Count < rangeCount) bounds.Add(i + 1);
        }
        if (bounds[^1] != n) bounds.Add(n);
        var lowerWritten = new int[n];
        Parallel.For(0, bounds.Count - 1, parallel, r =>
        {
            int a = bounds[r], b = bounds[r + 1];
            var cursor = new long[b - a];
            for (int j = a; j < b; j++) cursor[j - a] = offsets[j];
            // Each source row's read position: where its partners reach the range, found once by a binary search; then the
            // range is walked in sub-ranges of at most MirrorSubRange destination rows, each advancing the positions, so that
            // the cache lines the sub-range's write cursors touch stay in L2 (a whole range's ~3,000 rows at atlas size do not).
            var position = new int[b];
            for (int i = 0; i < b; i++)
            {
                if ((i & 1023) == 0 && cancellation.IsCancellationRequested) return;
                int length = upperWritten[i];
                if (length == 0) continue;
                int lo = columns.AsSpan((int)(offsets[i] + lowerCounts[i]), length).BinarySearch(a);
                position[i] = lo < 0 ? ~lo : lo;
            }
            // Four sub-ranges per range at least (so small matrices take this path too), of at most MirrorSubRange rows.
            int subRange = Math.Min(MirrorSubRange, Math.Max(8, (b - a + 3) / 4));
            for (int subStart = a; subStart < b; subStart += subRange)
            {
                int subEnd = Math.Min(b, subStart + subRange);
                for (int i = 0; i < subEnd; i++)
                {
                    if ((i & 1023) == 0 && cancellation.IsCancellationRequested) return;
                    int length = upperWritten[i], k = position[i];
                    if (k >= length) continue;
                    int start = (int)(offsets[i] + lowerCounts[i]);
                    for (; k < length; k++)
                    {
                        int j = columns[start + k];
                        if (j >= subEnd) break;
                        long at = cursor[j - a]++;
                        columns[at] = i;
                        weights[at] = weights[start + k];
                    }
                    position[i] = k;
                }
            }
            for (int j = a; j < b; j++) lowerWritten[j] = (int)(cursor[j - a] - offsets[j]);
        });
        cancellation.ThrowIfCancellationRequested();
        return lowerWritten;
    }

    /// <summary>
    /// Each row's <paramref name="cap"/> strongest partners, then their symmetric union. Without <paramref name="counts"/>
    /// (no counting pass ran) every row gets room for <paramref name="cap"/> entries, the gaps are compacted away, and the
    /// exact number of non-zeros is the sum of the rows' partner counts seen while filling; when no row had more than
    /// <paramref name="cap"/> partners the result is the exact matrix and is reported as uncapped, as the counted path does.
    /// </summary>
    private static SparseRowResult FillCapped(RowSource source, int[]? counts, int cap, ParallelOptions parallel, IStageLog log, CancellationToken cancellation, long exact, long upperBound)
    {
        int n = source.EntityCount;
        var offsets = new long[n + 1];
        for (int i = 0; i < n; i++) offsets[i + 1] = offsets[i] + (counts is null ? Math.Min(cap, Math.Max(0, n - 1)) : Math.Min(cap, counts[i]));
        var columns = new int[offsets[n]];
        var weights = new float[offsets[n]];
        var written = new int[n];
        var partners = counts ?? new int[n];
        int applied = cap;
        RunRows(n, parallel, log, cancellation, counts is null ? 0.0 : 0.4, 0.85, $"Accumulating weights (top {cap})", (row, s) =>
        {
            s.Begin(row);
            source.AccumulateRow(row, s);
            if (counts is null) partners[row] = s.Count;
            written[row] = s.Count <= cap
                ? EmitSorted(s, row, columns, weights, offsets[row])
                : EmitStrongest(s, row, cap, columns, weights, offsets[row]);
        });
        if (counts is null)
        {
            exact = 0;
            int maxCount = 0;
            foreach (var c in partners) { exact += c; maxCount = Math.Max(maxCount, c); }
            log.Verbose($"Exact matrix: {exact:N0} non-zeros ({exact / 2:N0} pairs), largest row {maxCount:N0} partners.");
            if (maxCount <= cap) applied = 0;
        }
        Compact(offsets, written, ref columns, ref weights);
        cancellation.ThrowIfCancellationRequested();
        log.Progress(0.9, "Symmetrizing");
        var (unionOffsets, unionColumns, unionWeights) = SymmetrizeUnion(offsets, columns, weights, parallel, cancellation);
        log.Verbose($"Kept {unionColumns.LongLength:N0} of {exact:N0} non-zeros (each entity's {cap:N0} strongest partners, plus the entities that keep it among theirs).");
        WarnBeyondFloatPrecision(unionWeights, log);
        return new SparseRowResult(unionOffsets, unionColumns, unionWeights, applied, exact, upperBound);
    }

    /// <summary>Runs body for every row in parallel blocks; stops within a block when cancelled.</summary>
    internal static ConcurrentBag<RowScratch> RunRows(int n, ParallelOptions parallel, IStageLog log, CancellationToken cancellation, double from, double to, string status, Action<int, RowScratch> body)
    {
        int blocks = (n + RowBlock - 1) / RowBlock;
        long done = 0;
        var pool = new ConcurrentBag<RowScratch>();
        try
        {
            Parallel.For(0, blocks, parallel, () => pool.TryTake(out var s) ? s : new RowScratch(n), (block, state, scratch) =>
            {
                int start = block * RowBlock, end = Math.Min(n, start + RowBlock);
                for (int row = start; row < end; row++)
                {
                    if (cancellation.IsCancellationRequested) { state.Stop(); return scratch; }
                    body(row, scratch);
                }
                long finished = Interlocked.Add(ref done, end - start);
                if ((block & 7) == 0) log.Progress(from + (to - from) * finished / Math.Max(1, n), status);
                return scratch;
            }, pool.Add);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }
        cancellation.ThrowIfCancellationRequested();
        return pool;
    }

    /// <summary>2^24: the largest count below which every integer is exactly a float32.</summary>
    internal const float ExactFloatLimit = 16_777_216f;

    /// <summary>Says so when a stored weight is above 2^24, where a float32 no longer holds every integer.</summary>
    private static void WarnBeyondFloatPrecision(float[] weights, IStageLog log)
    {
        float max = 0;
        var span = weights.AsSpan();
        int width = Vector<float>.Count, j = 0;
        var vmax = Vector<float>.Zero;
        for (; j + width <= span.Length; j += width) vmax = Vector.Max(vmax, Vector.Abs(new Vector<float>(span.Slice(j, width))));
        for (int t = 0; t < width; t++) max = Math.Max(max, vmax[t]);
        for (; j < span.Length; j++) max = Math.Max(max, Math.Abs(span[j]));
        if (max > ExactFloatLimit)
            log.Warning($"The largest co-occurrence weight is {max.ToString("N0", CultureInfo.InvariantCulture)}, above 2^24 = 16,777,216: sums were exact (float64) but are stored as float32, so weights this large are rounded to within a relative 6e-8.");
    }

    /// <summary>
    /// A dense row is cheaper to collect by scanning the accumulator in order (8 floats per step, skipping all-zero
    /// blocks) than by sorting its m partners: scanning costs about (n − first) / 8 steps, sorting m·log2(m).
    /// </summary>
    internal static bool ScanIsCheaper(int partners, int scanLength) =>
        partners > 0 && (long)partners * (64 - long.LeadingZeroCount(partners)) * 16 > scanLength;

    /// <summary>Writes the row's non-zero entries in column order at <paramref name="start"/> and clears the accumulator.</summary>
    internal static int EmitSorted(RowScratch s, int row, int[] columns, float[] weights, long start, int firstColumn = 0) =>
        ScanIsCheaper(s.Count, s.Acc.Length - firstColumn) ? EmitByScan(s, columns, weights, start, firstColumn) : EmitBySort(s, columns, weights, start);

    /// <summary>
    /// Collects the non-zero accumulator entries from <paramref name="firstColumn"/> on, in order, clearing them.
    /// Untouched entries are 0, and so are touched ones whose weights summed to exactly 0: neither is stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int EmitByScan(RowScratch s, int[] columns, float[] weights, long start, int firstColumn)
    {
        var acc = s.Acc;
        int n = acc.Length, k = 0, at = (int)start;
        int j = firstColumn;
        int width = Vector<double>.Count;
        ref double accRef = ref MemoryMarshal.GetArrayDataReference(acc);
        for (; j + width <= n; j += width)
        {
            if (Vector.EqualsAll(Unsafe.As<double, Vector<double>>(ref Unsafe.Add(ref accRef, j)), Vector<double>.Zero)) continue;
            for (int t = j; t < j + width; t++)
            {
                double v = acc[t];
                if (v == 0) continue;
                acc[t] = 0;
                columns[at + k] = t;
                weights[at + k] = (float)v;
                k++;
            }
        }
        for (; j < n; j++)
        {
            double v = acc[j];
            if (v == 0) continue;
            acc[j] = 0;
            columns[at + k] = j;
            weights[at + k] = (float)v;
            k++;
        }
        return k;
    }

    /// <summary>Counts the marked entries from <paramref name="first"/> on, adds each to <paramref name="lower"/> and clears the marks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int CollectMarks(byte[] marks, int[] lower, int first)
    {
        int n = marks.Length, j = first, width = Vector<byte>.Count;
        ref byte m = ref MemoryMarshal.GetArrayDataReference(marks);
        ref int low = ref MemoryMarshal.GetArrayDataReference(lower);
        var total = Vector<uint>.Zero;
        int count = 0;
        for (; j + width <= n; j += width)
        {
            var v = Vector.LoadUnsafe(ref m, (nuint)j);
            if (v == Vector<byte>.Zero) continue;
            Vector.StoreUnsafe(Vector<byte>.Zero, ref m, (nuint)j);
            Vector.Widen(v, out Vector<ushort> lo, out Vector<ushort> hi);
            Vector.Widen(lo, out Vector<uint> a0, out Vector<uint> a1);
            Vector.Widen(hi, out Vector<uint> a2, out Vector<uint> a3);
            int q = Vector<uint>.Count;
            ref int at = ref Unsafe.Add(ref low, j);
            Vector.StoreUnsafe(Vector.LoadUnsafe(ref at) + Vector.AsVectorInt32(a0), ref at);
            Vector.StoreUnsafe(Vector.LoadUnsafe(ref at, (nuint)q) + Vector.AsVectorInt32(a1), ref at, (nuint)q);
            Vector.StoreUnsafe(Vector.LoadUnsafe(ref at, (nuint)(2 * q)) + Vector.AsVectorInt32(a2), ref at, (nuint)(2 * q));
            Vector.StoreUnsafe(Vector.LoadUnsafe(ref at, (nuint)(3 * q)) + Vector.AsVectorInt32(a3), ref at, (nuint)(3 * q));
            total += a0 + a1 + a2 + a3;
        }
        count += (int)Vector.Sum(total);
        for (; j < n; j++)
        {
            if (marks[j] == 0) continue;
            marks[j] = 0;
            lower[j]++;
            count++;
        }
        return count;
    }

    /// <summary>
    /// Collects the non-zero integer counts from <paramref name="firstColumn"/> on, in order, as float32 weights, clearing them;
    /// stops once <paramref name="expected"/> entries (the row's partner count from the counting pass) are written.
    /// A row holds ~16 % non-zeros at atlas size, so most 8-count blocks hold some and a per-entry branch mispredicts often:
    /// with AVX2 each block is left-packed instead (one table permutation of the column indices and the converted counts,
    /// an 8-lane store, advance by the number of non-zeros), and no store ever passes the row's last entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int EmitCountsByScan(int[] counts, int[] columns, float[] weights, long start, int firstColumn, int expected)
    {
        int n = counts.Length, k = 0, at = (int)start, j = firstColumn;
        ref int c = ref MemoryMarshal.GetArrayDataReference(counts);
        if (Avx2.IsSupported)
        {
            ref int col = ref MemoryMarshal.GetArrayDataReference(columns);
            ref float wt = ref MemoryMarshal.GetArrayDataReference(weights);
            ref int table = ref MemoryMarshal.GetArrayDataReference(LeftPackTable);
            var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            // Full 8-lane stores while they stay inside the row's expected entries.
            for (; j + 8 <= n && k + 8 <= expected; j += 8)
            {
                var v = Vector256.LoadUnsafe(ref c, (nuint)j);
                uint zero = Vector256.ExtractMostSignificantBits(Vector256.Equals(v, Vector256<int>.Zero));
                if (zero == 0xFF) continue;
                uint mask = ~zero & 0xFF;
                var permutation = Vector256.LoadUnsafe(ref table, (nuint)(mask * 8));
                Vector256.StoreUnsafe(Vector256<int>.Zero, ref c, (nuint)j);
                Avx2.PermuteVar8x32(lanes + Vector256.Create(j), permutation).StoreUnsafe(ref col, (nuint)(at + k));
                Avx2.PermuteVar8x32(Vector256.ConvertToSingle(v), permutation).StoreUnsafe(ref wt, (nuint)(at + k));
                k += System.Numerics.BitOperations.PopCount(mask);
            }
        }
        for (; j < n && k < expected; j++)
        {
            int v = Unsafe.Add(ref c, j);
            if (v == 0) continue;
            Unsafe.Add(ref c, j) = 0;
            columns[at + k] = j;
            weights[at + k] = v;
            k++;
        }
        return k;
    }

    /// <summary>For each 8-bit mask, the lanes whose bit is set, in order, then zeros: the permutation that left-packs them.</summary>
    private static readonly int[] LeftPackTable = BuildLeftPackTable();

    private static int[] BuildLeftPackTable()
    {
        var table = new int[256 * 8];
        for (int mask = 0; mask < 256; mask++)
        {
            int w = 0;
            for (int lane = 0; lane < 8; lane++) if ((mask & (1 << lane)) != 0) table[mask * 8 + w++] = lane;
        }
        return table;
    }

    /// <summary>Sorts the touched partners and writes their non-zero weights in column order, clearing the accumulator.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int EmitBySort(RowScratch s, int[] columns, float[] weights, long start)
    {
        int m = s.Count;
        if (m == 0) return 0;
        var acc = s.Acc;
        int k = 0, at = (int)start;
        var touched = s.Touched;
        Array.Sort(touched, 0, m);
        for (int t = 0; t < m; t++)
        {
            int j = touched[t];
            double sum = acc[j];
            acc[j] = 0;
            if (sum == 0) continue;
            columns[at + k] = j;
            weights[at + k] = (float)sum;
            k++;
        }
        return k;
    }

    /// <summary>
    /// Keeps the row's <paramref name="cap"/> strongest entries (larger weight first, then smaller column on ties, so the
    /// choice is unique) with a min-heap whose root is the weakest kept entry; writes them in column order.
    /// </summary>
    internal static int EmitStrongest(RowScratch s, int row, int cap, int[] columns, float[] weights, long start)
    {
        var heapC = s.HeapColumns ??= new int[cap];
        var heapW = s.HeapWeights ??= new float[cap];
        if (heapC.Length < cap) { heapC = s.HeapColumns = new int[cap]; heapW = s.HeapWeights = new float[cap]; }
        var acc = s.Acc;
        var touched = s.Touched;
        int h = 0;
        for (int t = 0; t < s.Count; t++)
        {
            int j = touched[t];
            double sum = acc[j];
            acc[j] = 0;
            if (sum == 0) continue;
            float v = (float)sum;
            if (h < cap)
            {
                int at = h++;
                while (at > 0)
                {
                    int parent = (at - 1) >> 1;
                    if (!Stronger(heapW[parent], heapC[parent], v, j)) break;
                    heapW[at] = heapW[parent]; heapC[at] = heapC[parent];
                    at = parent;
                }
                heapW[at] = v; heapC[at] = j;
            }
            else if (Stronger(v, j, heapW[0], heapC[0]))
            {
                int at = 0;
                while (true)
                {
                    int child = 2 * at + 1;
                    if (child >= h) break;
                    if (child + 1 < h && Stronger(heapW[child], heapC[child], heapW[child + 1], heapC[child + 1])) child++;
                    if (!Stronger(v, j, heapW[child], heapC[child])) break;
                    heapW[at] = heapW[child]; heapC[at] = heapC[child];
                    at = child;
                }
                heapW[at] = v; heapC[at] = j;
            }
        }
        Array.Sort(heapC, heapW, 0, h);
        Array.Copy(heapC, 0, columns, start, h);
        Array.Copy(heapW, 0, weights, start, h);
        return h;
    }

    internal static bool Stronger(float w1, int c1, float w2, int c2) => w1 > w2 || (w1 == w2 && c1 < c2);

    /// <summary>Removes the gaps left by rows that wrote fewer entries than counted (exact zeros are not stored).</summary>
    private static void Compact(long[] offsets, int[] written, ref int[] columns, ref float[] weights)
    {
        int n = written.Length;
        bool gaps = false;
        for (int i = 0; i < n && !gaps; i++) gaps = written[i] != offsets[i + 1] - offsets[i];
        if (!gaps) return;
        long write = 0;
        for (int i = 0; i < n; i++)
        {
            long from = offsets[i];
            offsets[i] = write;
            if (from != write)
            {
                Array.Copy(columns, from, columns, write, written[i]);
                Array.Copy(weights, from, weights, write, written[i]);
            }
            write += written[i];
        }
        offsets[n] = write;
        Array.Resize(ref columns, (int)write);
        Array.Resize(ref weights, (int)write);
    }

    /// <summary>
    /// Union symmetrization of per-row lists: row i keeps j when j is among i's kept partners or i among j's. The weight
    /// of (i, j) is the same seen from both sides, so the union is a symmetric matrix of true weights. Union rather than
    /// intersection so that every entity keeps all of its own strongest partners: a niche entity's top partners are often
    /// popular entities that do not keep it in return, and intersection would leave it with almost no neighbours.
    /// </summary>
    internal static (long[] Offsets, int[] Columns, float[] Weights) SymmetrizeUnion(long[] offsets, int[] columns, float[] weights, ParallelOptions parallel, CancellationToken cancellation)
    {
        int n = offsets.Length - 1;
        var tOffsets = new long[n + 1];
        foreach (var j in columns) tOffsets[j + 1]++;
        for (int i = 0; i < n; i++) tOffsets[i + 1] += tOffsets[i];
        var cursor = tOffsets.AsSpan(0, n).ToArray();
        var tColumns = new int[columns.Length];
        var tWeights = new float[columns.Length];
        for (int i = 0; i < n; i++)
        {
            if ((i & 4095) == 0) cancellation.ThrowIfCancellationRequested();
            for (long e = offsets[i]; e < offsets[i + 1]; e++)
            {
                long at = cursor[columns[e]]++;
                tColumns[at] = i;
                tWeights[at] = weights[e];
            }
        }
        cursor = null;
        var unionCounts = new int[n];
        Parallel.For(0, n, parallel, i =>
        {
            long a = offsets[i], aEnd = offsets[i + 1], b = tOffsets[i], bEnd = tOffsets[i + 1];
            int count = 0;
            while (a < aEnd && b < bEnd)
            {
                int ca = columns[a], cb = tColumns[b];
                if (ca <= cb) a++;
                if (cb <= ca) b++;
                count++;
            }
            unionCounts[i] = count + (int)(aEnd - a) + (int)(bEnd - b);
        });
        cancellation.ThrowIfCancellationRequested();
        var uOffsets = new long[n + 1];
        for (int i = 0; i < n; i++) uOffsets[i + 1] = uOffsets[i] + unionCounts[i];
        var uColumns = new int[uOffsets[n]];
        var uWeights = new float[uOffsets[n]];
        Parallel.For(0, n, parallel, i =>
        {
            long a = offsets[i], aEnd = offsets[i + 1], b = tOffsets[i], bEnd = tOffsets[i + 1], w = uOffsets[i];
            while (a < aEnd || b < bEnd)
            {
                if (b >= bEnd || (a < aEnd && columns[a] < tColumns[b])) { uColumns[w] = columns[a]; uWeights[w++] = weights[a++]; }
                else if (a >= aEnd || tColumns[b] < columns[a]) { uColumns[w] = tColumns[b]; uWeights[w++] = tWeights[b++]; }
                else { uColumns[w] = columns[a]; uWeights[w++] = weights[a++]; b++; }
            }
        });
        cancellation.ThrowIfCancellationRequested();
        return (uOffsets, uColumns, uWeights);
    }
}
