using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Tests.NeighborPreservation;

/// <summary>The neighbour stage keeps only each entity's k + 1 shortest edges: check that nothing changes.</summary>
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
}
