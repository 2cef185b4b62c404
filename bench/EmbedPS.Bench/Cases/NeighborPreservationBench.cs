using System.Diagnostics;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Knn;

namespace EmbedPS.Bench.Cases;

/// <summary>The straightforward exact kNN: every query against every row, one dot product at a time (the pre-blocking VectorKnn.Exact).</summary>
internal static class NaiveKnn
{
    public static (int[] Indices, float[] Distances) Search(float[] data, int count, int dimension, int k, int[] queries)
    {
        var norms = new float[count];
        for (int i = 0; i < count; i++) norms[i] = VectorKnn.Dot(data.AsSpan(i * dimension, dimension), data.AsSpan(i * dimension, dimension));
        var indices = new int[queries.Length * k];
        var distances = new float[queries.Length * k];
        Parallel.For(0, queries.Length, () => (new float[k], new int[k]), (q, _, buffers) =>
        {
            var (bestDistance, bestIndex) = buffers;
            int i = queries[q], filled = 0;
            var query = data.AsSpan(i * dimension, dimension);
            for (int j = 0; j < count; j++)
            {
                if (j == i) continue;
                float d = MathF.Max(0, norms[i] + norms[j] - 2 * VectorKnn.Dot(query, data.AsSpan(j * dimension, dimension)));
                if (filled < k) { Insert(bestDistance, bestIndex, filled, d, j); filled++; }
                else if (d < bestDistance[k - 1]) Insert(bestDistance, bestIndex, k - 1, d, j);
            }
            for (int r = 0; r < k; r++) { indices[q * k + r] = bestIndex[r]; distances[q * k + r] = MathF.Sqrt(bestDistance[r]); }
            return buffers;
        }, _ => { });
        return (indices, distances);
    }

    private static void Insert(float[] bestDistance, int[] bestIndex, int length, float d, int j)
    {
        int p = length;
        while (p > 0 && bestDistance[p - 1] > d) { if (p < bestDistance.Length) { bestDistance[p] = bestDistance[p - 1]; bestIndex[p] = bestIndex[p - 1]; } p--; }
        if (p < bestDistance.Length) { bestDistance[p] = d; bestIndex[p] = j; }
    }
}

/// <summary>Fashion-MNIST 70,000 × 784, k = 15: automatic search (NN-descent here) against naive brute force on 1,000 sampled queries.</summary>
public sealed class NeighborsFashionMnistBench : BenchCase
{
    private const int K = 15;
    private int[] _queries = Array.Empty<int>();
    private KnnResult? _truth;

    public override string Stage => "neighbors";
    public override string Dataset => "Fashion-MNIST 70,000 × 784, k = 15 (kNN)";
    // No in-process baseline: a naive search on a sample of queries, scaled up, is not a measurement. PyMDE's kNN on the
    // same file is the peers row vectors/fashion (build.ps1 -Task Bench -Peers).

    public override void Prepare()
    {
        var (pixels, _, count) = FashionMnist.Load();
        var random = new DeterministicRandom(11);
        _queries = Enumerable.Range(0, 1000).Select(_ => random.NextInt(count)).Distinct().ToArray();
        _truth = VectorKnn.ExactFor(pixels, count, 784, K, _queries);
    }

    /// <summary>The last candidate result, reused by the spectral-init row.</summary>
    internal static KnnResult? LastResult;

    public override BenchOutcome RunCandidate()
    {
        var (pixels, _, count) = FashionMnist.Load();
        var result = VectorKnn.Search(pixels, count, 784, K, seed: 1);
        LastResult = result;
        return new BenchOutcome { ["recall@15 (1,000 queries)"] = VectorKnn.Recall(result, _truth!, _queries), ["exact"] = VectorKnn.PrefersExact(count, 784) ? 1 : 0 };
    }

    public override void Cleanup() { _truth = null; _queries = Array.Empty<int>(); }
}

/// <summary>Blocked exact kNN against the naive exact loop, both over all 10,000 rows of the Fashion-MNIST test set.</summary>
public sealed class NeighborsExactBlockedBench : BenchCase
{
    private const int K = 15, N = 10_000;
    private float[] _data = Array.Empty<float>();

    public override string Stage => "neighbors";
    public override string Dataset => "Fashion-MNIST 10,000 × 784, k = 15 (exact kNN)";
    public override string? Baseline => "naive exact (one dot product at a time)";

    public override void Prepare()
    {
        var (pixels, _, count) = FashionMnist.Load();
        _data = pixels.AsSpan((count - N) * 784, N * 784).ToArray();
    }

    public override BenchOutcome RunCandidate()
    {
        var result = VectorKnn.Exact(_data, N, 784, K);
        return new BenchOutcome { ["mean k-th distance"] = Enumerable.Range(0, N).Average(i => result.DistancesOf(i)[K - 1]) };
    }

    public override BenchOutcome RunBaseline()
    {
        var (_, distances) = NaiveKnn.Search(_data, N, 784, K, Enumerable.Range(0, N).ToArray());
        return new BenchOutcome { ["mean k-th distance"] = Enumerable.Range(0, N).Average(i => distances[i * K + K - 1]) };
    }

    public override void Cleanup() => _data = Array.Empty<float>();
}

/// <summary>
/// Synthetic atlas-scale co-occurrence graph (the co-occurrence builder is another branch): 50,000 entities in 500 groups,
/// each drawing about 50 partners, 70 % from its group and 30 % by Zipf popularity (hubs), counts geometric — about 4 M stored
/// non-zeros (3.95 M). Candidate: the whole stage without the spectral init (graph kNN k = 15 + edges + repulsive pairs). Baseline:
/// PyMDE's per-source search of the whole reachable component (Dijkstra without early stop) for 200 sources, ×250.
/// </summary>
public sealed class NeighborsAtlasGraphBench : BenchCase
{
    internal static CooccurrenceMatrix? Matrix;

    public override string Stage => "neighbors";
    public override string Dataset => "atlas co-occurrence graph (50k entities, 300k collections), k = 15";
    // No in-process baseline: the former one searched whole components without the 3 × q75 radius that PyMDE and EmbedPS
    // both use, from 20 sources scaled up. PyMDE's shortest-path kNN on a real graph is the peers rows graph/*.

    // The real atlas pipeline: the synthetic atlas sample through New-CooccurrenceMatrix's builder (defaults).
    public override void Prepare() => Matrix ??= BenchData.AtlasCooccurrence;

    internal static CooccurrenceMatrix Build(int n, int partners, int seed)
    {
        int groups = n / 100;
        // Zipf popularity over a random permutation, as a cumulative table for sampling.
        var cumulative = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) { total += 1.0 / Math.Pow(i + 1, 0.9); cumulative[i] = total; }
        var rows = new Dictionary<int, float>[n];
        for (int i = 0; i < n; i++) rows[i] = new Dictionary<int, float>();
        var random = new DeterministicRandom(seed);
        for (int i = 0; i < n; i++)
        {
            int group = i % groups;
            for (int p = 0; p < partners; p++)
            {
                int j;
                if (random.NextDouble() < 0.7) j = group + groups * random.NextInt(n / groups);
                else
                {
                    int found = Array.BinarySearch(cumulative, random.NextDouble() * total);
                    j = Math.Min(n - 1, found < 0 ? ~found : found);
                }
                if (j == i || j < 0) continue;
                float count = 1 + (float)Math.Floor(-Math.Log(1 - random.NextDouble()) * 2);
                rows[i][j] = rows[i].GetValueOrDefault(j) + count;
                rows[j][i] = rows[j].GetValueOrDefault(i) + count;
            }
        }
        var offsets = new long[n + 1];
        for (int i = 0; i < n; i++) offsets[i + 1] = offsets[i] + rows[i].Count;
        var columns = new int[offsets[n]];
        var weights = new float[offsets[n]];
        var popularity = new int[n];
        for (int i = 0; i < n; i++)
        {
            var sorted = rows[i].OrderBy(p => p.Key).ToArray();
            for (int t = 0; t < sorted.Length; t++) { columns[offsets[i] + t] = sorted[t].Key; weights[offsets[i] + t] = sorted[t].Value; }
            popularity[i] = (int)Math.Max(1, sorted.Sum(p => p.Value) / 10);
        }
        return new CooccurrenceMatrix(EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray()), popularity, offsets, columns, weights);
    }

    public override BenchOutcome RunCandidate()
    {
        var graph = NeighborPreservationBuilder.FromCooccurrence(Matrix!, new NeighborPreservationOptions { NeighborCount = 15, Seed = 1 });
        return new BenchOutcome { ["non-zeros"] = Matrix!.NonZeroCount, ["neighbour edges"] = graph.NeighborEdgeCount, ["repulsive"] = graph.RepulsiveEdgeCount };
    }
}

/// <summary>Spectral (quadratic) initialisation at 50,000 nodes: LOBPCG on the neighbour graph of the synthetic atlas graph.</summary>
public sealed class NeighborsSpectralInitBench : BenchCase
{
    private NeighborGraph? _graph;

    public override string Stage => "neighbors";
    public override string Dataset => "quadratic (spectral) init, 50,000 nodes, 3 dims";

    public override void Prepare()
    {
        NeighborsAtlasGraphBench.Matrix ??= NeighborsAtlasGraphBench.Build(50_000, 50, 7);
        _graph = NeighborPreservationBuilder.FromCooccurrence(NeighborsAtlasGraphBench.Matrix, new NeighborPreservationOptions { NeighborCount = 15, RepulsiveFraction = 0 });
    }

    public override BenchOutcome RunCandidate()
    {
        var g = _graph!;
        var result = SpectralInit.Compute(g.EntityCount, 3, g.EdgeSource, g.EdgeTarget, g.Weights, seed: 1);
        return new BenchOutcome { ["iterations"] = result.Iterations, ["converged"] = result.Converged ? 1 : 0, ["max residual"] = result.Residuals.Max(), ["λ1"] = result.Eigenvalues[0] };
    }

    public override void Cleanup() { _graph = null; NeighborsAtlasGraphBench.Matrix = null; }
}

/// <summary>Spectral init on a clustered real graph: the Fashion-MNIST 15-NN graph (70,000 nodes), the slow case for eigensolvers.</summary>
public sealed class NeighborsSpectralFashionBench : BenchCase
{
    private (int[] Source, int[] Target, float[] Weights, int N)? _edges;

    public override string Stage => "neighbors";
    public override string Dataset => "quadratic (spectral) init, Fashion-MNIST 15-NN graph, 70,000 nodes, 3 dims";

    public override void Prepare()
    {
        var (pixels, _, count) = FashionMnist.Load();
        var knn = NeighborsFashionMnistBench.LastResult ?? VectorKnn.Search(pixels, count, 784, 15, seed: 1);
        var (keys, weights, _) = NeighborPreservationBuilder.NeighborEdges(NeighborLists.FromKnn(knn), count);
        _edges = (keys.Select(k => (int)(k / count)).ToArray(), keys.Select(k => (int)(k % count)).ToArray(), weights, count);
    }

    public override BenchOutcome RunCandidate()
    {
        var (source, target, weights, n) = _edges!.Value;
        var result = SpectralInit.Compute(n, 3, source, target, weights, seed: 1);
        return new BenchOutcome { ["iterations"] = result.Iterations, ["converged"] = result.Converged ? 1 : 0, ["max residual"] = result.Residuals.Max(), ["λ1"] = result.Eigenvalues[0] };
    }

    public override void Cleanup() { _edges = null; NeighborsFashionMnistBench.LastResult = null; }
}
