using EmbedPS.Core.Common;
using EmbedPS.Core.Knn;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Mde;

/// <summary>
/// Neighbour graphs built straight from vectors, for tests and benchmarks (the neighbour-preservation stage builds the
/// real ones from co-occurrences): PyMDE's data-matrix recipe — kNN edges with weight 2 (mutual) or 1 (one-way), plus
/// uniformly sampled non-neighbour pairs with weight −1.
/// </summary>
internal static class MdeSampleGraphs
{
    /// <summary>Row-major Gaussian blobs: <paramref name="clusters"/> centres N(0, spread²) in <paramref name="dimension"/> dims, points N(centre, 1).</summary>
    public static (float[] Data, int[] Labels) GaussianBlobs(int count, int dimension, int clusters, double spread, int seed)
    {
        var random = new DeterministicRandom(seed, 0);
        var centres = new double[clusters * dimension];
        for (int t = 0; t < centres.Length; t++) centres[t] = spread * random.NextGaussian();
        var data = new float[count * dimension];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % clusters;
            labels[i] = c;
            for (int a = 0; a < dimension; a++) data[i * dimension + a] = (float)(centres[c * dimension + a] + random.NextGaussian());
        }
        return (data, labels);
    }

    /// <summary>PyMDE's preserve_neighbors graph of a kNN result: symmetrised kNN edges (2 mutual, 1 one-way) and
    /// int(fraction × #kNN edges) uniform random pairs (i &lt; j, not kNN edges, distinct) with weight −1.</summary>
    public static NeighborGraph FromKnn(KnnResult knn, double repulsiveFraction, int seed)
    {
        int n = knn.Count;
        var weights = new Dictionary<long, float>();
        for (int i = 0; i < n; i++)
        {
            foreach (var j in knn.NeighborsOf(i))
            {
                if (j == i) continue;
                long key = Key(Math.Min(i, j), Math.Max(i, j), n);
                weights[key] = weights.TryGetValue(key, out var w) ? w + 1 : 1;
            }
        }
        var keys = weights.Keys.ToList();
        keys.Sort();
        // The neighbour stage's sampler: uniform, collisions re-drawn, seed- and thread-stable.
        var repulsiveKeys = NeighborPreservation.RepulsiveSampler.Sample(n, keys.ToArray(), repulsiveFraction, seed);
        int p = keys.Count + repulsiveKeys.Length;
        var source = new int[p]; var target = new int[p]; var weight = new float[p]; var distance = new float[p];
        int e = 0;
        foreach (var key in keys) { source[e] = (int)(key / n); target[e] = (int)(key % n); weight[e] = weights[key]; distance[e] = 1; e++; }
        foreach (var key in repulsiveKeys) { source[e] = (int)(key / n); target[e] = (int)(key % n); weight[e] = -1; distance[e] = 0; e++; }
        var ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = i;
        return new NeighborGraph(EntityIds.FromIntegers(ids), new int[n], source, target, weight, distance);
    }

    private static long Key(int i, int j, int n) => (long)i * n + j;
}
