using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Tests.NeighborPreservation;

/// <summary>The neighbour stage keeps only each entity's k + 1 shortest edges: check that nothing changes.</summary>
[Trait("Category", "Unit")]
public class PrunedGraphTests
{
    private static CooccurrenceMatrix RandomDenseMatrix(int n, double density, int seed)
    {
        var random = new DeterministicRandom(seed);
        var rows = new SortedDictionary<int, float>[n];
        for (int i = 0; i < n; i++) rows[i] = new SortedDictionary<int, float>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (random.NextDouble() < density)
                {
                    float w = 1 + (float)random.NextDouble() * 20; // continuous weights: no ties
                    rows[i][j] = w; rows[j][i] = w;
                }
        var offsets = new long[n + 1];
        for (int i = 0; i < n; i++) offsets[i + 1] = offsets[i] + rows[i].Count;
        var columns = rows.SelectMany(r => r.Keys).ToArray();
        var weights = rows.SelectMany(r => r.Values).ToArray();
        var popularity = Enumerable.Range(0, n).Select(i => 5 + random.NextInt(50)).ToArray();
        return new CooccurrenceMatrix(EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray()), popularity, offsets, columns, weights);
    }

    [Theory]
    [InlineData(SimilarityNormalization.Cosine, SimilarityTransform.InverseLog, 5)]
    [InlineData(SimilarityNormalization.None, SimilarityTransform.Reciprocal, 8)]
    [InlineData(SimilarityNormalization.Pmi, SimilarityTransform.NegativeLog, 3)]
    public void K_plus_one_shortest_edges_give_the_same_neighbours_as_the_full_graph(SimilarityNormalization normalization, SimilarityTransform transform, int k)
    {
        var matrix = RandomDenseMatrix(300, 0.3, 11);
        var full = DistanceGraph.FromCooccurrence(matrix, normalization, transform);
        var pruned = DistanceGraph.FromCooccurrence(matrix, normalization, transform, keepPerRow: k + 1);
        Assert.True(pruned.Targets.Length < full.Targets.Length / 5);
        double radius = 3 * full.LengthQuantile(0.75);
        var expected = GraphKnn.Search(full, k, radius);
        var actual = GraphKnn.Search(pruned, k, radius);
        Assert.Equal(expected.Counts, actual.Counts);
        Assert.Equal(expected.Indices, actual.Indices);
        Assert.Equal(expected.Distances, actual.Distances);
    }

    [Fact]
    public void Pruned_rows_are_each_rows_shortest_edges_in_order()
    {
        var matrix = RandomDenseMatrix(120, 0.5, 3);
        var full = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.Cosine, SimilarityTransform.InverseLog);
        var pruned = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.Cosine, SimilarityTransform.InverseLog, keepPerRow: 4);
        for (int i = 0; i < matrix.EntityCount; i++)
        {
            Assert.Equal(full.Targets.AsSpan((int)full.RowOffsets[i], 4).ToArray(), pruned.Targets.AsSpan((int)pruned.RowOffsets[i], 4).ToArray());
            Assert.Equal(full.Lengths.AsSpan((int)full.RowOffsets[i], 4).ToArray(), pruned.Lengths.AsSpan((int)pruned.RowOffsets[i], 4).ToArray());
        }
    }

    [Theory]
    [InlineData(0.75)]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void Streaming_quantile_equals_the_sorted_quantile(double q)
    {
        var matrix = RandomDenseMatrix(200, 0.4, 5);
        var full = DistanceGraph.FromCooccurrence(matrix, SimilarityNormalization.Cosine, SimilarityTransform.InverseLog);
        double expected = full.LengthQuantile(q);
        double actual = DistanceGraph.LengthQuantile(matrix, SimilarityNormalization.Cosine, SimilarityTransform.InverseLog, q);
        Assert.Equal(expected, actual, 6);
    }

    [Theory]
    [InlineData(SimilarityNormalization.SmoothedCosine, SimilarityTransform.InverseLog, 0.75, 6)]
    [InlineData(SimilarityNormalization.Ppmi, SimilarityTransform.Reciprocal, 0.3, int.MaxValue)]
    public void The_fused_pass_gives_the_same_graph_and_the_same_quantile_as_the_separate_ones(SimilarityNormalization normalization, SimilarityTransform transform, double q, int keep)
    {
        // Integer weights: many equal lengths, so the quantile's bucket holds repeats.
        var matrix = RandomDenseMatrix(250, 0.35, 9);
        var rounded = new CooccurrenceMatrix(matrix.Entities, matrix.Popularity, matrix.RowOffsets, matrix.ColumnIndices, matrix.Weights.Select(w => MathF.Round(w)).ToArray());
        var separate = DistanceGraph.FromCooccurrence(rounded, normalization, transform, keepPerRow: keep);
        double quantile = DistanceGraph.LengthQuantile(rounded, normalization, transform, q);
        var fused = DistanceGraph.FromCooccurrence(rounded, normalization, transform, q, out double fusedQuantile, keepPerRow: keep);
        Assert.Equal(quantile, fusedQuantile);
        Assert.Equal(separate.RowOffsets, fused.RowOffsets);
        Assert.Equal(separate.Targets, fused.Targets);
        Assert.Equal(separate.Lengths, fused.Lengths);
        // And the exact quantile of the sorted lengths (each pair once), computed here by hand.
        var all = DistanceGraph.FromCooccurrence(rounded, normalization, transform);
        Assert.Equal(all.LengthQuantile(q), fusedQuantile, 6);
    }
}

[Trait("Category", "Unit")]
public class ComponentLinkTests
{
    [Fact]
    public void ConnectComponents_links_through_the_closest_pair_of_the_whole_matrix()
    {
        // Two cliques of five (weight 50 inside); across them only weak pairs (1), except 2–7 (weight 5): the closest crossing
        // pair, which is not among any entity's few shortest edges, so only a search of the whole matrix finds it.
        int n = 10;
        var rows = new SortedDictionary<int, float>[n];
        for (int i = 0; i < n; i++) rows[i] = new SortedDictionary<int, float>();
        void Pair(int a, int b, float w) { rows[a][b] = w; rows[b][a] = w; }
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
                Pair(a, b, (a < 5) == (b < 5) ? 50 + a + b : 1);
        Pair(2, 7, 5);
        var offsets = new long[n + 1];
        for (int i = 0; i < n; i++) offsets[i + 1] = offsets[i] + rows[i].Count;
        var matrix = new CooccurrenceMatrix(EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray()), Enumerable.Repeat(60, n).ToArray(),
            offsets, rows.SelectMany(r => r.Keys).ToArray(), rows.SelectMany(r => r.Values).ToArray());
        var options = new NeighborPreservationOptions { NeighborCount = 2, ConnectComponents = true, Seed = 1 };
        var log = new RecordingStageLog();
        var graph = NeighborPreservationBuilder.FromCooccurrence(matrix, options, log);
        Assert.Contains(log.Warnings, w => w.Contains("2 connected components"));
        var crossing = Enumerable.Range(0, graph.EdgeCount)
            .Where(e => graph.Weights[e] > 0 && (graph.EdgeSource[e] < 5) != (graph.EdgeTarget[e] < 5))
            .Select(e => (graph.EdgeSource[e], graph.EdgeTarget[e])).ToList();
        Assert.Equal(new[] { (2, 7) }, crossing);
    }
}
