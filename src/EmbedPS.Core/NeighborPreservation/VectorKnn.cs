using System.Numerics;
using System.Runtime.InteropServices;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.NeighborPreservation;

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

/// <summary>
/// k-nearest-neighbour search on row-major float vectors (Euclidean). Exact search: every query row against
/// every data row, with ‖x−y‖² = ‖x‖² + ‖y‖² − 2·x·y, SIMD dot products, parallel over queries.
/// Ties are broken by the smaller index, so results are deterministic.
/// </summary>
public static class VectorKnn
{
    public static KnnResult Exact(float[] data, int count, int dimension, int k, IStageLog? log = null, CancellationToken cancellation = default)
    {
        if (data.Length != (long)count * dimension) throw new ArgumentException($"data must hold {count} × {dimension} values.");
        if (k < 1 || k >= count) throw new ArgumentOutOfRangeException(nameof(k), $"k must be in [1, {count - 1}].");
        log ??= StageLog.Null;
        var norms = new float[count];
        for (int i = 0; i < count; i++)
        {
            var row = data.AsSpan(i * dimension, dimension);
            norms[i] = Dot(row, row);
        }
        var indices = new int[count * k];
        var distances = new float[count * k];
        int done = 0;
        Parallel.For(0, count, new ParallelOptions { CancellationToken = cancellation }, () => (new float[k], new int[k]), (i, _, buffers) =>
        {
            var (bestDistance, bestIndex) = buffers;
            int filled = 0;
            var query = data.AsSpan(i * dimension, dimension);
            for (int j = 0; j < count; j++)
            {
                if (j == i) continue;
                float d = MathF.Max(0, norms[i] + norms[j] - 2 * Dot(query, data.AsSpan(j * dimension, dimension)));
                if (filled < k)
                {
                    Insert(bestDistance, bestIndex, filled, d, j);
                    filled++;
                }
                else if (d < bestDistance[k - 1])
                {
                    Insert(bestDistance, bestIndex, k - 1, d, j);
                }
            }
            for (int r = 0; r < k; r++)
            {
                indices[i * k + r] = bestIndex[r];
                distances[i * k + r] = MathF.Sqrt(bestDistance[r]);
            }
            int finished = Interlocked.Increment(ref done);
            if ((finished & 1023) == 0) log.Progress((double)finished / count, $"exact kNN {finished:N0}/{count:N0}");
            return buffers;
        }, _ => { });
        return new KnnResult(count, k, indices, distances);
    }

    /// <summary>Inserts (d, j) into the sorted prefix [0, length) and keeps it sorted; the last slot may be overwritten.</summary>
    private static void Insert(float[] bestDistance, int[] bestIndex, int length, float d, int j)
    {
        int p = length;
        while (p > 0 && bestDistance[p - 1] > d) { if (p < bestDistance.Length) { bestDistance[p] = bestDistance[p - 1]; bestIndex[p] = bestIndex[p - 1]; } p--; }
        if (p < bestDistance.Length) { bestDistance[p] = d; bestIndex[p] = j; }
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
}
