using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Tests.Collections;
using EmbedPS.Tests.Infrastructure;
using Xunit;

namespace EmbedPS.Tests.Hardening;

/// <summary>Issue 14: degenerate inputs stop with a clear error (or a specific warning) before the expensive stages.</summary>
[Trait("Category", "Unit")]
public sealed class DegenerateInputTests
{
    private sealed class RecordingLog : IStageLog
    {
        public List<string> Warnings { get; } = new();
        public void Progress(double fraction, string status) { }
        public void Verbose(string message) { }
        public void Warning(string message) { lock (Warnings) Warnings.Add(message); }
    }

    private static EntityCollectionSet Set(params (string C, string E)[] rows)
    {
        var b = new EntityCollectionBuilder();
        foreach (var (c, e) in rows) b.Add(c, e);
        return b.Build();
    }

    [Fact]
    public void PCA_of_a_1D_embedding_warns_that_Y_is_zero()
    {
        var embedding = new Embedding(EntityIds.FromIntegers(new long[] { 1, 2, 3, 4, 5 }), new int[5], 1, new float[] { 0, 1, 2, 3, 4 });
        var log = new RecordingLog();
        var projection = EmbedPS.Core.Projection.ProjectionBuilder.Build(embedding, new EmbedPS.Core.Projection.ProjectionRequest { Method = EmbedPS.Core.Projection.ProjectionMethod.Pca }, log);
        Assert.All(projection.Y, y => Assert.Equal(0f, y));
        Assert.Contains(log.Warnings, w => w.Contains("1-D embedding") && w.Contains("Y is 0"));
        // A 2-D embedding says nothing.
        var flat = new Embedding(EntityIds.FromIntegers(new long[] { 1, 2, 3 }), new int[3], 2, new float[] { 0, 0, 1, 2, 2, 1 });
        var quiet = new RecordingLog();
        EmbedPS.Core.Projection.ProjectionBuilder.Build(flat, new EmbedPS.Core.Projection.ProjectionRequest { Method = EmbedPS.Core.Projection.ProjectionMethod.Pca }, quiet);
        Assert.DoesNotContain(quiet.Warnings, w => w.Contains("Y is 0"));
    }

    [Fact]
    public void Collections_of_size_one_stop_before_counting()
    {
        var set = Set(("u1", "a"), ("u2", "b"), ("u3", "c"));
        var ex = Assert.Throws<EmbedPSException>(() => CooccurrenceBuilder.Build(set));
        Assert.Equal("DegenerateInput", ex.ErrorId);
        Assert.Contains("single entity", ex.Message);
    }

    [Fact]
    public void A_single_collection_is_a_specific_warning()
    {
        var log = new RecordingLog();
        var matrix = CooccurrenceBuilder.Build(Set(("u1", "a"), ("u1", "b"), ("u1", "c")), log: log);
        Assert.Equal(3, matrix.PairCount);
        Assert.Contains(log.Warnings, w => w.Contains("single collection"));
    }

    [Fact]
    public void A_matrix_without_pairs_stops_the_neighbour_search()
    {
        using var dir = new TempDirectory();
        var path = CsvImportTests.Write(dir, "edges.csv", "entity_a,entity_b,weight\n1,1,3\n2,2,1\n3,3,2\n");
        var matrix = EdgeListImporter.Read(path);
        Assert.Equal(0, matrix.PairCount);
        var ex = Assert.Throws<EmbedPSException>(() => NeighborPreservationBuilder.FromCooccurrence(matrix, new NeighborPreservationOptions()));
        Assert.Equal("DegenerateInput", ex.ErrorId);
    }

    [Fact]
    public void A_graph_without_neighbour_edges_stops_the_embedding()
    {
        var entities = EntityIds.FromIntegers(new long[] { 1, 2, 3, 4 });
        var graph = new NeighborGraph(entities, new[] { 1, 1, 1, 1 }, new[] { 0, 1 }, new[] { 2, 3 }, new[] { -1f, -1f }, new[] { 0f, 0f });
        var ex = Assert.Throws<EmbedPSException>(() => MinimumDistortionEmbedding.Run(graph, new EmbeddingConfiguration { Dimension = 2, Constraint = ConstraintKind.Centered },
            new MdeOptions { MaxIterations = 10, Device = MdeDevice.Cpu }));
        Assert.Equal("DegenerateInput", ex.ErrorId);
    }

    [Fact]
    public void Negative_weights_never_reach_the_neighbour_search()
    {
        using var dir = new TempDirectory();
        var path = CsvImportTests.Write(dir, "edges.csv", "entity_a,entity_b,weight\n1,1,3\n2,2,1\n3,3,2\n1,2,-2\n2,3,1\n");
        var matrix = EdgeListImporter.Read(path, new EdgeListColumns { AllowNegativeWeight = true });
        var ex = Assert.Throws<EmbedPSException>(() => NeighborPreservationBuilder.FromCooccurrence(matrix, new NeighborPreservationOptions { NeighborCount = 1 }));
        Assert.Equal("NegativeWeight", ex.ErrorId);
    }
}
