using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Knn;

/// <summary>k nearest neighbours of every row: <c>Indices[i*K + r]</c> is row i's r-th nearest (self excluded), ascending distance.</summary>
public sealed class KnnResult
{
    public KnnResult(int count, int k, int[] indices, float[] distances)
    {
        Count = count; K = k; Indices = indices; Distances = distances;
    }

    public int Count { get; }
    public int K { get; }
    public int[] Indices { get; }
    /// <summary>Euclidean distances (not squared).</summary>
    public float[] Distances { get; }

    public ReadOnlySpan<int> NeighborsOf(int i) => Indices.AsSpan(i * K, K);
    public ReadOnlySpan<float> DistancesOf(int i) => Distances.AsSpan(i * K, K);
}

/// <summary>Which kNN algorithm <see cref="VectorKnn.Search"/> uses.</summary>
public enum KnnAlgorithm
{
    /// <summary>Exact when n ≤ 10,000 or n²·d ≤ 5·10¹⁰, approximate (NN-descent) beyond.</summary>
    Auto,
    Exact,
    Approximate,
}

/// <summary>
/// k-nearest-neighbour search on row-major float vectors (Euclidean).
/// <para>Exact search is blocked like a matrix product: a tile of 64 query rows is compared with a tile of data rows small
/// enough to stay in the L2 cache, four queries × two data rows at a time in SIMD registers, using
/// ‖x−y‖² = ‖x‖² + ‖y‖² − 2·x·y; the k winners' distances are then recomputed directly (no cancellation error).
/// Parallel over query tiles. Ties are broken by the smaller index, so results are deterministic.</para>
/// <para>Approximate search is NN-descent (Dong, Moses and Li, "Efficient k-nearest neighbor graph construction for generic
/// similarity measures", WWW 2011) in the style of pynndescent: random initial lists, local joins of sampled new/old
/// candidates, a bounded candidate set per node. Deterministic whatever the thread count: candidate sampling uses hashed
/// priorities and every list keeps "the k smallest (distance, index)", a set that does not depend on insertion order.</para>
/// </summary>
public static class VectorKnn
{
    /// <summary>Below this many rows exact search is always used (PyMDE's threshold for brute force).</summary>
    public const int ExactRowLimit = 10_000;
    /// <summary>Above this many multiply-adds (n²·d) search goes approximate: about five seconds of exact work on two cores.</summary>
    public const double ExactWorkLimit = 5e10;

    /// <summary>The automatic rule: exact when n ≤ <see cref="ExactRowLimit"/> or n²·d ≤ <see cref="ExactWorkLimit"/>.</summary>
    public static bool PrefersExact(int count, int dimension) =>
        count <= ExactRowLimit || (double)count * count * dimension <= ExactWorkLimit;

    /// <summary>kNN with the algorithm picked by <see cref="PrefersExact"/> (or forced by <paramref name="algorithm"/>).</summary>
    public static KnnResult Search(float[] data, int count, int dimension, int k, KnnAlgorithm algorithm = KnnAlgorithm.Auto,
        int seed = 0, IStageLog? log = null, CancellationToken cancellation = default)
    {
        log ??= StageLog.Null;
        bool exact = algorithm == KnnAlgorithm.Exact || (algorithm == KnnAlgorithm.Auto && PrefersExact(count, dimension));
        log.Verbose(exact
            ? $"Exact kNN: {count:N0} × {dimension} dims, k = {k}."
            : $"Approximate kNN (NN-descent): {count:N0} × {dimension} dims, k = {k} (n²·d = {(double)count * count * dimension:G3} > {ExactWorkLimit:G2}).");
        return exact ? Exact(data, count, dimension, k, log, cancellation) : Approximate(data, count, dimension, k, seed, log, cancellation);
    }

    private const int QueryTile = 64;

    public static KnnResult Exact(float[] data, int count, int dimension, int k, IStageLog? log = null, CancellationToken cancellation = default)
    {
        Validate(data, count, dimension, k);
        log ??= StageLog.Null;
        var norms = Norms(data, count, dimension);
        // Data tile: about 192 KiB of rows, so it stays in L2 while a query tile streams over it.
        int dataTile = Math.Clamp(192 * 1024 / (Math.Max(dimension, 1) * sizeof(float)), 16, 1024);
        var indices = new int[count * k];
        var distances = new float[count * k];
        int tiles = (count + QueryTile - 1) / QueryTile;
        int done = 0;
        Parallel.For(0, tiles, new ParallelOptions { CancellationToken = cancellation },
            () => new ExactScratch(k, dataTile),
            (tile, _, scratch) =>
            {
                int q0 = tile * QueryTile, q1 = Math.Min(count, q0 + QueryTile), queries = q1 - q0;
                scratch.Reset(queries);
                for (int d0 = 0; d0 < count; d0 += dataTile)
                {
                    int d1 = Math.Min(count, d0 + dataTile), block = d1 - d0;
                    DotTile(data, dimension, q0, queries, d0, block, scratch.Dots);
                    for (int q = 0; q < queries; q++)
                    {
                        int i = q0 + q;
                        var dots = scratch.Dots.AsSpan(q * dataTile, block);
                        var heap = scratch.Heaps[q];
                        float ni = norms[i];
                        for (int t = 0; t < block; t++)
                        {
                            int j = d0 + t;
                            if (j == i) continue;
                            float dist = MathF.Max(0, ni + norms[j] - 2 * dots[t]);
                            heap.Offer(dist, j);
                        }
                    }
                }
                for (int q = 0; q < queries; q++)
                {
                    int i = q0 + q;
                    scratch.Heaps[q].Export(indices.AsSpan(i * k, k), distances.AsSpan(i * k, k));
                    // Recompute the winners' distances directly: the norm identity loses digits for close pairs.
                    var row = data.AsSpan(i * dimension, dimension);
                    for (int r = 0; r < k; r++)
                        distances[i * k + r] = SquaredDistance(row, data.AsSpan(indices[i * k + r] * dimension, dimension));
                    SortRow(indices.AsSpan(i * k, k), distances.AsSpan(i * k, k));
                    for (int r = 0; r < k; r++) distances[i * k + r] = MathF.Sqrt(distances[i * k + r]);
                }
                int finished = Interlocked.Add(ref done, queries);
                if ((tile & 15) == 0) log.Progress((double)finished / count, $"exact kNN {finished:N0}/{count:N0}");
                return scratch;
            }, _ => { });
        return new KnnResult(count, k, indices, distances);
    }

    private static void Validate(float[] data, int count, int dimension, int k)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension));
        if (data.Length != (long)count * dimension) throw new ArgumentException($"data must hold {count} × {dimension} values.");
        if (k < 1 || k >= count) throw new ArgumentOutOfRangeException(nameof(k), $"k must be in [1, {count - 1}].");
    }

    internal static float[] Norms(float[] data, int count, int dimension)
    {
        var norms = new float[count];
        Parallel.For(0, (count + 4095) / 4096, b =>
        {
            int end = Math.Min(count, (b + 1) * 4096);
            for (int i = b * 4096; i < end; i++)
            {
                var row = data.AsSpan(i * dimension, dimension);
                norms[i] = Dot(row, row);
            }
        });
        return norms;
    }

    private sealed class ExactScratch
    {
        public readonly float[] Dots;
        public readonly BoundedHeap[] Heaps;
        public ExactScratch(int k, int dataTile)
        {
            Dots = new float[QueryTile * dataTile];
            Heaps = new BoundedHeap[QueryTile];
            for (int q = 0; q < QueryTile; q++) Heaps[q] = new BoundedHeap(k);
        }
        public void Reset(int queries) { for (int q = 0; q < queries; q++) Heaps[q].Clear(); }
    }

    /// <summary>Keeps the k smallest (distance, index) pairs seen; a max-heap on (distance, index).</summary>
    internal sealed class BoundedHeap
    {
        private readonly float[] _d;
        private readonly int[] _i;
        private int _count;
        public BoundedHeap(int k) { _d = new float[k]; _i = new int[k]; }
        public int Count => _count;
        public void Clear() => _count = 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Offer(float d, int j)
        {
            if (_count == _d.Length)
            {
                if (d > _d[0] || (d == _d[0] && j > _i[0])) return;
                _d[0] = d; _i[0] = j;
                SiftDown(0);
                return;
            }
            int p = _count++;
            _d[p] = d; _i[p] = j;
            while (p > 0)
            {
                int parent = (p - 1) >> 1;
                if (!Greater(_d[p], _i[p], _d[parent], _i[parent])) break;
                Swap(p, parent);
                p = parent;
            }
        }

        private static bool Greater(float d1, int i1, float d2, int i2) => d1 > d2 || (d1 == d2 && i1 > i2);

        private void SiftDown(int p)
        {
            int n = _count;
            while (true)
            {
                int l = 2 * p + 1, r = l + 1, m = p;
                if (l < n && Greater(_d[l], _i[l], _d[m], _i[m])) m = l;
                if (r < n && Greater(_d[r], _i[r], _d[m], _i[m])) m = r;
                if (m == p) return;
                Swap(p, m);
                p = m;
            }
        }

        private void Swap(int a, int b)
        {
            (_d[a], _d[b]) = (_d[b], _d[a]);
            (_i[a], _i[b]) = (_i[b], _i[a]);
        }

        public void Export(Span<int> indices, Span<float> distances)
        {
            for (int r = 0; r < _count; r++) { indices[r] = _i[r]; distances[r] = _d[r]; }
        }
    }

    /// <summary>Sorts a row's neighbours by (distance, index).</summary>
    internal static void SortRow(Span<int> indices, Span<float> distances)
    {
        for (int a = 1; a < indices.Length; a++)
        {
            float d = distances[a]; int j = indices[a]; int p = a;
            while (p > 0 && (distances[p - 1] > d || (distances[p - 1] == d && indices[p - 1] > j)))
            {
                distances[p] = distances[p - 1]; indices[p] = indices[p - 1]; p--;
            }
            distances[p] = d; indices[p] = j;
        }
    }

    /// <summary>dots[q * stride + t] = data[q0+q] · data[d0+t], four queries × two data rows per register block.</summary>
    private static void DotTile(float[] data, int dimension, int q0, int queries, int d0, int block, float[] dots)
    {
        int stride = dots.Length / QueryTile;
        int q = 0;
        for (; q + 4 <= queries; q += 4)
        {
            var a0 = data.AsSpan((q0 + q) * dimension, dimension);
            var a1 = data.AsSpan((q0 + q + 1) * dimension, dimension);
            var a2 = data.AsSpan((q0 + q + 2) * dimension, dimension);
            var a3 = data.AsSpan((q0 + q + 3) * dimension, dimension);
            int t = 0;
            for (; t + 2 <= block; t += 2)
            {
                var b0 = data.AsSpan((d0 + t) * dimension, dimension);
                var b1 = data.AsSpan((d0 + t + 1) * dimension, dimension);
                Dot4x2(a0, a1, a2, a3, b0, b1, out var r00, out var r01, out var r10, out var r11, out var r20, out var r21, out var r30, out var r31);
                dots[q * stride + t] = r00; dots[q * stride + t + 1] = r01;
                dots[(q + 1) * stride + t] = r10; dots[(q + 1) * stride + t + 1] = r11;
                dots[(q + 2) * stride + t] = r20; dots[(q + 2) * stride + t + 1] = r21;
                dots[(q + 3) * stride + t] = r30; dots[(q + 3) * stride + t + 1] = r31;
            }
            for (; t < block; t++)
            {
                var b = data.AsSpan((d0 + t) * dimension, dimension);
                dots[q * stride + t] = Dot(a0, b);
                dots[(q + 1) * stride + t] = Dot(a1, b);
                dots[(q + 2) * stride + t] = Dot(a2, b);
                dots[(q + 3) * stride + t] = Dot(a3, b);
            }
        }
        for (; q < queries; q++)
        {
            var a = data.AsSpan((q0 + q) * dimension, dimension);
            for (int t = 0; t < block; t++) dots[q * stride + t] = Dot(a, data.AsSpan((d0 + t) * dimension, dimension));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4x2(ReadOnlySpan<float> a0, ReadOnlySpan<float> a1, ReadOnlySpan<float> a2, ReadOnlySpan<float> a3,
        ReadOnlySpan<float> b0, ReadOnlySpan<float> b1,
        out float r00, out float r01, out float r10, out float r11, out float r20, out float r21, out float r30, out float r31)
    {
        var va0 = MemoryMarshal.Cast<float, Vector<float>>(a0);
        var va1 = MemoryMarshal.Cast<float, Vector<float>>(a1);
        var va2 = MemoryMarshal.Cast<float, Vector<float>>(a2);
        var va3 = MemoryMarshal.Cast<float, Vector<float>>(a3);
        var vb0 = MemoryMarshal.Cast<float, Vector<float>>(b0);
        var vb1 = MemoryMarshal.Cast<float, Vector<float>>(b1);
        Vector<float> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default, s30 = default, s31 = default;
        for (int v = 0; v < va0.Length; v++)
        {
            var x0 = vb0[v]; var x1 = vb1[v];
            var y = va0[v]; s00 += y * x0; s01 += y * x1;
            y = va1[v]; s10 += y * x0; s11 += y * x1;
            y = va2[v]; s20 += y * x0; s21 += y * x1;
            y = va3[v]; s30 += y * x0; s31 += y * x1;
        }
        r00 = Vector.Sum(s00); r01 = Vector.Sum(s01); r10 = Vector.Sum(s10); r11 = Vector.Sum(s11);
        r20 = Vector.Sum(s20); r21 = Vector.Sum(s21); r30 = Vector.Sum(s30); r31 = Vector.Sum(s31);
        for (int i = va0.Length * Vector<float>.Count; i < a0.Length; i++)
        {
            float x0 = b0[i], x1 = b1[i];
            r00 += a0[i] * x0; r01 += a0[i] * x1; r10 += a1[i] * x0; r11 += a1[i] * x1;
            r20 += a2[i] * x0; r21 += a2[i] * x1; r30 += a3[i] * x0; r31 += a3[i] * x1;
        }
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int width = Vector<float>.Count, i = 0;
        var sum = Vector<float>.Zero;
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
        for (int v = 0; v < va.Length; v++) sum += va[v] * vb[v];
        float result = Vector.Sum(sum);
        for (i = va.Length * width; i < a.Length; i++) result += a[i] * b[i];
        return result;
    }

    /// <summary>‖a − b‖², SIMD.</summary>
    public static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
        for (int v = 0; v < va.Length; v++) { var diff = va[v] - vb[v]; sum += diff * diff; }
        float result = Vector.Sum(sum);
        for (int i = va.Length * Vector<float>.Count; i < a.Length; i++) { float diff = a[i] - b[i]; result += diff * diff; }
        return result;
    }

    // ------------------------------------------------------------------------------------------------
    // NN-descent

    /// <summary>
    /// Candidates sampled per node and iteration: the internal list length, at least 20 (PyMDE asks pynndescent for 60, which
    /// with random initial lists costs ~9× more distance evaluations per iteration for recall we do not need).
    /// </summary>
    private static int MaxCandidatesFor(int listLength) => Math.Max(20, listLength);

    /// <summary>
    /// Approximate kNN by NN-descent. Internally keeps k + 5 (at least 20) neighbours per node — a slightly longer list raises
    /// the recall of the first k at little cost — and iterates until fewer than 0.1 % of list entries change, at most 20 times.
    /// </summary>
    public static KnnResult Approximate(float[] data, int count, int dimension, int k, int seed = 0, IStageLog? log = null, CancellationToken cancellation = default)
    {
        Validate(data, count, dimension, k);
        log ??= StageLog.Null;
        int K = Math.Min(count - 1, Math.Max(k + 5, 20));
        var lists = new DescentLists(count, K);
        int blocks = (count + 1023) / 1024;
        var options = new ParallelOptions { CancellationToken = cancellation };

        // Random initial lists: K distinct random other rows per node, one random stream per block of 1,024 rows.
        Parallel.For(0, blocks, options, b =>
        {
            var random = new DeterministicRandom(seed, 0x4E4E_0000L + b);
            int end = Math.Min(count, (b + 1) * 1024);
            for (int i = b * 1024; i < end; i++)
            {
                var row = data.AsSpan(i * dimension, dimension);
                int filled = 0, guard = 0;
                while (filled < K && guard++ < 50 * K)
                {
                    int j = random.NextInt(count);
                    if (j == i || lists.Contains(i, j)) continue;
                    lists.InsertUnlocked(i, SquaredDistance(row, data.AsSpan(j * dimension, dimension)), j);
                    filled = lists.Count(i);
                }
                // Tiny inputs: random draws may miss the last free slots; fill them in order.
                for (int j = 0; j < count && lists.Count(i) < K; j++)
                {
                    if (j != i && !lists.Contains(i, j)) lists.InsertUnlocked(i, SquaredDistance(row, data.AsSpan(j * dimension, dimension)), j);
                }
            }
        });

        lists.PublishWorst();
        var newCandidates = new CandidateLists(count, MaxCandidatesFor(K));
        var oldCandidates = new CandidateLists(count, MaxCandidatesFor(K));
        int maxIterations = 20;
        long threshold = Math.Max(1, (long)(0.001 * count * K));
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            cancellation.ThrowIfCancellationRequested();
            newCandidates.Clear();
            oldCandidates.Clear();
            ulong salt = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)iteration * 0xC2B2AE3D27D4EB4FUL);
            // Forward and reverse candidates: each (i, j) list entry offers j to i and i to j with a hashed random priority;
            // each candidate list keeps the MaxCandidates smallest priorities, a set independent of the offering order.
            Parallel.For(0, blocks, options, b =>
            {
                int end = Math.Min(count, (b + 1) * 1024);
                for (int i = b * 1024; i < end; i++)
                {
                    for (int r = 0; r < lists.Count(i); r++)
                    {
                        int j = lists.Index(i, r);
                        bool isNew = lists.IsNew(i, r);
                        uint priority = Priority(salt, i, j);
                        var target = isNew ? newCandidates : oldCandidates;
                        target.Offer(i, priority, j);
                        target.Offer(j, priority, i);
                    }
                }
            });
            // Entries sampled into their owner's new-candidate list are no longer new.
            Parallel.For(0, blocks, options, b =>
            {
                int end = Math.Min(count, (b + 1) * 1024);
                for (int i = b * 1024; i < end; i++)
                {
                    for (int r = 0; r < lists.Count(i); r++)
                    {
                        if (lists.IsNew(i, r) && newCandidates.Contains(i, lists.Index(i, r))) lists.MarkOld(i, r);
                    }
                }
            });
            lists.BeginRound();
            // Local join: every pair (new, new) and (new, old) among a node's candidates is a candidate edge.
            Parallel.For(0, blocks, options, b =>
            {
                int end = Math.Min(count, (b + 1) * 1024);
                for (int i = b * 1024; i < end; i++)
                {
                    var fresh = newCandidates.Items(i);
                    var old = oldCandidates.Items(i);
                    for (int a = 0; a < fresh.Length; a++)
                    {
                        int p = fresh[a];
                        var rowP = data.AsSpan(p * dimension, dimension);
                        for (int c = a + 1; c < fresh.Length; c++)
                        {
                            int q = fresh[c];
                            if (p == q) continue;
                            float d = SquaredDistance(rowP, data.AsSpan(q * dimension, dimension));
                            lists.TryInsert(p, d, q);
                            lists.TryInsert(q, d, p);
                        }
                        for (int c = 0; c < old.Length; c++)
                        {
                            int q = old[c];
                            if (p == q) continue;
                            float d = SquaredDistance(rowP, data.AsSpan(q * dimension, dimension));
                            lists.TryInsert(p, d, q);
                            lists.TryInsert(q, d, p);
                        }
                    }
                }
            });
            long changes = lists.CountNewThisRound();
            log.Verbose($"NN-descent iteration {iteration + 1}: {changes:N0} list entries changed.");
            log.Progress((iteration + 1.0) / maxIterations, $"NN-descent iteration {iteration + 1}");
            if (changes <= threshold) break;
        }

        var indices = new int[count * k];
        var distances = new float[count * k];
        Parallel.For(0, count, options, i =>
        {
            var idx = new int[lists.Count(i)];
            var dist = new float[idx.Length];
            for (int r = 0; r < idx.Length; r++) { idx[r] = lists.Index(i, r); dist[r] = lists.Distance(i, r); }
            SortRow(idx, dist);
            for (int r = 0; r < k; r++)
            {
                indices[i * k + r] = r < idx.Length ? idx[r] : idx[^1];
                distances[i * k + r] = MathF.Sqrt(r < dist.Length ? dist[r] : dist[^1]);
            }
        });
        return new KnnResult(count, k, indices, distances);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Priority(ulong salt, int i, int j)
    {
        // SplitMix64 finaliser of the unordered pair: the same priority whichever side offers it.
        ulong lo = (ulong)Math.Min(i, j), hi = (ulong)Math.Max(i, j);
        ulong z = unchecked(salt + (hi << 32 | lo) * 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (uint)((z ^ (z >> 31)) >> 32);
    }

    /// <summary>Per-node neighbour lists (max-heaps on (distance, index)) with a "new" flag and a per-node spin lock.</summary>
    private sealed class DescentLists
    {
        private readonly int _k;
        private readonly float[] _d;
        private readonly int[] _i;
        private readonly byte[] _flag; // 0 old, 1 new (from an earlier round), 2 inserted this round
        private readonly int[] _count;
        private readonly int[] _lock;
        /// <summary>The worst distance of a full list, published after each locked insert (+∞ until full).</summary>
        private readonly float[] _worst;

        public DescentLists(int n, int k)
        {
            _k = k; _d = new float[n * k]; _i = new int[n * k]; _flag = new byte[n * k]; _count = new int[n]; _lock = new int[n];
            _worst = new float[n];
            Array.Fill(_worst, float.PositiveInfinity);
        }

        public int Count(int node) => _count[node];
        public int Index(int node, int r) => _i[node * _k + r];
        public float Distance(int node, int r) => _d[node * _k + r];
        public bool IsNew(int node, int r) => _flag[node * _k + r] != 0;
        public void MarkOld(int node, int r) => _flag[node * _k + r] = 0;

        public bool Contains(int node, int j)
        {
            int start = node * _k, end = start + _count[node];
            for (int r = start; r < end; r++) if (_i[r] == j) return true;
            return false;
        }

        /// <summary>Publishes every full list's worst distance (after the single-threaded initial fill).</summary>
        public void PublishWorst()
        {
            for (int node = 0; node < _count.Length; node++) if (_count[node] == _k) _worst[node] = _d[node * _k];
        }

        public void BeginRound()
        {
            for (int r = 0; r < _flag.Length; r++) if (_flag[r] == 2) _flag[r] = 1;
        }

        public long CountNewThisRound()
        {
            long total = 0;
            for (int r = 0; r < _flag.Length; r++) if (_flag[r] == 2) total++;
            return total;
        }

        public void TryInsert(int node, float d, int j)
        {
            int start = node * _k;
            // Unlocked pre-check against the published worst (never the heap top mid-sift): it only shrinks, so a candidate
            // worse than any published value can never enter, whatever the interleaving.
            if (d > Volatile.Read(ref _worst[node])) return;
            while (Interlocked.CompareExchange(ref _lock[node], 1, 0) != 0) Thread.SpinWait(1);
            try
            {
                InsertUnlocked(node, d, j, 2);
                if (_count[node] == _k) Volatile.Write(ref _worst[node], _d[start]);
            }
            finally { Volatile.Write(ref _lock[node], 0); }
        }

        public void InsertUnlocked(int node, float d, int j, byte flag = 1)
        {
            int start = node * _k, n = _count[node];
            if (n == _k && Greater(d, j, _d[start], _i[start])) return;
            for (int r = start; r < start + n; r++) if (_i[r] == j) return;
            if (n < _k)
            {
                int p = n;
                _d[start + p] = d; _i[start + p] = j; _flag[start + p] = flag;
                _count[node] = n + 1;
                while (p > 0)
                {
                    int parent = (p - 1) >> 1;
                    if (!Greater(_d[start + p], _i[start + p], _d[start + parent], _i[start + parent])) break;
                    Swap(start + p, start + parent);
                    p = parent;
                }
                return;
            }
            _d[start] = d; _i[start] = j; _flag[start] = flag;
            int q = 0;
            while (true)
            {
                int l = 2 * q + 1, rr = l + 1, m = q;
                if (l < n && Greater(_d[start + l], _i[start + l], _d[start + m], _i[start + m])) m = l;
                if (rr < n && Greater(_d[start + rr], _i[start + rr], _d[start + m], _i[start + m])) m = rr;
                if (m == q) break;
                Swap(start + q, start + m);
                q = m;
            }
        }

        private static bool Greater(float d1, int i1, float d2, int i2) => d1 > d2 || (d1 == d2 && i1 > i2);

        private void Swap(int a, int b)
        {
            (_d[a], _d[b]) = (_d[b], _d[a]);
            (_i[a], _i[b]) = (_i[b], _i[a]);
            (_flag[a], _flag[b]) = (_flag[b], _flag[a]);
        }
    }

    /// <summary>Per-node bounded candidate sets keyed by a random priority (max-heap: the worst priority on top), locked per node.</summary>
    private sealed class CandidateLists
    {
        private readonly int _c;
        private readonly uint[] _p;
        private readonly int[] _i;
        private readonly int[] _count;
        private readonly int[] _lock;

        public CandidateLists(int n, int c) { _c = c; _p = new uint[n * c]; _i = new int[n * c]; _count = new int[n]; _lock = new int[n]; }

        public void Clear() => Array.Clear(_count);

        public ReadOnlySpan<int> Items(int node) => _i.AsSpan(node * _c, _count[node]);

        public bool Contains(int node, int j)
        {
            int start = node * _c, end = start + _count[node];
            for (int r = start; r < end; r++) if (_i[r] == j) return true;
            return false;
        }

        public void Offer(int node, uint priority, int j)
        {
            while (Interlocked.CompareExchange(ref _lock[node], 1, 0) != 0) Thread.SpinWait(1);
            try
            {
                int start = node * _c, n = _count[node];
                if (n == _c && Greater(priority, j, _p[start], _i[start])) return;
                for (int r = start; r < start + n; r++) if (_i[r] == j) return;
                if (n < _c)
                {
                    int p = n;
                    _p[start + p] = priority; _i[start + p] = j;
                    _count[node] = n + 1;
                    while (p > 0)
                    {
                        int parent = (p - 1) >> 1;
                        if (!Greater(_p[start + p], _i[start + p], _p[start + parent], _i[start + parent])) break;
                        Swap(start + p, start + parent);
                        p = parent;
                    }
                    return;
                }
                _p[start] = priority; _i[start] = j;
                int q = 0;
                while (true)
                {
                    int l = 2 * q + 1, rr = l + 1, m = q;
                    if (l < n && Greater(_p[start + l], _i[start + l], _p[start + m], _i[start + m])) m = l;
                    if (rr < n && Greater(_p[start + rr], _i[start + rr], _p[start + m], _i[start + m])) m = rr;
                    if (m == q) break;
                    Swap(start + q, start + m);
                    q = m;
                }
            }
            finally { Volatile.Write(ref _lock[node], 0); }
        }

        private static bool Greater(uint p1, int i1, uint p2, int i2) => p1 > p2 || (p1 == p2 && i1 > i2);

        private void Swap(int a, int b)
        {
            (_p[a], _p[b]) = (_p[b], _p[a]);
            (_i[a], _i[b]) = (_i[b], _i[a]);
        }
    }

    /// <summary>
    /// Exact neighbours of a few query rows only (brute force over all rows), for measuring recall on a sample:
    /// row r of the result belongs to <c>queries[r]</c>.
    /// </summary>
    public static KnnResult ExactFor(float[] data, int count, int dimension, int k, int[] queries, CancellationToken cancellation = default)
    {
        Validate(data, count, dimension, k);
        var indices = new int[queries.Length * k];
        var distances = new float[queries.Length * k];
        Parallel.For(0, queries.Length, new ParallelOptions { CancellationToken = cancellation }, () => new BoundedHeap(k), (r, _, heap) =>
        {
            int i = queries[r];
            heap.Clear();
            var row = data.AsSpan(i * dimension, dimension);
            for (int j = 0; j < count; j++)
            {
                if (j != i) heap.Offer(SquaredDistance(row, data.AsSpan(j * dimension, dimension)), j);
            }
            heap.Export(indices.AsSpan(r * k, k), distances.AsSpan(r * k, k));
            SortRow(indices.AsSpan(r * k, k), distances.AsSpan(r * k, k));
            for (int t = 0; t < k; t++) distances[r * k + t] = MathF.Sqrt(distances[r * k + t]);
            return heap;
        }, _ => { });
        return new KnnResult(queries.Length, k, indices, distances);
    }

    /// <summary>Fraction of the exact neighbours found by <paramref name="approximate"/>, over every row.</summary>
    public static double Recall(KnnResult approximate, KnnResult exact)
    {
        if (approximate.Count != exact.Count) throw new ArgumentException("both results must cover the same rows.");
        return Recall(approximate, exact, Enumerable.Range(0, exact.Count).ToArray());
    }

    /// <summary>
    /// Recall over sampled rows: row r of <paramref name="exactForQueries"/> holds the exact neighbours of <c>queries[r]</c>
    /// (see <see cref="ExactFor"/>). A neighbour counts as found when it is one of the exact k or ties the k-th distance.
    /// </summary>
    public static double Recall(KnnResult approximate, KnnResult exactForQueries, int[] queries)
    {
        if (approximate.K != exactForQueries.K) throw new ArgumentException("both results must have the same k.");
        int k = exactForQueries.K;
        long hits = 0, total = 0;
        for (int r = 0; r < queries.Length; r++)
        {
            var truth = exactForQueries.NeighborsOf(r);
            var found = approximate.NeighborsOf(queries[r]);
            var foundDistances = approximate.DistancesOf(queries[r]);
            float kth = exactForQueries.DistancesOf(r)[k - 1];
            for (int t = 0; t < k; t++)
            {
                if (truth.Contains(found[t]) || foundDistances[t] <= kth * (1 + 1e-6f)) hits++;
            }
            total += k;
        }
        return total == 0 ? 1 : (double)hits / total;
    }
}
