using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Artifacts;

[Trait("Category", "Unit")]
public class ArtifactRoundTripTests
{
    [Fact]
    public void Collections_round_trip_compares_every_pair_by_id()
    {
        using var dir = new TempDirectory();
        var builder = new EntityCollectionBuilder(hasWeights: true, hasValues: true, hasTimestamps: true);
        builder.Add("u1", "a", 1.5f, 10, 100);
        builder.Add("u1", "b", 2f, 20, 200);
        builder.Add("u2", "a", 1f, 30, 300);
        builder.Add("u2", "c", 0.5f, 40, 400);
        builder.Add("u2", "a", 2f, 50, 50); // duplicate: weights summed, values averaged, earliest timestamp
        var set = builder.Build();
        Assert.Equal(1, set.DuplicatePairsMerged);
        var path = dir.File("c.parquet");
        CollectionsArtifact.Write(set, path);
        var back = CollectionsArtifact.Read(path);
        Assert.Equal(Flatten(set), Flatten(back));
        var u2a = Flatten(back).Single(r => r.Collection == "u2" && r.Entity == "a");
        Assert.Equal(3f, u2a.Weight);
        Assert.Equal(40.0, u2a.Value);
        Assert.Equal(50.0, u2a.Timestamp);
        Assert.Equal(path, back.Provenance.ArtifactPath);
        Assert.Equal(FileHash.Sha256(path), back.Provenance.ArtifactSha256);
    }

    private static List<(string Collection, string Entity, float Weight, double Value, double Timestamp)> Flatten(EntityCollectionSet set)
    {
        var rows = new List<(string, string, float, double, double)>();
        for (int c = 0; c < set.CollectionCount; c++)
        {
            for (int k = set.CollectionOffsets[c]; k < set.CollectionOffsets[c + 1]; k++)
            {
                rows.Add((set.Collections.GetText(c), set.Entities.GetText(set.Members[k]), set.Weights?[k] ?? 1f, set.Values?[k] ?? 0, set.Timestamps?[k] ?? 0));
            }
        }
        rows.Sort();
        return rows;
    }

    [Fact]
    public void Integer_ids_stay_int64_and_text_ids_stay_strings()
    {
        var ints = new EntityCollectionBuilder();
        ints.Add("10", "9007199254740993");
        ints.Add("10", "-5");
        Assert.True(ints.Build().Entities.IsInteger);
        var texts = new EntityCollectionBuilder();
        texts.Add("10", "007");
        texts.Add("10", "5");
        var set = texts.Build();
        Assert.False(set.Entities.IsInteger);
        Assert.Equal("007", set.Entities.GetText(set.Entities.IndexOf("007")));
    }

    [Fact]
    public void Synthetic_sample_round_trips_exactly()
    {
        using var dir = new TempDirectory();
        var sample = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny);
        var path = dir.File("s.parquet");
        CollectionsArtifact.Write(sample.Collections, path);
        var back = CollectionsArtifact.Read(path);
        Assert.Equal(sample.Collections.PairCount, back.PairCount);
        Assert.Equal(sample.Collections.CollectionCount, back.CollectionCount);
        Assert.Equal(Flatten(sample.Collections), Flatten(back));
        // Popularity follows the ids, not the indices.
        for (int i = 0; i < back.EntityCount; i++)
        {
            int original = sample.Collections.Entities.IndexOf(back.Entities[i]);
            Assert.Equal(sample.Collections.Popularity[original], back.Popularity[i]);
        }
    }

    [Fact]
    public void Cooccurrence_round_trip_keeps_order_popularity_and_weights()
    {
        using var dir = new TempDirectory();
        var ids = EntityIds.FromStrings(new[] { "x", "y", "z", "lonely" });
        // x–y 2, x–z 0.5, y–z 1 ; "lonely" has no partner.
        var matrix = new CooccurrenceMatrix(ids, new[] { 3, 4, 2, 1 }, new long[] { 0, 2, 4, 6, 6 },
            new[] { 1, 2, 0, 2, 0, 1 }, new[] { 2f, 0.5f, 2f, 1f, 0.5f, 1f });
        matrix.Provenance.Parameters["CollectionWeighting"] = "None";
        var path = dir.File("m.parquet");
        CooccurrenceArtifact.Write(matrix, path);
        var back = CooccurrenceArtifact.Read(path);
        StreamingArtifactTests.AssertSameMatrix(matrix, back);
        Assert.Equal("None", back.Provenance.Parameters["CollectionWeighting"]);
        Assert.Equal(1.5, back.RowSums[2], 6);
    }

    [Fact]
    public void Neighbor_graph_round_trip_keeps_isolated_entities()
    {
        using var dir = new TempDirectory();
        var ids = EntityIds.FromIntegers(new long[] { 5, 6, 7, 8 });
        var graph = new NeighborGraph(ids, new[] { 1, 2, 3, 4 }, new[] { 0, 1, 0 }, new[] { 1, 2, 2 }, new[] { 2f, 1f, -1f }, new[] { 0.5f, 1.5f, 3f });
        var path = dir.File("g.parquet");
        NeighborGraphArtifact.Write(graph, path);
        var back = NeighborGraphArtifact.Read(path);
        Assert.True(back.Entities.SequenceEqual(ids));
        Assert.Equal(graph.Popularity, back.Popularity);
        Assert.Equal(graph.EdgeSource, back.EdgeSource);
        Assert.Equal(graph.EdgeTarget, back.EdgeTarget);
        Assert.Equal(graph.Weights, back.Weights);
        Assert.Equal(graph.Distances, back.Distances);
        Assert.Equal(2, back.NeighborEdgeCount);
        Assert.Equal(1, back.RepulsiveEdgeCount);
        Assert.Null(ParquetArtifact.Read(path).MetadataValue(NeighborGraphArtifact.ConfigurationKey)); // data only: no embedding settings
    }

    [Fact]
    public void Neighbor_graph_written_with_the_old_configuration_footer_still_reads_and_embeds()
    {
        // Graph artifacts written before the embedding settings moved to Invoke-Mde carry them (and a spectral start) in the footer.
        using var dir = new TempDirectory();
        int n = 12;
        var ids = EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i * 10).ToArray());
        var a = new List<int>(); var b = new List<int>(); var w = new List<float>(); var d = new List<float>();
        for (int i = 0; i < n; i++) { a.Add(i); b.Add(i); w.Add(i + 1); d.Add(0); }
        for (int i = 0; i < n; i++) { a.Add(i); b.Add((i + 1) % n); w.Add(2); d.Add(1); }
        for (int i = 0; i < n; i++) { a.Add(i); b.Add((i + n / 2) % n); w.Add(-1); d.Add(float.NaN); }
        var legacy = """{"dimension":4,"attractivePenalty":"Log1p","attractiveExponent":1.5,"repulsivePenalty":"Log","repulsiveExponent":1,"huberThreshold":1,"constraint":"Centered","init":"Quadratic","seed":3,"initialCoordinates":null,"anchorIndices":null,"anchorCoordinates":null}""";
        var path = dir.File("legacy.parquet");
        ParquetArtifact.Write(path, ArtifactKind.NeighborGraph, NeighborGraphArtifact.Schema, new Provenance(),
            new List<ArtifactColumn> { ArtifactColumn.EntityIds("entity_a", ids, a.ToArray()), ArtifactColumn.EntityIds("entity_b", ids, b.ToArray()), new("weight", w.ToArray()), new("distance", d.ToArray()) },
            new Dictionary<string, string> { [NeighborGraphArtifact.ConfigurationKey] = legacy });
        var graph = NeighborGraphArtifact.Read(path);
        Assert.Equal(n, graph.EntityCount);
        Assert.Equal(n, graph.NeighborEdgeCount);
        Assert.Equal(n, graph.RepulsiveEdgeCount);
        Assert.Equal(n, graph.Popularity[n - 1]);
        var embedding = MinimumDistortionEmbedding.Run(graph, new EmbeddingConfiguration { Dimension = 2, Init = InitKind.Random }, new MdeOptions { MaxIterations = 20 });
        Assert.Equal(2, embedding.Dimension);
        Assert.True(embedding.FinalDistortion < embedding.DistortionHistory[0] || embedding.Iterations <= 1);
    }

    [Fact]
    public void Embedding_and_projection_round_trip_every_value()
    {
        using var dir = new TempDirectory();
        var ids = EntityIds.FromStrings(new[] { "α", "β", new string('z', 5000) });
        var coords = new float[] { 1, 2, 3, -4, 5.5f, 6, 7, 8, float.Epsilon };
        var embedding = new Embedding(ids, new[] { 1, 2, 3 }, 3, coords) { FinalDistortion = 0.125, Iterations = 17, DistortionHistory = new[] { 1.0, 0.5, 0.125 }, StopReason = "tolerance" };
        var path = dir.File("e.parquet");
        EmbeddingArtifact.Write(embedding, path);
        var back = EmbeddingArtifact.Read(path);
        Assert.True(back.Entities.SequenceEqual(ids));
        Assert.Equal(coords, back.Coordinates);
        Assert.Equal(embedding.DistortionHistory, back.DistortionHistory);
        Assert.Equal(0.125, back.FinalDistortion);
        Assert.Equal(17, back.Iterations);
        Assert.Equal("tolerance", back.StopReason);

        var projection = new Projection(ids, new[] { 1, 2, 3 }, new[] { 0.5f, 1, 2 }, new[] { -1f, 0, 1 }, "Umap") { Quality = { ["recall@10"] = 0.8 } };
        var ppath = dir.File("p.parquet");
        ProjectionArtifact.Write(projection, ppath);
        var pback = ProjectionArtifact.Read(ppath);
        Assert.Equal(projection.X, pback.X);
        Assert.Equal(projection.Y, pback.Y);
        Assert.Equal("Umap", pback.Method);
        Assert.Equal(0.8, pback.Quality["recall@10"]);
    }

    [Fact]
    public void Non_artifact_and_truncated_files_give_clear_errors()
    {
        using var dir = new TempDirectory();
        var text = dir.File("not.parquet");
        File.WriteAllText(text, "entity,x\n1,2\n");
        var ex = Assert.Throws<EmbedPSException>(() => ArtifactStore.Read(text));
        Assert.Contains(text, ex.Message);
        Assert.Equal("ArtifactUnreadable", ex.ErrorId);

        var good = dir.File("good.parquet");
        var set = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny).Collections;
        CollectionsArtifact.Write(set, good);
        var bytes = File.ReadAllBytes(good);
        var truncated = dir.File("truncated.parquet");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var ex2 = Assert.Throws<EmbedPSException>(() => ArtifactStore.Read(truncated));
        Assert.Contains("truncated", ex2.Message);

        var ex3 = Assert.Throws<EmbedPSException>(() => EmbeddingArtifact.Read(good));
        Assert.Equal("WrongArtifactKind", ex3.ErrorId);
    }

    [Fact]
    public void Failed_write_leaves_no_file_and_keeps_the_old_one()
    {
        using var dir = new TempDirectory();
        var path = dir.File("keep.txt");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new InvalidOperationException("boom"); }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => AtomicFile.Write(dir.File("new.bin"), s => s.WriteByte(1), cts.Token));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}

[Trait("Category", "Unit")]
public class StreamingArtifactTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(1 << 20)]
    public void Cooccurrence_written_in_small_row_groups_round_trips_every_pair(int rowGroupSize)
    {
        using var dir = new TempDirectory();
        // A sample with empty rows, rows whose pairs straddle row groups, and string ids.
        var random = new DeterministicRandom(3);
        int n = 60;
        var rows = new SortedDictionary<int, float>[n];
        for (int i = 0; i < n; i++) rows[i] = new SortedDictionary<int, float>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (i % 7 != 3 && j % 7 != 3 && random.NextDouble() < 0.3) { float w = random.NextInt(9) + 1; rows[i][j] = w; rows[j][i] = w; }
        var offsets = new long[n + 1];
        for (int i = 0; i < n; i++) offsets[i + 1] = offsets[i] + rows[i].Count;
        var ids = EntityIds.FromStrings(Enumerable.Range(0, n).Select(i => "e" + i).ToArray());
        var matrix = new CooccurrenceMatrix(ids, Enumerable.Range(1, n).ToArray(), offsets, rows.SelectMany(r => r.Keys).ToArray(), rows.SelectMany(r => r.Values).ToArray());
        var path = dir.File("m.parquet");
        CooccurrenceArtifact.Write(matrix, path, CancellationToken.None, rowGroupSize);
        var back = CooccurrenceArtifact.Read(path);
        AssertSameMatrix(matrix, back);
    }

    /// <summary>Every value of the matrix read back equals the one written: ids, popularity and the whole CSR structure.</summary>
    internal static void AssertSameMatrix(CooccurrenceMatrix written, CooccurrenceMatrix read)
    {
        Assert.True(read.Entities.SequenceEqual(written.Entities));
        Assert.Equal(written.Popularity, read.Popularity);
        Assert.Equal(written.RowOffsets, read.RowOffsets);
        Assert.Equal(written.ColumnIndices, read.ColumnIndices);
        Assert.Equal(written.Weights, read.Weights);
    }
}
