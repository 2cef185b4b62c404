using System.Runtime.CompilerServices;
using EmbedPS.Core.Common;
using EmbedPS.Core.Knn;

namespace EmbedPS.Core.Projection;

/// <summary>
/// Exact k nearest neighbours for low-dimensional points (2–16 dims, the usual MDE output) with a k-d tree:
/// the points are copied into tree order (leaves of ≤ 12 contiguous points), each internal node splits the widest
/// dimension of its bounding box at the median. Queries run in parallel, each with its own bounded candidate list;
/// ties are broken by the smaller index, so the result is exact and deterministic whatever the thread count.
/// </summary>
public static class LowDimensionalKnn
{
    /// <summary>Above this dimension a k-d tree stops pruning well; <see cref="VectorKnn.Exact"/> is used instead.</summary>
    public const int MaxTreeDimension = 16;

    /// <summary>kNN of every row (self excluded): k-d tree for dim ≤ 16, the shared exact vector kNN otherwise.</summary>
    public static KnnResult Search(float[] data, int count, int dimension, int k, IStageLog? log = null, CancellationToken cancellation = default)
    {
        if (dimension > MaxTreeDimension) return VectorKnn.Exact(data, count, dimension, k, log, cancellation);
        return new KdTree(data, count, dimension).SearchAll(k, log ?? StageLog.Null, cancellation);
    }

    /// <summary>k nearest rows to an arbitrary query point (no self exclusion), ascending distance.</summary>
    public static (int[] Indices, float[] Distances) Query(float[] data, int count, int dimension, ReadOnlySpan<float> query, int k, int exclude = -1)
    {
        k = Math.Min(k, count - (exclude >= 0 ? 1 : 0));
        var bestD = new float[k];
        var bestI = new int[k];
        int filled = 0;
        for (int j = 0; j < count; j++)
        {
            if (j == exclude) continue;
            float d = 0;
            for (int c = 0; c < dimension; c++) { float t = data[j * dimension + c] - query[c]; d += t * t; }
            if (filled < k) { Candidates.Insert(bestD, bestI, filled, d, j); filled++; }
            else if (d < bestD[k - 1]) Candidates.Insert(bestD, bestI, k - 1, d, j);
        }
        for (int r = 0; r < k; r++) bestD[r] = MathF.Sqrt(bestD[r]);
        return (bestI, bestD);
    }
}

/// <summary>Sorted bounded candidate lists: ascending squared distance, ties by smaller index.</summary>
internal static class Candidates
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Before(float d, int j, float d2, int j2) => d < d2 || (d == d2 && j < j2);

    /// <summary>Inserts (d, j) into the sorted prefix [0, length); the element at length (if any) is overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Insert(float[] bestD, int[] bestI, int length, float d, int j)
    {
        int p = length;
        while (p > 0 && Before(d, j, bestD[p - 1], bestI[p - 1]))
        {
            if (p < bestD.Length) { bestD[p] = bestD[p - 1]; bestI[p] = bestI[p - 1]; }
            p--;
        }
        if (p < bestD.Length) { bestD[p] = d; bestI[p] = j; }
    }
}

internal sealed class KdTree
{
    private const int LeafSize = 12;
    private readonly int _count, _dim;
    private readonly float[] _points;      // tree order, row-major
    private readonly int[] _original;      // tree position -> original index
    // Nodes: [Start, End) range of tree positions; split dimension (-1 for a leaf) and value; children.
    private readonly List<int> _start = new(), _end = new(), _splitDim = new(), _left = new(), _right = new();
    private readonly List<float> _splitValue = new();

    public KdTree(float[] data, int count, int dimension)
    {
        _count = count; _dim = dimension;
        _original = new int[count];
        for (int i = 0; i < count; i++) _original[i] = i;
        var keys = new float[count];
        Build(data, keys, 0, count);
        _points = new float[(long)count * dimension];
        for (int p = 0; p < count; p++) Array.Copy(data, (long)_original[p] * dimension, _points, (long)p * dimension, dimension);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Build(float[] data, float[] keys, int start, int end)
    {
        int node = _start.Count;
        _start.Add(start); _end.Add(end); _splitDim.Add(-1); _splitValue.Add(0); _left.Add(-1); _right.Add(-1);
        if (end - start <= LeafSize) return node;
        int bestDim = 0; float bestSpread = -1;
        for (int c = 0; c < _dim; c++)
        {
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            for (int p = start; p < end; p++) { float v = data[(long)_original[p] * _dim + c]; if (v < lo) lo = v; if (v > hi) hi = v; }
            if (hi - lo > bestSpread) { bestSpread = hi - lo; bestDim = c; }
        }
        if (bestSpread <= 0) return node; // all identical: keep as one leaf
        for (int p = start; p < end; p++) keys[p] = data[(long)_original[p] * _dim + bestDim];
        int mid = (start + end) / 2;
        Select(keys, _original, start, end - 1, mid);
        _splitDim[node] = bestDim;
        _splitValue[node] = keys[mid];
        int left = Build(data, keys, start, mid);
        int right = Build(data, keys, mid, end);
        _left[node] = left; _right[node] = right;
        return node;
    }

    /// <summary>Quickselect (Hoare partition, median-of-three) so that keys[mid] is the mid-th smallest of [lo, hi].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Select(float[] keys, int[] ids, int lo, int hi, int mid)
    {
        while (hi > lo)
        {
            int m = lo + (hi - lo) / 2;
            if (keys[m] < keys[lo]) Swap(keys, ids, m, lo);
            if (keys[hi] < keys[lo]) Swap(keys, ids, hi, lo);
            if (keys[hi] < keys[m]) Swap(keys, ids, hi, m);
            float pivot = keys[m];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (keys[i] < pivot) i++;
                while (keys[j] > pivot) j--;
                if (i <= j) { Swap(keys, ids, i, j); i++; j--; }
            }
            if (mid <= j) hi = j;
            else if (mid >= i) lo = i;
            else return;
        }
    }

    private static void Swap(float[] keys, int[] ids, int a, int b)
    {
        (keys[a], keys[b]) = (keys[b], keys[a]);
        (ids[a], ids[b]) = (ids[b], ids[a]);
    }

    public KnnResult SearchAll(int k, IStageLog log, CancellationToken cancellation)
    {
        if (k < 1 || k >= _count) throw new ArgumentOutOfRangeException(nameof(k), $"k must be in [1, {_count - 1}].");
        var indices = new int[(long)_count * k];
        var distances = new float[(long)_count * k];
        int chunk = 1024, chunks = (_count + chunk - 1) / chunk, done = 0;
        var splitDim = _splitDim.ToArray(); var splitValue = _splitValue.ToArray();
        var left = _left.ToArray(); var right = _right.ToArray(); var start = _start.ToArray(); var end = _end.ToArray();
        Parallel.For(0, chunks, new ParallelOptions { CancellationToken = cancellation }, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c) =>
        {
            var bestD = new float[k]; var bestI = new int[k];
            var query = new float[_dim];
            // Queries in tree order: neighbouring queries visit the same leaves (cache friendly).
            for (int p = c * chunk; p < Math.Min(_count, (c + 1) * chunk); p++)
            {
                int self = _original[p];
                Array.Copy(_points, (long)p * _dim, query, 0, _dim);
                int filled = 0;
                Search(0, query, self, k, bestD, bestI, ref filled, splitDim, splitValue, left, right, start, end);
                for (int r = 0; r < k; r++)
                {
                    indices[(long)self * k + r] = bestI[r];
                    distances[(long)self * k + r] = MathF.Sqrt(bestD[r]);
                }
            }
            int finished = Interlocked.Increment(ref done);
            if ((finished & 7) == 0) log.Progress((double)finished / chunks, $"k-d tree kNN {Math.Min(_count, finished * chunk):N0}/{_count:N0}");
        });
        return new KnnResult(_count, k, indices, distances);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Search(int node, float[] query, int self, int k, float[] bestD, int[] bestI, ref int filled,
        int[] splitDim, float[] splitValue, int[] left, int[] right, int[] start, int[] end)
    {
        int dim = splitDim[node];
        if (dim < 0)
        {
            for (int p = start[node]; p < end[node]; p++)
            {
                int j = _original[p];
                if (j == self) continue;
                float d = 0;
                int off = p * _dim;
                for (int c = 0; c < _dim; c++) { float t = _points[off + c] - query[c]; d += t * t; }
                if (filled < k) { Candidates.Insert(bestD, bestI, filled, d, j); filled++; }
                else if (Candidates.Before(d, j, bestD[k - 1], bestI[k - 1])) Candidates.Insert(bestD, bestI, k - 1, d, j);
            }
            return;
        }
        float diff = query[dim] - splitValue[node];
        int near = diff < 0 ? left[node] : right[node];
        int far = diff < 0 ? right[node] : left[node];
        Search(near, query, self, k, bestD, bestI, ref filled, splitDim, splitValue, left, right, start, end);
        // <= so that equal-distance points with smaller indices on the far side are still found (exact ties).
        if (filled < k || diff * diff <= bestD[k - 1])
            Search(far, query, self, k, bestD, bestI, ref filled, splitDim, splitValue, left, right, start, end);
    }
}
