using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Knn;

namespace EmbedPS.Core.NeighborPreservation;

/// <summary>How a similarity (co-occurrence weight, after normalisation) becomes an edge length.</summary>
public enum SimilarityTransform
{
    /// <summary>1 / ln(1 + w): the method's 1/log(x), without its division by zero at a count of 1.</summary>
    InverseLog,
    /// <summary>1 / w.</summary>
    Reciprocal,
    /// <summary>−ln(w / max w), floored at 10⁻⁶ so that the strongest edge keeps a positive length.</summary>
    NegativeLog,
}

/// <summary>How co-occurrence weights are normalised before the transform, so that hubs stop dominating.</summary>
public enum SimilarityNormalization
{
    /// <summary>Raw weights.</summary>
    None,
    /// <summary>Lift w·T / (sᵢ·sⱼ) = e^PMI (T = Σ row sums, s = row sums): ranks like PMI and stays positive, so every edge is kept.</summary>
    Pmi,
    /// <summary>Positive PMI: max(0, ln(w·T / (sᵢ·sⱼ))); pairs at or below independence are dropped.</summary>
    Ppmi,
    /// <summary>Ochiai / cosine of the incidence vectors: w / √(pᵢ·pⱼ), p = popularity (row sums when a popularity is 0).</summary>
    Cosine,
    /// <summary>Jaccard: w / (pᵢ + pⱼ − w), p = popularity (row sums when a popularity is 0).</summary>
    Jaccard,
    /// <summary>
    /// Cosine with additive smoothing: w · p̄ / √((pᵢ + p̄)(pⱼ + p̄)), p̄ = the mean popularity. Between popular entities it
    /// ranks as Cosine; a rare entity's partners rank by their count (the limit for p ≪ p̄), so a pair seen once between two
    /// rare entities no longer outranks its well-supported partners. The default.
    /// </summary>
    SmoothedCosine,
}

/// <summary>
/// An undirected graph of edge lengths in CSR form whose rows are sorted by length (then index), so that a search can stop
/// scanning a row once the lengths exceed what it still needs.
/// </summary>
public sealed class DistanceGraph
{
    public DistanceGraph(int count, long[] rowOffsets, int[] targets, float[] lengths)
    {
        Count = count; RowOffsets = rowOffsets; Targets = targets; Lengths = lengths;
    }

    public int Count { get; }
    public long[] RowOffsets { get; }
    public int[] Targets { get; }
    public float[] Lengths { get; }
    public long EdgeCount => Targets.LongLength / 2;

    /// <summary>
    /// Turns co-occurrence weights into lengths: normalise, transform, drop non-positive or non-finite results, sort each row.
    /// With <paramref name="keepPerRow"/> only each row's shortest edges are kept (see <see cref="GraphKnn"/> for why k + 1
    /// of them give the exact k nearest by path length); lengths are computed on the fly, so memory is that of the result.
    /// </summary>
    public static DistanceGraph FromCooccurrence(CooccurrenceMatrix matrix, SimilarityNormalization normalization, SimilarityTransform transform,
        CancellationToken cancellation = default, int keepPerRow = int.MaxValue) =>
        Build(matrix, normalization, transform, cancellation, keepPerRow, double.NaN, out _);

    /// <summary>
    /// <see cref="FromCooccurrence(CooccurrenceMatrix, SimilarityNormalization, SimilarityTransform, CancellationToken, int)"/> and
    /// <see cref="LengthQuantile(CooccurrenceMatrix, SimilarityNormalization, SimilarityTransform, double, CancellationToken)"/> at
    /// once: the pass that builds the graph also fills the quantile's histogram, so every pair's length is computed once for both
    /// (plus once more for the few pairs in the quantile's bucket).
    /// </summary>
    public static DistanceGraph FromCooccurrence(CooccurrenceMatrix matrix, SimilarityNormalization normalization, SimilarityTransform transform,
        double q, out double lengthQuantile, CancellationToken cancellation = default, int keepPerRow = int.MaxValue) =>
        Build(matrix, normalization, transform, cancellation, keepPerRow, q, out lengthQuantile);

    /// <summary>
    /// One parallel pass over the rows: each row's lengths are computed once, its <paramref name="keepPerRow"/> shortest selected
    /// and written into room for min(row length, keepPerRow) entries; rows that kept fewer (dropped pairs) are closed up after.
    /// With a quantile asked for, the lengths of the pairs above the diagonal also go into a histogram of their bit patterns.
    /// </summary>
    private static DistanceGraph Build(CooccurrenceMatrix matrix, SimilarityNormalization normalization, SimilarityTransform transform,
        CancellationToken cancellation, int keepPerRow, double q, out double lengthQuantile)
    {
        if (keepPerRow < 1) throw new ArgumentOutOfRangeException(nameof(keepPerRow));
        var lengthOf = new EdgeLength(matrix, normalization, transform, cancellation);
        int n = matrix.EntityCount;
        bool quantile = !double.IsNaN(q);
        var offsets = new long[n + 1];
        int longest = 0;
        for (int i = 0; i < n; i++)
        {
            int length = (int)(matrix.RowOffsets[i + 1] - matrix.RowOffsets[i]);
            longest = Math.Max(longest, length);
            offsets[i + 1] = offsets[i] + Math.Min(length, keepPerRow);
        }
        var targets = new int[offsets[n]];
        var lengths = new float[offsets[n]];
        var counts = new int[n];
        var histogram = quantile ? new long[1 << 16] : null;
        object gate = new();
        const int Block = 64;
        Parallel.For(0, (n + Block - 1) / Block, new ParallelOptions { CancellationToken = cancellation },
            () => (Lengths: new float[longest], Targets: new int[longest], Histogram: quantile ? new long[1 << 16] : null),
            (block, _, local) =>
            {
                var (rowLengths, rowTargets, localHistogram) = local;
                for (int i = block * Block, end = Math.Min(n, i + Block); i < end; i++)
                {
                    int kept = 0;
                    for (long e = matrix.RowOffsets[i], eEnd = matrix.RowOffsets[i + 1]; e < eEnd; e++)
                    {
                        float length = lengthOf.Length(i, e);
                        if (!(length > 0)) continue;
                        int j = matrix.ColumnIndices[e];
                        rowLengths[kept] = length; rowTargets[kept++] = j;
                        if (localHistogram is not null && j > i) localHistogram[BitConverter.SingleToInt32Bits(length) >>> 16]++;
                    }
                    int keep = Math.Min(kept, keepPerRow);
                    SelectShortest(rowTargets.AsSpan(0, kept), rowLengths.AsSpan(0, kept), keep);
                    rowTargets.AsSpan(0, keep).CopyTo(targets.AsSpan((int)offsets[i], keep));
                    rowLengths.AsSpan(0, keep).CopyTo(lengths.AsSpan((int)offsets[i], keep));
                    counts[i] = keep;
                }
                return local;
            },
            local => { if (local.Histogram is { } h) lock (gate) for (int b = 0; b < h.Length; b++) histogram![b] += h[b]; });
        // Close the gaps of rows that dropped pairs (non-positive or non-finite lengths).
        long write = 0;
        for (int i = 0; i < n; i++)
        {
            long from = offsets[i];
            offsets[i] = write;
            if (from != write)
            {
                Array.Copy(targets, from, targets, write, counts[i]);
                Array.Copy(lengths, from, lengths, write, counts[i]);
            }
            write += counts[i];
        }
        offsets[n] = write;
        if (write != targets.LongLength)
        {
            Array.Resize(ref targets, (int)write);
            Array.Resize(ref lengths, (int)write);
        }
        lengthQuantile = quantile ? QuantileFromHistogram(matrix, lengthOf, histogram!, q, cancellation) : double.NaN;
        return new DistanceGraph(n, offsets, targets, lengths);
    }

    /// <summary>
    /// The q-quantile of the lengths of every pair of the matrix (each unordered pair once), linear interpolation as
    /// torch.quantile — without materialising the lengths: a 65,536-bucket histogram of the float bit patterns' high halves
    /// (positive floats order like their bits) finds the bucket holding the wanted ranks, and a second histogram of that
    /// bucket's low halves gives the exact values at those ranks.
    /// </summary>
    public static double LengthQuantile(CooccurrenceMatrix matrix, SimilarityNormalization normalization, SimilarityTransform transform, double q,
        CancellationToken cancellation = default)
    {
        var lengthOf = new EdgeLength(matrix, normalization, transform, cancellation);
        int n = matrix.EntityCount;
        var histogram = new long[1 << 16];
        object gate = new();
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellation }, () => new long[1 << 16], (i, _, local) =>
        {
            for (long e = matrix.RowOffsets[i]; e < matrix.RowOffsets[i + 1]; e++)
            {
                if (matrix.ColumnIndices[e] <= i) continue;
                float length = lengthOf.Length(i, e);
                if (length > 0) local[BitConverter.SingleToInt32Bits(length) >>> 16]++;
            }
            return local;
        }, local => { lock (gate) for (int b = 0; b < local.Length; b++) histogram[b] += local[b]; });
        return QuantileFromHistogram(matrix, lengthOf, histogram, q, cancellation);
    }

    private static double QuantileFromHistogram(CooccurrenceMatrix matrix, EdgeLength lengthOf, long[] histogram, double q, CancellationToken cancellation)
    {
        long total = histogram.Sum();
        if (total == 0) return double.NaN;
        double position = q * (total - 1);
        long low = (long)Math.Floor(position), high = Math.Min(total - 1, low + 1);
        var (lowValue, highValue) = ValuesAtRanks(matrix, lengthOf, histogram, low, high, cancellation);
        return lowValue + (position - low) * (highValue - lowValue);
    }

    /// <summary>
    /// The lengths at two adjacent ranks: one parallel pass counts the low 16 bits of the lengths in the (at most two) buckets
    /// holding them, which fixes every bit of the values at those ranks — no list of the bucket's values, no sort (at atlas size
    /// the bucket of the 75th percentile held tens of millions of pairs).
    /// </summary>
    private static (double Low, double High) ValuesAtRanks(CooccurrenceMatrix matrix, EdgeLength lengthOf, long[] histogram, long low, long high,
        CancellationToken cancellation)
    {
        int BucketOf(long rank, out long before)
        {
            int bucket = 0;
            before = 0;
            while (before + histogram[bucket] <= rank) before += histogram[bucket++];
            return bucket;
        }
        int lowBucket = BucketOf(low, out long lowBefore), highBucket = BucketOf(high, out long highBefore);
        var lowCounts = new long[1 << 16];
        var highCounts = lowBucket == highBucket ? lowCounts : new long[1 << 16];
        object gate = new();
        Parallel.For(0, matrix.EntityCount, new ParallelOptions { CancellationToken = cancellation },
            () => (Low: new long[1 << 16], High: lowBucket == highBucket ? null : new long[1 << 16]), (i, _, local) =>
            {
                for (long e = matrix.RowOffsets[i]; e < matrix.RowOffsets[i + 1]; e++)
                {
                    if (matrix.ColumnIndices[e] <= i) continue;
                    float length = lengthOf.Length(i, e);
                    if (!(length > 0)) continue;
                    int bits = BitConverter.SingleToInt32Bits(length);
                    int bucket = bits >>> 16;
                    if (bucket == lowBucket) local.Low[bits & 0xFFFF]++;
                    else if (bucket == highBucket) local.High![bits & 0xFFFF]++;
                }
                return local;
            }, local =>
            {
                lock (gate)
                {
                    for (int b = 0; b < local.Low.Length; b++) lowCounts[b] += local.Low[b];
                    if (local.High is { } h) for (int b = 0; b < h.Length; b++) highCounts[b] += h[b];
                }
            });
        static double ValueAt(int bucket, long[] counts, long rank)
        {
            long before = 0;
            int b = 0;
            while (before + counts[b] <= rank) before += counts[b++];
            return BitConverter.Int32BitsToSingle((bucket << 16) | b);
        }
        return (ValueAt(lowBucket, lowCounts, low - lowBefore), ValueAt(highBucket, highCounts, high - highBefore));
    }

    /// <summary>
    /// For every component (given as each entity's root), the shortest pair of the whole matrix that leaves it — ties to the
    /// smaller (a, b) — so that -ConnectComponents links through the real closest pairs even though the length graph keeps only
    /// each entity's shortest edges. One parallel pass over all pairs per call.
    /// </summary>
    public static Dictionary<int, (float Length, int A, int B)> ShortestCrossingEdges(CooccurrenceMatrix matrix, SimilarityNormalization normalization,
        SimilarityTransform transform, int[] root, CancellationToken cancellation = default)
    {
        var lengthOf = new EdgeLength(matrix, normalization, transform, cancellation);
        var best = new Dictionary<int, (float Length, int A, int B)>();
        object gate = new();
        static bool Better((float Length, int A, int B) x, (float Length, int A, int B) y) =>
            x.Length < y.Length || (x.Length == y.Length && (x.A, x.B).CompareTo((y.A, y.B)) < 0);
        Parallel.For(0, matrix.EntityCount, new ParallelOptions { CancellationToken = cancellation },
            () => new Dictionary<int, (float Length, int A, int B)>(), (i, _, local) =>
            {
                int ci = root[i];
                for (long e = matrix.RowOffsets[i]; e < matrix.RowOffsets[i + 1]; e++)
                {
                    int j = matrix.ColumnIndices[e];
                    if (root[j] == ci) continue;
                    float length = lengthOf.Length(i, e);
                    if (!(length > 0)) continue;
                    var candidate = (length, Math.Min(i, j), Math.Max(i, j));
                    if (!local.TryGetValue(ci, out var current) || Better(candidate, current)) local[ci] = candidate;
                }
                return local;
            }, local =>
            {
                lock (gate)
                {
                    foreach (var (component, candidate) in local)
                        if (!best.TryGetValue(component, out var current) || Better(candidate, current)) best[component] = candidate;
                }
            });
        return best;
    }

    /// <summary>The length of stored entry e (row i) of a co-occurrence matrix; 0 when the pair is dropped.</summary>
    private readonly struct EdgeLength
    {
        private readonly CooccurrenceMatrix _matrix;
        private readonly SimilarityNormalization _normalization;
        private readonly SimilarityTransform _transform;
        private readonly double[] _scale;
        private readonly double _total;
        private readonly double _max;
        private readonly double _meanScale;

        public EdgeLength(CooccurrenceMatrix matrix, SimilarityNormalization normalization, SimilarityTransform transform, CancellationToken cancellation)
        {
            _matrix = matrix; _normalization = normalization; _transform = transform;
            int n = matrix.EntityCount;
            _scale = new double[n];
            for (int i = 0; i < n; i++)
            {
                double p = matrix.Popularity[i];
                _scale[i] = normalization is SimilarityNormalization.Pmi or SimilarityNormalization.Ppmi || p <= 0 ? matrix.RowSums[i] : p;
            }
            double total = 0;
            foreach (var s in matrix.RowSums) total += s;
            _total = total;
            double scaleSum = 0;
            foreach (var s in _scale) scaleSum += s;
            _meanScale = n > 0 ? scaleSum / n : 0;
            _max = 0;
            if (transform == SimilarityTransform.NegativeLog)
            {
                // Only −ln(w / max w) needs the largest similarity.
                var self = this;
                double max = 0;
                object gate = new();
                Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellation }, () => 0.0, (i, _, localMax) =>
                {
                    for (long e = matrix.RowOffsets[i]; e < matrix.RowOffsets[i + 1]; e++) localMax = Math.Max(localMax, self.Similarity(i, e));
                    return localMax;
                }, localMax => { lock (gate) max = Math.Max(max, localMax); });
                _max = max;
            }
        }

        private double Similarity(int i, long e)
        {
            int j = _matrix.ColumnIndices[e];
            double w = _matrix.Weights[e];
            double s = !(w > 0) || double.IsInfinity(w) ? 0 : _normalization switch
            {
                SimilarityNormalization.None => w,
                SimilarityNormalization.Pmi => w * _total / (_scale[i] * _scale[j]),
                SimilarityNormalization.Ppmi => Math.Max(0, Math.Log(w * _total / (_scale[i] * _scale[j]))),
                SimilarityNormalization.Cosine => w / Math.Sqrt(_scale[i] * _scale[j]),
                SimilarityNormalization.Jaccard => w / Math.Max(w, _scale[i] + _scale[j] - w),
                SimilarityNormalization.SmoothedCosine => w * _meanScale / Math.Sqrt((_scale[i] + _meanScale) * (_scale[j] + _meanScale)),
                _ => throw new ArgumentOutOfRangeException(nameof(_normalization)),
            };
            return s > 0 && !double.IsInfinity(s) ? s : 0;
        }

        public float Length(int i, long e)
        {
            double s = Similarity(i, e);
            if (!(s > 0)) return 0;
            float length = (float)Math.Min(float.MaxValue, Transform(s, _max, _transform));
            return length > 0 && !float.IsInfinity(length) ? length : 0;
        }
    }

    internal static double Transform(double similarity, double max, SimilarityTransform transform)
    {
        switch (transform)
        {
            case SimilarityTransform.InverseLog:
                // ln(1 + w) without cancellation for tiny w.
                double log1p = similarity < 1e-4 ? similarity - similarity * similarity / 2 : Math.Log(1 + similarity);
                return 1 / log1p;
            case SimilarityTransform.Reciprocal:
                return 1 / similarity;
            case SimilarityTransform.NegativeLog:
                return Math.Max(1e-6, -Math.Log(similarity / max));
            default:
                throw new ArgumentOutOfRangeException(nameof(transform));
        }
    }

    /// <summary>Builds a length graph from an undirected edge list (each pair once, either orientation).</summary>
    public static DistanceGraph FromEdges(int count, IReadOnlyList<(int A, int B, float Length)> edges)
    {
        var degree = new int[count];
        foreach (var (a, b, length) in edges)
        {
            if (a == b) throw new ArgumentException($"self-edge at {a}.");
            if (!(length > 0) || float.IsInfinity(length)) throw new ArgumentException($"edge ({a}, {b}) has length {length}; lengths must be positive and finite.");
            degree[a]++; degree[b]++;
        }
        var offsets = new long[count + 1];
        for (int i = 0; i < count; i++) offsets[i + 1] = offsets[i] + degree[i];
        var fill = new long[count];
        Array.Copy(offsets, fill, count);
        var targets = new int[offsets[count]];
        var lengths = new float[offsets[count]];
        foreach (var (a, b, length) in edges)
        {
            targets[fill[a]] = b; lengths[fill[a]++] = length;
            targets[fill[b]] = a; lengths[fill[b]++] = length;
        }
        for (int i = 0; i < count; i++) SortRow(targets.AsSpan((int)offsets[i], degree[i]), lengths.AsSpan((int)offsets[i], degree[i]));
        return new DistanceGraph(count, offsets, targets, lengths);
    }

    private static void SortRow(Span<int> targets, Span<float> lengths) => SelectShortest(targets, lengths, targets.Length);

    /// <summary>
    /// Moves the <paramref name="keep"/> shortest edges (ties: smaller target) to the front of the row, sorted. Positive
    /// lengths order like their bit patterns, so (length, target) packs into one ulong key; a bounded max-heap selects
    /// when only a few of a long row are kept.
    /// </summary>
    private static void SelectShortest(Span<int> targets, Span<float> lengths, int keep)
    {
        int count = targets.Length;
        if (count < 2 || keep < 1) return;
        keep = Math.Min(keep, count);
        if (count <= 32) { VectorKnn.SortRow(targets, lengths); return; }
        var pooled = System.Buffers.ArrayPool<ulong>.Shared.Rent(keep < count / 4 ? keep : count);
        try
        {
            var keys = pooled.AsSpan(0, keep < count / 4 ? keep : count);
            if (keep < count / 4)
            {
                int size = 0;
                for (int r = 0; r < count; r++)
                {
                    ulong key = Pack(lengths[r], targets[r]);
                    if (size < keep) { keys[size] = key; SiftUp(keys, size++); }
                    else if (key < keys[0]) { keys[0] = key; SiftDown(keys, 0, size); }
                }
                keys.Sort();
            }
            else
            {
                for (int r = 0; r < count; r++) keys[r] = Pack(lengths[r], targets[r]);
                keys.Sort();
            }
            for (int r = 0; r < keep; r++)
            {
                lengths[r] = BitConverter.Int32BitsToSingle((int)(keys[r] >> 32));
                targets[r] = (int)(uint)keys[r];
            }
        }
        finally
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(pooled);
        }
    }

    private static ulong Pack(float length, int target) => ((ulong)(uint)BitConverter.SingleToInt32Bits(length) << 32) | (uint)target;

    private static void SiftUp(Span<ulong> heap, int p)
    {
        while (p > 0)
        {
            int parent = (p - 1) >> 1;
            if (heap[parent] >= heap[p]) break;
            (heap[parent], heap[p]) = (heap[p], heap[parent]);
            p = parent;
        }
    }

    private static void SiftDown(Span<ulong> heap, int p, int size)
    {
        while (true)
        {
            int left = 2 * p + 1, largest = p;
            if (left < size && heap[left] > heap[largest]) largest = left;
            if (left + 1 < size && heap[left + 1] > heap[largest]) largest = left + 1;
            if (largest == p) return;
            (heap[largest], heap[p]) = (heap[p], heap[largest]);
            p = largest;
        }
    }

    /// <summary>The q-quantile of the edge lengths (each undirected edge once), linear interpolation as torch.quantile.</summary>
    public double LengthQuantile(double q)
    {
        var upper = new List<float>((int)Math.Min(int.MaxValue, EdgeCount));
        for (int i = 0; i < Count; i++)
        {
            for (long e = RowOffsets[i]; e < RowOffsets[i + 1]; e++) if (Targets[e] > i) upper.Add(Lengths[e]);
        }
        if (upper.Count == 0) return double.NaN;
        var values = upper.ToArray();
        Array.Sort(values);
        double position = q * (values.Length - 1);
        int low = (int)Math.Floor(position), high = Math.Min(values.Length - 1, low + 1);
        return values[low] + (position - low) * (values[high] - values[low]);
    }
}

/// <summary>Directed kNN lists: <c>Indices[i*K + r]</c>, −1 past <c>Counts[i]</c>.</summary>
public sealed class NeighborLists
{
    public NeighborLists(int count, int k, int[] indices, float[] distances, int[] counts)
    {
        Count = count; K = k; Indices = indices; Distances = distances; Counts = counts;
    }

    public int Count { get; }
    public int K { get; }
    public int[] Indices { get; }
    public float[] Distances { get; }
    public int[] Counts { get; }

    public ReadOnlySpan<int> NeighborsOf(int i) => Indices.AsSpan(i * K, Counts[i]);
    public ReadOnlySpan<float> DistancesOf(int i) => Distances.AsSpan(i * K, Counts[i]);

    public static NeighborLists FromKnn(KnnResult knn, double maxDistance = double.PositiveInfinity)
    {
        var counts = new int[knn.Count];
        var indices = (int[])knn.Indices.Clone();
        var distances = (float[])knn.Distances.Clone();
        for (int i = 0; i < knn.Count; i++)
        {
            int c = 0;
            for (int r = 0; r < knn.K; r++)
            {
                if (knn.Distances[i * knn.K + r] <= maxDistance) c++; else indices[i * knn.K + r] = -1;
            }
            counts[i] = c;
        }
        return new NeighborLists(knn.Count, knn.K, indices, distances, counts);
    }
}

/// <summary>
/// Graph kNN by shortest-path length, PyMDE's meaning (preprocess.graph.k_nearest_neighbors with graph distances): each
/// entity's neighbours are the k nearest entities by path length within a radius. Implemented as a bounded Dijkstra per
/// source that stops once k entities are settled and never goes beyond the radius (nor beyond the source's own k-th shortest
/// edge, an upper bound on its k-th path length), parallel over sources with per-thread heaps and generation-stamped
/// arrays — instead of PyMDE's search of every reachable node. Ties at equal length go to the smaller index.
/// Each entity's k + 1 shortest edges are all the search ever needs: if a shortest path to v leaves some u by an edge that
/// is not among u's k + 1 shortest, those k + 1 shorter edges reach k entities other than the source no farther than v,
/// so v (and anything beyond it) is not strictly among the k nearest. Only ties at the k-th distance can resolve differently.
/// </summary>
public static class GraphKnn
{
    public static NeighborLists Search(DistanceGraph graph, int k, double maxDistance, IStageLog? log = null, CancellationToken cancellation = default) =>
        Search(graph, k, maxDistance, log, cancellation, out _);

    /// <summary>
    /// Each worker owns one search state (three arrays of n: 16 MB at a million entities) for all the blocks it takes.
    /// Parallel.For's thread-local init would instead run for every replica task it starts — replicas end and restart every
    /// few hundred milliseconds — and at a million entities those states piled up gigabytes of garbage (8.5 GB resident).
    /// </summary>
    internal static NeighborLists Search(DistanceGraph graph, int k, double maxDistance, IStageLog? log, CancellationToken cancellation, out int statesCreated)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k));
        log ??= StageLog.Null;
        int n = graph.Count;
        var indices = new int[n * k];
        Array.Fill(indices, -1);
        var distances = new float[n * k];
        var counts = new int[n];
        const int Block = 256;
        int blocks = (n + Block - 1) / Block, done = 0, next = -1, created = 0;
        int workers = Math.Max(1, Math.Min(Environment.ProcessorCount, blocks));
        Parallel.For(0, workers, new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = workers }, _ =>
        {
            var state = new DijkstraState(n);
            Interlocked.Increment(ref created);
            for (int b; (b = Interlocked.Increment(ref next)) < blocks;)
            {
                if (cancellation.IsCancellationRequested) return;
                int end = Math.Min(n, (b + 1) * Block);
                for (int s = b * Block; s < end; s++) counts[s] = state.Run(graph, s, k, maxDistance, indices.AsSpan(s * k, k), distances.AsSpan(s * k, k));
                int finished = Interlocked.Increment(ref done);
                if ((finished & 7) == 0) log.Progress((double)finished / blocks, $"shortest-path neighbours {Math.Min(n, finished * Block):N0}/{n:N0}");
            }
        });
        cancellation.ThrowIfCancellationRequested();
        statesCreated = created;
        return new NeighborLists(n, k, indices, distances, counts);
    }

    private sealed class DijkstraState
    {
        private readonly double[] _distance;
        private readonly int[] _seen;     // generation at which _distance became valid
        private readonly int[] _settled;  // generation at which the node was settled
        private int _generation;
        private double[] _heapKey = new double[64];
        private int[] _heapNode = new int[64];
        private int _heapCount;

        public DijkstraState(int n) { _distance = new double[n]; _seen = new int[n]; _settled = new int[n]; }

        public int Run(DistanceGraph graph, int source, int k, double radius, Span<int> outIndices, Span<float> outDistances)
        {
            int generation = ++_generation;
            _heapCount = 0;
            double bound = radius;
            long rowStart = graph.RowOffsets[source], rowLength = graph.RowOffsets[source + 1] - rowStart;
            // The source's own k shortest edges reach k entities, so the k-th path length is at most the k-th edge.
            if (rowLength >= k) bound = Math.Min(bound, graph.Lengths[rowStart + k - 1]);
            _distance[source] = 0; _seen[source] = generation;
            Push(0, source);
            int found = 0;
            while (_heapCount > 0)
            {
                Pop(out double d, out int u);
                if (_settled[u] == generation) continue;
                _settled[u] = generation;
                if (u != source)
                {
                    outIndices[found] = u; outDistances[found] = (float)d;
                    if (++found == k) break;
                }
                for (long e = graph.RowOffsets[u], end = graph.RowOffsets[u + 1]; e < end; e++)
                {
                    double candidate = d + graph.Lengths[e];
                    if (candidate > bound) break; // rows are sorted by length
                    int v = graph.Targets[e];
                    if (_settled[v] == generation) continue;
                    if (_seen[v] != generation || candidate < _distance[v])
                    {
                        _seen[v] = generation; _distance[v] = candidate;
                        Push(candidate, v);
                    }
                }
            }
            return found;
        }

        private static bool Less(double k1, int n1, double k2, int n2) => k1 < k2 || (k1 == k2 && n1 < n2);

        private void Push(double key, int node)
        {
            if (_heapCount == _heapKey.Length)
            {
                Array.Resize(ref _heapKey, _heapCount * 2);
                Array.Resize(ref _heapNode, _heapCount * 2);
            }
            int p = _heapCount++;
            while (p > 0)
            {
                int parent = (p - 1) >> 1;
                if (!Less(key, node, _heapKey[parent], _heapNode[parent])) break;
                _heapKey[p] = _heapKey[parent]; _heapNode[p] = _heapNode[parent];
                p = parent;
            }
            _heapKey[p] = key; _heapNode[p] = node;
        }

        private void Pop(out double key, out int node)
        {
            key = _heapKey[0]; node = _heapNode[0];
            int count = --_heapCount;
            if (count == 0) return;
            double lastKey = _heapKey[count]; int lastNode = _heapNode[count];
            int p = 0;
            while (true)
            {
                int c = 2 * p + 1;
                if (c >= count) break;
                if (c + 1 < count && Less(_heapKey[c + 1], _heapNode[c + 1], _heapKey[c], _heapNode[c])) c++;
                if (!Less(_heapKey[c], _heapNode[c], lastKey, lastNode)) break;
                _heapKey[p] = _heapKey[c]; _heapNode[p] = _heapNode[c];
                p = c;
            }
            _heapKey[p] = lastKey; _heapNode[p] = lastNode;
        }
    }
}

/// <summary>Connected components by union–find.</summary>
public sealed class Components
{
    private readonly int[] _parent;

    public Components(int n)
    {
        _parent = new int[n];
        for (int i = 0; i < n; i++) _parent[i] = i;
    }

    public int Find(int x)
    {
        while (_parent[x] != x) { _parent[x] = _parent[_parent[x]]; x = _parent[x]; }
        return x;
    }

    /// <summary>Joins the sets of a and b; true when they were separate.</summary>
    public bool Union(int a, int b)
    {
        int ra = Find(a), rb = Find(b);
        if (ra == rb) return false;
        // The smaller root index wins, so labels do not depend on the order of unions.
        if (ra < rb) _parent[rb] = ra; else _parent[ra] = rb;
        return true;
    }

    /// <summary>Component label (0-based, ordered by smallest member) of every node and the size of each component.</summary>
    public (int[] Labels, int[] Sizes) Label()
    {
        int n = _parent.Length;
        var labels = new int[n];
        var byRoot = new Dictionary<int, int>();
        var sizes = new List<int>();
        for (int i = 0; i < n; i++)
        {
            int root = Find(i);
            if (!byRoot.TryGetValue(root, out int label)) { label = sizes.Count; byRoot[root] = label; sizes.Add(0); }
            labels[i] = label;
            sizes[label]++;
        }
        return (labels, sizes.ToArray());
    }
}
