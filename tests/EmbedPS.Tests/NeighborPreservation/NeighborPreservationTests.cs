using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Tests.Infrastructure;
using MathNet.Numerics.LinearAlgebra;
using EmbedPS.Core.Knn;

namespace EmbedPS.Tests.NeighborPreservation;

internal static class TestData
{
    /// <summary>Gaussian clusters: <paramref name="clusters"/> centres spread with σ = 1, points with σ = <paramref name="spread"/>.</summary>
    public static float[] Clustered(int n, int d, int clusters, float spread, int seed)
    {
        var random = new DeterministicRandom(seed);
        var centres = new float[clusters * d];
        for (int t = 0; t < centres.Length; t++) centres[t] = (float)random.NextGaussian() * 3;
        var data = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            int c = random.NextInt(clusters);
            for (int j = 0; j < d; j++) data[i * d + j] = centres[c * d + j] + spread * (float)random.NextGaussian();
        }
        return data;
    }

    /// <summary>Runs <paramref name="work"/> with every Parallel loop inside it restricted to one thread.</summary>
    public static T OnOneThread<T>(Func<T> work)
    {
        var scheduler = new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, 1).ExclusiveScheduler;
        return Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.None, scheduler).GetAwaiter().GetResult();
    }

    public static CooccurrenceMatrix Matrix(int n, IEnumerable<(int A, int B, float W)> pairs, int[]? popularity = null)
    {
        var rows = new SortedDictionary<int, float>[n];
        for (int i = 0; i < n; i++) rows[i] = new SortedDictionary<int, float>();
        foreach (var (a, b, w) in pairs) { rows[a][b] = w; rows[b][a] = w; }
        var offsets = new long[n + 1];
        var columns = new List<int>();
        var weights = new List<float>();
        for (int i = 0; i < n; i++)
        {
            foreach (var (j, w) in rows[i]) { columns.Add(j); weights.Add(w); }
            offsets[i + 1] = columns.Count;
        }
        var ids = EntityIds.FromIntegers(Enumerable.Range(100, n).Select(i => (long)i).ToArray());
        return new CooccurrenceMatrix(ids, popularity ?? Enumerable.Repeat(10, n).ToArray(), offsets, columns.ToArray(), weights.ToArray());
    }
}

[Trait("Category", "Unit")]
public class GraphKnnTests
{
    [Fact]
    public void Path_graph_neighbours_match_hand_computation()
    {
        // 0 —1— 1 —2— 2 —1— 3 —5— 4
        var graph = DistanceGraph.FromEdges(5, new[] { (0, 1, 1f), (1, 2, 2f), (2, 3, 1f), (3, 4, 5f) });
        var lists = GraphKnn.Search(graph, 2, double.PositiveInfinity);
        Assert.Equal(new[] { 1, 2 }, lists.NeighborsOf(0).ToArray());
        Assert.Equal(new[] { 1f, 3f }, lists.DistancesOf(0).ToArray());
        Assert.Equal(new[] { 0, 2 }, lists.NeighborsOf(1).ToArray()); // 0 at 1, 2 at 2
        Assert.Equal(new[] { 3, 1 }, lists.NeighborsOf(2).ToArray()); // 3 at 1, 1 at 2
        Assert.Equal(new[] { 2, 1 }, lists.NeighborsOf(3).ToArray()); // 2 at 1, 1 at 3
        Assert.Equal(new[] { 3, 2 }, lists.NeighborsOf(4).ToArray()); // 3 at 5, 2 at 6
        Assert.Equal(new[] { 5f, 6f }, lists.DistancesOf(4).ToArray());

        // Radius 3: node 4 reaches nobody, node 3 only 2 (1) and 1 (3).
        var bounded = GraphKnn.Search(graph, 2, 3.0);
        Assert.Equal(0, bounded.Counts[4]);
        Assert.Equal(new[] { 2, 1 }, bounded.NeighborsOf(3).ToArray());
        Assert.Equal(new[] { 1, 2 }, bounded.NeighborsOf(0).ToArray());
    }

    [Fact]
    public void Two_hop_path_beats_long_direct_edge_and_ties_go_to_smaller_index()
    {
        // Direct edge 0–3 of length 10, but 0–1–3 has length 2; 2 and 4 are both at 1 from 0: ties by index.
        var graph = DistanceGraph.FromEdges(5, new[] { (0, 3, 10f), (0, 1, 1f), (1, 3, 1f), (0, 4, 1f), (0, 2, 1f) });
        var lists = GraphKnn.Search(graph, 4, double.PositiveInfinity);
        Assert.Equal(new[] { 1, 2, 4, 3 }, lists.NeighborsOf(0).ToArray());
        Assert.Equal(new[] { 1f, 1f, 1f, 2f }, lists.DistancesOf(0).ToArray());
        var k2 = GraphKnn.Search(graph, 2, double.PositiveInfinity);
        Assert.Equal(new[] { 1, 2 }, k2.NeighborsOf(0).ToArray());
    }

    [Theory]
    [InlineData(1, 5, 0.0)]
    [InlineData(2, 8, 2.5)]
    [InlineData(3, 3, 1.2)]
    public void Agrees_with_Floyd_Warshall_on_random_graphs(int seed, int k, double radius)
    {
        int n = 70;
        var random = new DeterministicRandom(seed);
        var edges = new List<(int, int, float)>();
        var seen = new HashSet<(int, int)>();
        for (int t = 0; t < 160; t++)
        {
            int a = random.NextInt(n), b = random.NextInt(n);
            if (a == b || !seen.Add((Math.Min(a, b), Math.Max(a, b)))) continue;
            edges.Add((a, b, 0.1f + random.NextSingle()));
        }
        var graph = DistanceGraph.FromEdges(n, edges);
        double limit = radius == 0 ? double.PositiveInfinity : radius;
        var lists = GraphKnn.Search(graph, k, limit);

        var fw = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) fw[i, j] = i == j ? 0 : double.PositiveInfinity;
        foreach (var (a, b, l) in edges) { fw[a, b] = Math.Min(fw[a, b], l); fw[b, a] = fw[a, b]; }
        for (int m = 0; m < n; m++) for (int i = 0; i < n; i++) for (int j = 0; j < n; j++)
            if (fw[i, m] + fw[m, j] < fw[i, j]) fw[i, j] = fw[i, m] + fw[m, j];

        for (int i = 0; i < n; i++)
        {
            var expected = Enumerable.Range(0, n).Where(j => j != i && fw[i, j] <= limit && !double.IsInfinity(fw[i, j]))
                .Select(j => fw[i, j]).OrderBy(x => x).Take(k).ToArray();
            Assert.Equal(expected.Length, lists.Counts[i]);
            var found = lists.NeighborsOf(i).ToArray();
            var distances = lists.DistancesOf(i).ToArray();
            Assert.Equal(found.Length, found.Distinct().Count());
            for (int r = 0; r < found.Length; r++)
            {
                Assert.NotEqual(i, found[r]);
                Assert.Equal(fw[i, found[r]], distances[r], 4);
                Assert.Equal(expected[r], distances[r], 4);
            }
        }
    }

    [Fact]
    public void Same_result_on_one_thread()
    {
        var data = TestData.Clustered(600, 4, 6, 0.5f, 9);
        var knn = VectorKnn.Exact(data, 600, 4, 10);
        var edges = new List<(int, int, float)>();
        for (int i = 0; i < 600; i++)
            for (int r = 0; r < 10; r++) { int j = knn.Indices[i * 10 + r]; if (i < j) edges.Add((i, j, knn.Distances[i * 10 + r])); }
        var graph = DistanceGraph.FromEdges(600, edges);
        var parallel = GraphKnn.Search(graph, 7, 5.0);
        var single = TestData.OnOneThread(() => GraphKnn.Search(graph, 7, 5.0));
        Assert.Equal(parallel.Indices, single.Indices);
        Assert.Equal(parallel.Distances, single.Distances);
    }

    [Fact]
    public void The_search_allocates_one_state_per_worker_however_many_blocks()
    {
        // A ring of 100,000 entities (391 blocks of 256 sources): each search state holds three arrays of n, so one per
        // Parallel.For replica instead of one per worker piled up gigabytes at a million entities. Exact answer: the
        // k nearest on a ring with unit edges are the k/2 on each side.
        const int n = 100_000, k = 4;
        var edges = new List<(int, int, float)>();
        for (int i = 0; i < n; i++) edges.Add((i, (i + 1) % n, 1f));
        var graph = DistanceGraph.FromEdges(n, edges);
        var lists = GraphKnn.Search(graph, k, double.PositiveInfinity, null, default, out int states);
        Assert.InRange(states, 1, Environment.ProcessorCount);
        for (int i = 0; i < n; i += 997)
        {
            Assert.Equal(k, lists.Counts[i]);
            var expected = new[] { (i + n - 1) % n, (i + 1) % n, (i + n - 2) % n, (i + 2) % n };
            Assert.Equal(expected.OrderBy(j => j).ToArray(), lists.Indices.Skip(i * k).Take(k).OrderBy(j => j).ToArray());
            Assert.Equal(new[] { 1f, 1f, 2f, 2f }, lists.Distances.Skip(i * k).Take(k).ToArray());
        }
    }
}

[Trait("Category", "Unit")]
public class SimilarityTests
{
    [Fact]
    public void Normalisations_and_transforms_give_hand_computed_lengths()
    {
        // Pairs (0,1) w 4, (1,2) w 1; popularity 4, 16, 1.
        var matrix = TestData.Matrix(3, new[] { (0, 1, 4f), (1, 2, 1f) }, new[] { 4, 16, 1 });
        var cosine = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.Cosine, SimilarityTransform.InverseLog);
        // cos(0,1) = 4/√64 = 0.5 → 1/ln 1.5; cos(1,2) = 1/√16 = 0.25 → 1/ln 1.25
        Assert.Equal(1 / Math.Log(1.5), Length(cosine, 0, 1), 5);
        Assert.Equal(1 / Math.Log(1.25), Length(cosine, 1, 2), 5);

        // Smoothed: mean popularity p̄ = 7; (0,1) → 4·7/√(11·23), (1,2) → 1·7/√(23·8).
        var smoothed = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.SmoothedCosine, SimilarityTransform.Reciprocal);
        Assert.Equal(Math.Sqrt(11.0 * 23) / 28, Length(smoothed, 0, 1), 5);
        Assert.Equal(Math.Sqrt(23.0 * 8) / 7, Length(smoothed, 1, 2), 5);

        var jaccard = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.Jaccard, SimilarityTransform.Reciprocal);
        Assert.Equal((4.0 + 16 - 4) / 4, Length(jaccard, 0, 1), 5);   // 1 / (4 / 16)
        Assert.Equal((16.0 + 1 - 1) / 1, Length(jaccard, 1, 2), 5);

        var raw = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.None, SimilarityTransform.NegativeLog);
        Assert.Equal(1e-6, Length(raw, 0, 1), 9);                      // the strongest edge: −ln 1 floored
        Assert.Equal(Math.Log(4), Length(raw, 1, 2), 5);

        // Lift: row sums 4, 5, 1, total 10: (0,1) → 4·10/20 = 2, (1,2) → 1·10/5 = 2.
        var pmi = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.Pmi, SimilarityTransform.Reciprocal);
        Assert.Equal(0.5, Length(pmi, 0, 1), 5);
        var ppmi = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.Ppmi, SimilarityTransform.Reciprocal);
        Assert.Equal(1 / Math.Log(2), Length(ppmi, 1, 2), 5);
    }

    [Fact]
    public void Fractional_weights_give_finite_positive_lengths_and_non_positive_ones_are_dropped()
    {
        var matrix = TestData.Matrix(4, new[] { (0, 1, 1e-30f), (1, 2, 0.3f), (2, 3, 0f), (0, 3, -2f) });
        var graph = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.None, SimilarityTransform.InverseLog);
        Assert.Equal(2, graph.EdgeCount);
        foreach (var l in graph.Lengths) Assert.True(l > 0 && float.IsFinite(l), $"length {l}");
        Assert.Equal(1 / Math.Log(1.3), Length(graph, 1, 2), 4);
    }

    private static double Length(DistanceGraph g, int a, int b)
    {
        for (long e = g.RowOffsets[a]; e < g.RowOffsets[a + 1]; e++) if (g.Targets[e] == b) return g.Lengths[e];
        throw new InvalidOperationException($"no edge {a}–{b}");
    }
}

[Trait("Category", "Unit")]
public class VectorKnnTests
{
    private static (int[] Indices, double[] Distances) BruteForce(float[] data, int n, int d, int k)
    {
        var indices = new int[n * k];
        var distances = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            var order = Enumerable.Range(0, n).Where(j => j != i).Select(j =>
            {
                double s = 0;
                for (int t = 0; t < d; t++) { double diff = (double)data[i * d + t] - data[j * d + t]; s += diff * diff; }
                return (Distance: Math.Sqrt(s), Index: j);
            }).OrderBy(p => p.Distance).ThenBy(p => p.Index).Take(k).ToArray();
            for (int r = 0; r < k; r++) { indices[i * k + r] = order[r].Index; distances[i * k + r] = order[r].Distance; }
        }
        return (indices, distances);
    }

    [Theory]
    [InlineData(301, 37, 7)]
    [InlineData(200, 3, 15)]
    [InlineData(130, 64, 1)]
    public void Exact_matches_brute_force(int n, int d, int k)
    {
        var data = TestData.Clustered(n, d, 5, 1f, n + d);
        var knn = VectorKnn.Exact(data, n, d, k);
        var (indices, distances) = BruteForce(data, n, d, k);
        int mismatched = 0;
        for (int t = 0; t < n * k; t++)
        {
            Assert.True(Math.Abs(distances[t] - knn.Distances[t]) <= 1e-5 * Math.Max(1, distances[t]), $"distance {knn.Distances[t]} vs {distances[t]}");
            if (indices[t] != knn.Indices[t]) mismatched++;
        }
        // Only exact float ties may be ordered differently from the double-precision reference; random data has none.
        Assert.Equal(0, mismatched);
    }

    [Fact]
    public void Exact_breaks_ties_by_smaller_index_and_keeps_duplicates()
    {
        // Points on a line: 0, 1, 1 (duplicate), 2.
        var data = new float[] { 0, 1, 1, 2 };
        var knn = VectorKnn.Exact(data, 4, 1, 2);
        Assert.Equal(new[] { 1, 2 }, knn.NeighborsOf(0).ToArray());
        Assert.Equal(new[] { 2, 0 }, knn.NeighborsOf(1).ToArray()); // 2 at 0, then 0 and 3 tie at 1 → 0
        Assert.Equal(new[] { 0f, 1f }, knn.DistancesOf(1).ToArray());
        Assert.Equal(new[] { 1, 2 }, knn.NeighborsOf(3).ToArray());
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Approximate_recall_at_least_95_percent_and_deterministic()
    {
        int n = 6000, d = 40, k = 15;
        var data = TestData.Clustered(n, d, 30, 1.2f, 5);
        var exact = VectorKnn.Exact(data, n, d, k);
        var approximate = VectorKnn.Approximate(data, n, d, k, seed: 3);
        double recall = VectorKnn.Recall(approximate, exact);
        Assert.True(recall >= 0.95, $"recall {recall:F4}");
        for (int i = 0; i < n; i++)
        {
            var row = approximate.NeighborsOf(i).ToArray();
            Assert.DoesNotContain(i, row);
            Assert.Equal(k, row.Distinct().Count());
            for (int r = 1; r < k; r++) Assert.True(approximate.DistancesOf(i)[r] >= approximate.DistancesOf(i)[r - 1]);
        }
        var single = TestData.OnOneThread(() => VectorKnn.Approximate(data, n, d, k, seed: 3));
        Assert.Equal(approximate.Indices, single.Indices);
        Assert.Equal(approximate.Distances, single.Distances);

        var sample = Enumerable.Range(0, 200).Select(i => i * 29).ToArray();
        var exactSample = VectorKnn.ExactFor(data, n, d, k, sample);
        Assert.Equal(VectorKnn.Recall(approximate, exact, Enumerable.Range(0, n).ToArray()), VectorKnn.Recall(approximate, exact), 12);
        Assert.True(VectorKnn.Recall(approximate, exactSample, sample) >= 0.95);
    }

    [Fact]
    public void Approximate_on_tiny_input_is_exact()
    {
        var data = TestData.Clustered(9, 3, 2, 1f, 1);
        var approximate = VectorKnn.Approximate(data, 9, 3, 4, seed: 2);
        var exact = VectorKnn.Exact(data, 9, 3, 4);
        Assert.Equal(exact.Indices, approximate.Indices);
    }

    [Fact]
    public void Spectral_start_needs_enough_entities()
    {
        var ids = EntityIds.FromIntegers(new long[] { 1, 2, 3, 4 });
        var graph = NeighborPreservationBuilder.FromVectors(ids, new int[4], new float[] { 0, 1, 2, 3 }, 1, new NeighborPreservationOptions { NeighborCount = 1 });
        // The graph is fine; the spectral start of Invoke-Mde in 3 dimensions needs 5 entities.
        var ex = Assert.Throws<EmbedPSException>(() => MinimumDistortionEmbedding.Run(graph, new EmbeddingConfiguration(), new MdeOptions { MaxIterations = 1 }));
        Assert.Equal("TooFewEntitiesForSpectralInit", ex.ErrorId);
        Assert.Contains("-Init Random", ex.Message);
    }

    [Fact]
    public void Automatic_rule_picks_exact_for_small_or_low_work_and_approximate_beyond()
    {
        Assert.True(VectorKnn.PrefersExact(10_000, 784));
        Assert.True(VectorKnn.PrefersExact(50_000, 3));
        Assert.False(VectorKnn.PrefersExact(70_000, 784));
        Assert.False(VectorKnn.PrefersExact(1_000_000, 3));
    }
}

[Trait("Category", "Unit")]
public class NeighborGraphBuildTests
{
    private static readonly NeighborPreservationOptions NoFrills = new() { RepulsiveFraction = 0 };

    [Fact]
    public void Mutual_neighbours_weigh_two_and_one_way_one()
    {
        // Points 0, 1, 3, 10 on a line, k = 1: 0↔1 mutual, 3→1, 10→3.
        var ids = EntityIds.FromStrings(new[] { "a", "b", "c", "d" });
        var graph = NeighborPreservationBuilder.FromVectors(ids, new int[4], new float[] { 0, 1, 3, 10 }, 1, NoFrills with { NeighborCount = 1 });
        var edges = Enumerable.Range(0, graph.EdgeCount).Select(e => (graph.EdgeSource[e], graph.EdgeTarget[e], graph.Weights[e], graph.Distances[e])).ToArray();
        Assert.Equal(new[] { (0, 1, 2f, 1f), (1, 2, 1f, 2f), (2, 3, 1f, 7f) }, edges);
        Assert.Equal(3, graph.NeighborEdgeCount);
        Assert.Equal(0, graph.RepulsiveEdgeCount);
    }

    [Fact]
    public void Default_neighbour_count_follows_PyMDE()
    {
        Assert.Equal(5, NeighborPreservationOptions.DefaultNeighborCount(100));
        Assert.Equal(5, NeighborPreservationOptions.DefaultNeighborCount(1200));
        Assert.Equal(10, NeighborPreservationOptions.DefaultNeighborCount(2001));
        Assert.Equal(15, NeighborPreservationOptions.DefaultNeighborCount(3001));
        Assert.Equal(15, NeighborPreservationOptions.DefaultNeighborCount(1_000_000));
    }

    [Fact]
    public void Graph_edges_are_the_shortest_path_neighbours()
    {
        // A ring of 12 with unit counts plus a chord; k = 2, radius unlimited.
        var pairs = Enumerable.Range(0, 12).Select(i => (i, (i + 1) % 12, 5f)).Append((0, 6, 1f)).ToArray();
        var matrix = TestData.Matrix(12, pairs);
        var options = NoFrills with { NeighborCount = 2, Normalize = SimilarityNormalization.None, MaxDistance = 100 };
        var graph = NeighborPreservationBuilder.FromCooccurrence(matrix, options);
        var lengths = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.None, SimilarityTransform.InverseLog);
        var lists = GraphKnn.Search(lengths, 2, 100);
        var expected = new SortedDictionary<(int, int), int>();
        for (int i = 0; i < 12; i++) foreach (var j in lists.NeighborsOf(i)) expected[(Math.Min(i, j), Math.Max(i, j))] = expected.GetValueOrDefault((Math.Min(i, j), Math.Max(i, j))) + 1;
        var actual = Enumerable.Range(0, graph.EdgeCount).ToDictionary(e => (graph.EdgeSource[e], graph.EdgeTarget[e]), e => (int)graph.Weights[e]);
        Assert.Equal(expected, new SortedDictionary<(int, int), int>(actual));
        // Node 0's neighbours: 1 and 11 at 1/ln 6 each (the chord to 6 is longer: 1/ln 2).
        Assert.Equal(new[] { 1, 11 }, lists.NeighborsOf(0).ToArray());
    }

    [Fact]
    public void Warns_about_short_lists_isolated_entities_and_components_and_connects_them()
    {
        // Two triangles and an isolated entity 6.
        var matrix = TestData.Matrix(7, new[] { (0, 1, 3f), (1, 2, 3f), (0, 2, 3f), (3, 4, 3f), (4, 5, 3f), (3, 5, 3f) }, new[] { 5, 9, 5, 5, 5, 7, 1 });
        var log = new RecordingStageLog();
        var options = NoFrills with { NeighborCount = 3 };
        var graph = NeighborPreservationBuilder.FromCooccurrence(matrix, options, log);
        Assert.Contains(log.Warnings, w => w.Contains("7 of 7 entities have fewer than 3 neighbours") && w.Contains("1 have none"));
        Assert.Contains(log.Warnings, w => w.Contains("3 connected components") && w.Contains("1 isolated"));

        var connected = NeighborPreservationBuilder.FromCooccurrence(matrix, options with { ConnectComponents = true }, new RecordingStageLog());
        var components = new Components(7);
        for (int e = 0; e < connected.EdgeCount; e++) if (connected.Weights[e] > 0) components.Union(connected.EdgeSource[e], connected.EdgeTarget[e]);
        Assert.Single(components.Label().Sizes);
        // Linked through the most popular members: 1 (popularity 9) to 5 (7) and 1 to 6.
        var added = Enumerable.Range(0, connected.EdgeCount).Select(e => (connected.EdgeSource[e], connected.EdgeTarget[e])).Except(
            Enumerable.Range(0, graph.EdgeCount).Select(e => (graph.EdgeSource[e], graph.EdgeTarget[e]))).OrderBy(p => p).ToArray();
        Assert.Equal(new[] { (1, 5), (1, 6) }, added);
    }

    [Fact]
    public void Spectral_start_is_not_taken_over_by_isolated_entities()
    {
        // A ring of 50 plus 3 isolated entities: unlinked, the isolated entities' indicators would be eigenvectors of
        // eigenvalue 0 and put all the spread on three points (|x| ≈ √n).
        int n = 53;
        var pairs = Enumerable.Range(0, 50).Select(i => (i, (i + 1) % 50, 4f)).ToArray();
        var matrix = TestData.Matrix(n, pairs);
        var log = new RecordingStageLog();
        var graph = NeighborPreservationBuilder.FromCooccurrence(matrix, new NeighborPreservationOptions { NeighborCount = 4, Seed = 3 }, log);
        var x = MdeStart.Spectral(graph, 3, 3, log);
        int argmax = Array.IndexOf(x, x.MaxBy(v => Math.Abs(v)));
        Assert.Equal(n * 3, x.Length);
        double largest = x.Max(v => Math.Abs(v));
        Assert.True(largest < 0.5 * Math.Sqrt(n), $"largest coordinate {largest:F2} of √n = {Math.Sqrt(n):F2} at {argmax}; {string.Join(" | ", log.Verbose.Concat(log.Warnings))}");
        // Without -ConnectComponents the graph has no links; the spectral start adds its own, for the start only.
        Assert.DoesNotContain(Enumerable.Range(0, graph.EdgeCount), e => graph.Weights[e] > 0 && graph.EdgeTarget[e] >= 50);
    }

    [Fact]
    public void Vector_components_are_linked_to_their_nearest_outsider()
    {
        // Two far clusters on a line; k = 1 gives two components.
        var data = new float[] { 0, 1, 2, 100, 101, 102 };
        var ids = EntityIds.FromIntegers(new long[] { 1, 2, 3, 4, 5, 6 });
        var log = new RecordingStageLog();
        var graph = NeighborPreservationBuilder.FromVectors(ids, new int[6], data, 1, NoFrills with { NeighborCount = 1, ConnectComponents = true }, log);
        Assert.Contains(log.Warnings, w => w.Contains("2 connected components"));
        var components = new Components(6);
        for (int e = 0; e < graph.EdgeCount; e++) components.Union(graph.EdgeSource[e], graph.EdgeTarget[e]);
        Assert.Single(components.Label().Sizes);
        // The second component's first member (3, at 100) links to its nearest outsider (2, at 2): distance 98.
        int link = Enumerable.Range(0, graph.EdgeCount).Single(e => graph.EdgeSource[e] == 2 && graph.EdgeTarget[e] == 3);
        Assert.Equal(98f, graph.Distances[link]);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Build_is_seed_stable_and_thread_count_stable_and_round_trips()
    {
        int n = 1500, d = 8;
        var data = TestData.Clustered(n, d, 8, 0.7f, 21);
        var ids = EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i * 3).ToArray());
        var options = new NeighborPreservationOptions { Seed = 17 };
        var a = NeighborPreservationBuilder.FromVectors(ids, new int[n], data, d, options);
        var b = TestData.OnOneThread(() => NeighborPreservationBuilder.FromVectors(ids, new int[n], data, d, options));
        Assert.Equal(a.EdgeSource, b.EdgeSource);
        Assert.Equal(a.EdgeTarget, b.EdgeTarget);
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.NeighborEdgeCount, a.RepulsiveEdgeCount); // default fraction 1, exactly, thanks to re-drawing

        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "graph.parquet");
        ArtifactStore.Write(a, path);
        var back = (NeighborGraph)ArtifactStore.Read(path);
        Assert.True(back.Entities.SequenceEqual(a.Entities));
        Assert.Equal(a.EdgeSource, back.EdgeSource);
        Assert.Equal(a.EdgeTarget, back.EdgeTarget);
        Assert.Equal(a.Weights, back.Weights);
        Assert.Equal(a.Distances, back.Distances);
    }

    [Fact]
    public void Init_from_embedding_aligns_by_id_and_randomises_missing()
    {
        var ids = EntityIds.FromStrings(new[] { "x", "y", "z", "w" });
        var previous = new Embedding(EntityIds.FromStrings(new[] { "z", "x", "q" }), new int[3], 2, new float[] { 5, 6, 1, 2, 9, 9 });
        var log = new RecordingStageLog();
        var coordinates = MdeStart.AlignEmbedding(ids, previous, 2, 1, log);
        Assert.Equal(new float[] { 1, 2 }, coordinates[0..2]);
        Assert.Equal(new float[] { 5, 6 }, coordinates[4..6]);
        Assert.True(float.IsFinite(coordinates[2]) && float.IsFinite(coordinates[7]));
        Assert.Contains(log.Warnings, w => w.Contains("2 of 4 entities are not in the -InitialEmbedding"));
        var ex = Assert.Throws<EmbedPSException>(() => MdeStart.AlignEmbedding(ids, previous, 3, 1, log));
        Assert.Equal("InitDimensionMismatch", ex.ErrorId);
    }
}

[Trait("Category", "Unit")]
public class RepulsiveSamplerTests
{
    private static long[] NeighborKeys(int n, int k, int seed)
    {
        var data = TestData.Clustered(n, 5, 10, 1f, seed);
        var lists = NeighborLists.FromKnn(VectorKnn.Exact(data, n, 5, k));
        return NeighborPreservationBuilder.NeighborEdges(lists, n).Keys;
    }

    [Theory]
    [InlineData(3000, 10, 1.0)]
    [InlineData(3000, 10, 0.5)]
    [InlineData(40, 6, 1.0)]   // dense branch: neighbours are over 20 % of all pairs
    public void NoSelfPairsNoCollisionsExactCountSeedAndThreadStable(int n, int k, double fraction)
    {
        var keys = NeighborKeys(n, k, n);
        var sample = RepulsiveSampler.Sample(n, keys, fraction, 7);
        long expected = Math.Min((long)(fraction * keys.Length), (long)n * (n - 1) / 2 - keys.Length);
        Assert.Equal(expected, sample.Length);
        var neighborSet = keys.ToHashSet();
        Assert.Equal(sample.Length, sample.Distinct().Count());
        foreach (var key in sample)
        {
            int a = (int)(key / n), b = (int)(key % n);
            Assert.True(a < b, $"pair ({a}, {b}) is not canonical or is a self-pair");
            Assert.DoesNotContain(key, neighborSet);
        }
        Assert.Equal(sample, RepulsiveSampler.Sample(n, keys, fraction, 7));
        Assert.Equal(sample, TestData.OnOneThread(() => RepulsiveSampler.Sample(n, keys, fraction, 7)));
        Assert.NotEqual(sample, RepulsiveSampler.Sample(n, keys, fraction, 8));
    }

    [Fact]
    public void Pairs_are_uniform()
    {
        // 200 entities, no neighbours excluded, 19,900 pairs; draw 15,000 and check both endpoints' spread (χ² over entities).
        int n = 200;
        var sample = RepulsiveSampler.Sample(n, new long[] { 1 }, 15_000, 3);
        var degree = new int[n];
        foreach (var key in sample) { degree[key / n]++; degree[key % n]++; }
        double mean = 2.0 * sample.Length / n, chi2 = degree.Sum(x => (x - mean) * (x - mean) / mean);
        // 199 degrees of freedom: the 99.9 % quantile is about 270.
        Assert.True(chi2 < 270, $"χ² = {chi2:F1}");
    }

    [Fact]
    public void Caps_at_the_number_of_free_pairs()
    {
        int n = 6;
        var keys = new long[] { 0 * 6 + 1, 2 * 6 + 3 };
        var sample = RepulsiveSampler.Sample(n, keys, 100, 1);
        Assert.Equal(15 - 2, sample.Length);
    }
}

[Trait("Category", "Unit")]
public class SpectralInitTests
{
    [Trait("Category", "Slow")]
    [Fact]
    public void Eigenvectors_have_small_residual_are_orthogonal_and_match_dense_eigenvalues()
    {
        int n = 400, d = 5;
        var data = TestData.Clustered(n, d, 6, 1.0f, 4);
        var lists = NeighborLists.FromKnn(VectorKnn.Exact(data, n, d, 8));
        var (keys, weights, _) = NeighborPreservationBuilder.NeighborEdges(lists, n);
        var source = keys.Select(k => (int)(k / n)).ToArray();
        var target = keys.Select(k => (int)(k % n)).ToArray();
        // Make it connected for a unique null space: a path through all nodes with tiny weight.
        source = source.Concat(Enumerable.Range(0, n - 1)).ToArray();
        target = target.Concat(Enumerable.Range(1, n - 1)).ToArray();
        weights = weights.Concat(Enumerable.Repeat(0.01f, n - 1)).ToArray();
        // Edges must be canonical and unique for the dense reference below to match: merge duplicates by summing.
        var L = Matrix<double>.Build.Dense(n, n);
        for (int e = 0; e < source.Length; e++)
        {
            L[source[e], target[e]] -= weights[e]; L[target[e], source[e]] -= weights[e];
            L[source[e], source[e]] += weights[e]; L[target[e], target[e]] += weights[e];
        }
        int m = 3;
        var result = SpectralInit.Compute(n, m, source, target, weights, seed: 5, tolerance: 1e-9, maxIterations: 3000);
        Assert.True(result.Converged, $"not converged after {result.Iterations}");
        var dense = L.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderBy(x => x).ToArray();
        for (int j = 0; j < m; j++) Assert.Equal(dense[j + 1], result.Eigenvalues[j], 6);

        var X = Matrix<double>.Build.Dense(n, m, (i, j) => result.Coordinates[i * m + j]);
        // Standardized: centred, (1/n)XᵀX = I.
        var gram = X.TransposeThisAndMultiply(X) / n;
        for (int p = 0; p < m; p++)
        {
            Assert.Equal(0, X.Column(p).Sum() / n, 4);
            for (int q = 0; q < m; q++) Assert.Equal(p == q ? 1 : 0, gram[p, q], 4);
        }
        // ‖Lv − λv‖ / ‖v‖ small for each column.
        for (int j = 0; j < m; j++)
        {
            var v = X.Column(j);
            double residual = (L * v - result.Eigenvalues[j] * v).L2Norm() / v.L2Norm();
            Assert.True(residual < 1e-6, $"column {j}: residual {residual:G3}");
        }

        var again = TestData.OnOneThread(() => SpectralInit.Compute(n, m, source, target, weights, seed: 5, tolerance: 1e-9, maxIterations: 3000));
        Assert.Equal(result.Coordinates, again.Coordinates);
    }

    [Fact]
    public void Ring_graph_gives_its_known_spectrum()
    {
        // Cycle C_n: eigenvalues 2 − 2cos(2πj/n), each non-zero one twice.
        int n = 60;
        var source = Enumerable.Range(0, n).Select(i => Math.Min(i, (i + 1) % n)).ToArray();
        var target = Enumerable.Range(0, n).Select(i => Math.Max(i, (i + 1) % n)).ToArray();
        var weights = Enumerable.Repeat(1f, n).ToArray();
        var result = SpectralInit.Compute(n, 2, source, target, weights, seed: 1, tolerance: 1e-10, maxIterations: 5000);
        double lambda1 = 2 - 2 * Math.Cos(2 * Math.PI / n);
        Assert.Equal(lambda1, result.Eigenvalues[0], 7);
        Assert.Equal(lambda1, result.Eigenvalues[1], 7);
    }
}

[Trait("Category", "Slow")]
public class SampleDataAgreementTests
{
    /// <summary>Co-occurrence counts of the Tiny sample, counted pair by pair (independent of the co-occurrence stage).</summary>
    internal static CooccurrenceMatrix TinyCooccurrence()
    {
        var set = EmbedPS.Core.Collections.SyntheticCollectionGenerator.Generate(EmbedPS.Core.Collections.SyntheticCollectionOptions.Preset("Tiny")).Collections;
        var counts = new Dictionary<(int, int), float>();
        for (int c = 0; c < set.CollectionCount; c++)
        {
            var members = set.MembersOf(c).ToArray();
            for (int x = 0; x < members.Length; x++)
                for (int y = x + 1; y < members.Length; y++)
                {
                    var key = (Math.Min(members[x], members[y]), Math.Max(members[x], members[y]));
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                }
        }
        var m = TestData.Matrix(set.EntityCount, counts.Select(p => (p.Key.Item1, p.Key.Item2, p.Value)), set.Popularity);
        return new CooccurrenceMatrix(set.Entities, set.Popularity, m.RowOffsets, m.ColumnIndices, m.Weights);
    }

    [Fact]
    public void Sample_graph_matches_plain_Dijkstra_for_sampled_entities()
    {
        var matrix = TinyCooccurrence();
        var options = new NeighborPreservationOptions { Seed = 4 };
        var graph = NeighborPreservationBuilder.FromCooccurrence(matrix, options, new RecordingStageLog());
        int n = matrix.EntityCount, k = NeighborPreservationOptions.DefaultNeighborCount(n);
        var lengths = DistanceGraph.FromCooccurrence(matrix, options.Normalize, SimilarityTransform.InverseLog);
        double radius = 3 * lengths.LengthQuantile(0.75);
        var edges = new HashSet<(int, int)>();
        for (int e = 0; e < graph.EdgeCount; e++) if (graph.Weights[e] > 0) edges.Add((graph.EdgeSource[e], graph.EdgeTarget[e]));

        for (int s = 0; s < n; s += 13)
        {
            // Plain Dijkstra over the whole component (PyMDE's way), then the k nearest within the radius.
            var distance = Enumerable.Repeat(double.PositiveInfinity, n).ToArray();
            var queue = new PriorityQueue<int, double>();
            distance[s] = 0; queue.Enqueue(s, 0);
            while (queue.TryDequeue(out int u, out double d))
            {
                if (d > distance[u]) continue;
                for (long e = lengths.RowOffsets[u]; e < lengths.RowOffsets[u + 1]; e++)
                {
                    int v = lengths.Targets[e];
                    if (d + lengths.Lengths[e] < distance[v]) { distance[v] = d + lengths.Lengths[e]; queue.Enqueue(v, distance[v]); }
                }
            }
            var nearest = Enumerable.Range(0, n).Where(j => j != s && distance[j] <= radius).OrderBy(j => distance[j]).ThenBy(j => j).Take(k).ToArray();
            foreach (int j in nearest)
                Assert.Contains((Math.Min(s, j), Math.Max(s, j)), edges);
        }
    }
}

[Trait("Category", "Unit")]
public class HubTests
{
    [Fact]
    public void Cosine_normalisations_stop_hubs_from_being_everyones_neighbour()
    {
        var matrix = SampleDataAgreementTests.TinyCooccurrence();
        int n = matrix.EntityCount, k = 10;
        int[] InDegree(SimilarityNormalization normalization)
        {
            var lists = GraphKnn.Search(DistanceGraph.FromCooccurrence(matrix, normalization, SimilarityTransform.InverseLog), k, double.PositiveInfinity);
            var degree = new int[n];
            foreach (var j in lists.Indices) if (j >= 0) degree[j]++;
            return degree;
        }
        var top = Enumerable.Range(0, n).OrderByDescending(i => matrix.Popularity[i]).Take(n / 50).ToArray();
        double HubShare(int[] degree) => (double)top.Sum(i => degree[i]) / degree.Sum();
        double raw = HubShare(InDegree(SimilarityNormalization.None)), cosine = HubShare(InDegree(SimilarityNormalization.Cosine));
        double smoothed = HubShare(InDegree(SimilarityNormalization.SmoothedCosine));
        // The 2 % most popular entities take a large share of all neighbour slots with raw counts, far less after Cosine;
        // the smoothed cosine (the default) sits in between, nearer Cosine.
        Assert.True(cosine < raw / 2, $"hub share raw {raw:P1}, cosine {cosine:P1}");
        Assert.True(smoothed < raw / 2 && smoothed >= cosine, $"hub share raw {raw:P1}, smoothed {smoothed:P1}, cosine {cosine:P1}");
    }
}

[Trait("Category", "Unit")]
public class CancellationTests
{
    [Fact]
    public void Every_long_step_stops_on_a_cancelled_token()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var data = TestData.Clustered(500, 4, 3, 1f, 1);
        Assert.ThrowsAny<OperationCanceledException>(() => VectorKnn.Exact(data, 500, 4, 5, null, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => VectorKnn.Approximate(data, 500, 4, 5, 0, null, cancelled.Token));
        var graph = DistanceGraph.FromEdges(3, new[] { (0, 1, 1f), (1, 2, 1f) });
        Assert.ThrowsAny<OperationCanceledException>(() => GraphKnn.Search(graph, 1, 10, null, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => SpectralInit.Compute(6, 2, new[] { 0, 1, 2, 3, 4 }, new[] { 1, 2, 3, 4, 5 },
            new[] { 1f, 1f, 1f, 1f, 1f }, 0, cancellation: cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => NeighborPreservationBuilder.FromVectors(
            EmbedPS.Core.Common.EntityIds.FromIntegers(Enumerable.Range(0, 500).Select(i => (long)i).ToArray()), new int[500], data, 4,
            new NeighborPreservationOptions(), null, cancelled.Token));
    }
}

[Trait("Category", "Integration")]
public class TableInputTests
{
    [Fact]
    public void Plain_parquet_table_from_DuckDB_runs_through_the_cmdlet()
    {
        using var dir = new TempDirectory();
        var path = dir.File("features.parquet");
        using (var connection = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // 40 rows in two clusters 50 apart; 'item' is the id, 'note' a text column that must not become a feature.
            command.CommandText = $"COPY (SELECT 'item' || i AS item, (i % 2) * 50.0 + (i % 7) * 0.1 AS a, (i % 5) * 0.2 AS b, " +
                                  $"CAST(i % 3 AS INTEGER) AS c, 'x' AS note FROM range(40) t(i)) TO '{path}' (FORMAT PARQUET)";
            command.ExecuteNonQuery();
        }
        using var ps = PowerShellHost.Create();
        ps.AddCommand("Invoke-NeighborPreservation").AddParameter("InputPath", path).AddParameter("IdProperty", "item")
          .AddParameter("NeighborCount", 4).AddParameter("Seed", 3);
        var results = ps.Invoke();
        Assert.False(ps.HadErrors, string.Join("; ", ps.Streams.Error.Select(e => e.ToString())));
        var graph = Assert.IsType<NeighborGraph>(Assert.Single(results).BaseObject);
        Assert.Equal(40, graph.EntityCount);
        Assert.Equal("item0", graph.Entities.GetText(0));
        Assert.Equal("a,b,c", graph.Provenance.Parameters["Features"]);
        for (int e = 0; e < graph.EdgeCount; e++)
            if (graph.Weights[e] > 0) Assert.Equal(graph.EdgeSource[e] % 2, graph.EdgeTarget[e] % 2);
    }

    [Fact]
    public void Feature_table_names_the_bad_cell_and_rejects_duplicate_ids()
    {
        var names = new[] { "id", "x", "y" };
        var ok = FeatureTable.FromColumns(names, new Array[] { new[] { "a", "b" }, new[] { 1.0, 2.0 }, new[] { "3", "4.5" } }, null, null, "t");
        Assert.Equal(new float[] { 1, 3, 2, 4.5f }, ok.Data);
        Assert.Equal(new[] { "x", "y" }, ok.FeatureNames);
        var bad = Assert.Throws<EmbedPSException>(() => FeatureTable.FromColumns(names, new Array[] { new[] { "a", "b" }, new[] { 1.0, 2.0 }, new[] { "3", "oops" } }, null, new[] { "x", "y" }, "t.csv"));
        Assert.Equal("NonNumericFeature", bad.ErrorId);
        Assert.Equal(2, bad.Row);
        Assert.Equal("y", bad.Column);
        Assert.Contains("oops", bad.Message);
        var duplicate = Assert.Throws<EmbedPSException>(() => FeatureTable.FromColumns(names, new Array[] { new[] { "a", "a" }, new[] { 1.0, 2.0 }, new[] { 1.0, 2.0 } }, null, null, "t.csv"));
        Assert.Equal("DuplicateId", duplicate.ErrorId);
    }
}
