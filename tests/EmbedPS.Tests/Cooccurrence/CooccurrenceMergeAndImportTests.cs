using DuckDB.NET.Data;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Tests.Infrastructure;
using static EmbedPS.Tests.Cooccurrence.CooccurrenceTestData;

namespace EmbedPS.Tests.Cooccurrence;

[Trait("Category", "Unit")]
public class CooccurrenceMergeAndImportTests
{
    /// <summary>Splits collections into shards, each with its own entity list (ids only of the entities it holds).</summary>
    private static List<EntityCollectionSet> Shards(EntityCollectionSet set, int shardCount)
    {
        var builders = Enumerable.Range(0, shardCount).Select(_ => new EntityCollectionBuilder()).ToList();
        for (int c = 0; c < set.CollectionCount; c++)
        {
            // Shard by a hash of the collection so shards interleave and see entities in different orders.
            var builder = builders[(c * 7 + 3) % shardCount];
            foreach (var e in set.MembersOf(c)) builder.Add("c" + c, set.Entities.GetText(e));
        }
        return builders.Select(b => b.Build()).ToList();
    }

    private static void AssertSameById(CooccurrenceMatrix expected, CooccurrenceMatrix actual, double tolerance)
    {
        Assert.Equal(expected.NonZeroCount, actual.NonZeroCount);
        for (int i = 0; i < expected.EntityCount; i++)
        {
            int ai = actual.Entities.IndexOf(expected.Entities[i]);
            Assert.True(ai >= 0, $"entity {expected.Entities[i]} missing");
            Assert.Equal(expected.Popularity[i], actual.Popularity[ai]);
            var partners = expected.PartnersOf(i);
            var weights = expected.WeightsOf(i);
            for (int k = 0; k < partners.Length; k++)
            {
                float got = actual.WeightOf(ai, actual.Entities.IndexOf(expected.Entities[partners[k]]));
                Assert.True(Math.Abs(got - weights[k]) <= tolerance * weights[k], $"({expected.Entities[i]}, {expected.Entities[partners[k]]}): {got} vs {weights[k]}");
            }
        }
    }

    [Fact]
    public void Merge_of_shards_equals_the_whole()
    {
        var set = Random(entityCount: 200, collectionCount: 900, maxSize: 20, seed: 21, attributes: false);
        var whole = CooccurrenceBuilder.Build(set);
        var shards = Shards(set, 3).Select(s => CooccurrenceBuilder.Build(s)).ToList();
        // Every shard lists its entities in the canonical order (ascending ids), so whole and merge agree on indices.
        Assert.True(shards.All(s => s.Entities.IsInteger && s.Entities.Integers!.Zip(s.Entities.Integers!.Skip(1)).All(p => p.First < p.Second)), "shards should list entities in canonical order");
        var merged = CooccurrenceMerger.Merge(shards);
        AssertSameById(whole, merged, 0); // counts add up exactly
        AssertWellFormedSymmetric(merged);
        var weighted = CooccurrenceMerger.Merge(Shards(set, 4).Select(s => CooccurrenceBuilder.Build(s, new CooccurrenceOptions { CollectionWeighting = CollectionWeighting.InverseLogSize })).ToList());
        AssertSameById(CooccurrenceBuilder.Build(set, new CooccurrenceOptions { CollectionWeighting = CollectionWeighting.InverseLogSize }), weighted, 1e-5);
        Assert.Equal(3, merged.Provenance.Inputs.Count);
    }

    [Fact]
    public void A_capped_merge_of_shards_equals_the_capped_whole()
    {
        var set = Random(entityCount: 150, collectionCount: 700, maxSize: 20, seed: 17, attributes: false);
        var whole = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { MaxPartners = 12 });
        var merged = CooccurrenceMerger.Merge(Shards(set, 3).Select(s => CooccurrenceBuilder.Build(s)).ToList(), new CooccurrenceOptions { MaxPartners = 12, MaxDegreeOfParallelism = 3 });
        // Entity order differs (shards list ids in their own order), so ties between equal counts may pick different
        // partners; compare the weights each entity keeps, which the cap fixes uniquely up to ties.
        for (int i = 0; i < whole.EntityCount; i++)
        {
            int mi = merged.Entities.IndexOf(whole.Entities[i]);
            var expected = whole.WeightsOf(i).ToArray().OrderDescending().Take(12).ToArray();
            var actual = merged.WeightsOf(mi).ToArray().OrderDescending().Take(12).ToArray();
            Assert.Equal(expected, actual);
        }
        AssertWellFormedSymmetric(merged);
    }

    [Fact]
    public void Merge_of_one_matrix_with_itself_doubles_it_and_is_thread_independent()
    {
        var set = Random(entityCount: 300, collectionCount: 1000, maxSize: 30, seed: 9, attributes: false);
        var m = CooccurrenceBuilder.Build(set);
        var one = CooccurrenceMerger.Merge(new[] { m, m }, new CooccurrenceOptions { MaxDegreeOfParallelism = 1 });
        var many = CooccurrenceMerger.Merge(new[] { m, m }, new CooccurrenceOptions { MaxDegreeOfParallelism = 5 });
        Assert.Equal(m.ColumnIndices, one.ColumnIndices);
        Assert.Equal(m.Weights.Select(w => w * 2), one.Weights);
        Assert.Equal(m.Popularity.Select(p => p * 2), one.Popularity);
        Assert.Equal(one.Weights, many.Weights);
        Assert.Same(m.Entities, one.Entities);
    }

    [Fact]
    public void Artifact_round_trip_keeps_every_value()
    {
        using var dir = new TempDirectory();
        var set = Random(entityCount: 120, collectionCount: 400, maxSize: 15, seed: 6);
        var m = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { CollectionWeighting = CollectionWeighting.InverseSize, PairWeight = PairWeight.WeightMin });
        var path = dir.File("c.parquet");
        CooccurrenceArtifact.Write(m, path);
        var back = EdgeListImporter.Read(path);
        Assert.True(back.Entities.SequenceEqual(m.Entities));
        Assert.Equal(m.Popularity, back.Popularity);
        Assert.Equal(m.RowOffsets, back.RowOffsets);
        Assert.Equal(m.ColumnIndices, back.ColumnIndices);
        Assert.Equal(m.Weights, back.Weights);
        Assert.Equal("InverseSize", back.Provenance.Parameters["CollectionWeighting"]);
    }

    [Fact]
    public void A_cancelled_write_leaves_no_file()
    {
        using var dir = new TempDirectory();
        var m = CooccurrenceBuilder.Build(Random(entityCount: 50, collectionCount: 100, maxSize: 10, seed: 1, attributes: false));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var path = dir.File("c.parquet");
        Assert.ThrowsAny<OperationCanceledException>(() => CooccurrenceArtifact.Write(m, path, cts.Token));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    private static void DuckDb(string sql)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void The_documented_SQL_in_DuckDB_gives_the_same_matrix_as_the_builder()
    {
        // The independent computation: the self-join of the documentation, run by DuckDB on the collections artifact,
        // written as a folder of part files the way Spark does.
        using var dir = new TempDirectory();
        var set = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny).Collections;
        var collections = dir.File("collections.parquet");
        CollectionsArtifact.Write(set, collections);
        var edges = dir.File("edges");
        Directory.CreateDirectory(edges);
        DuckDb($@"
            CREATE TABLE items AS SELECT collection, entity, count(*) OVER (PARTITION BY collection) AS size FROM '{collections}';
            COPY (
              SELECT a.entity AS entity_a, b.entity AS entity_b, sum(1.0 / ln(1 + a.size)) AS weight
              FROM items a JOIN items b ON a.collection = b.collection AND a.entity < b.entity
              GROUP BY ALL
              UNION ALL
              SELECT entity, entity, count(*) FROM items GROUP BY entity
            ) TO '{edges}/part-00000.parquet' (FORMAT parquet);
            COPY (SELECT 1) TO '{edges}/_SUCCESS' (FORMAT csv);");
        var log = new RecordingStageLog();
        var imported = EdgeListImporter.Read(edges, log: log);
        Assert.Empty(log.Warnings); // each pair once, diagonal present
        var built = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { CollectionWeighting = CollectionWeighting.InverseLogSize });
        AssertSameById(built, imported, 1e-5);
        AssertWellFormedSymmetric(imported);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(30)]
    public void The_documented_top_K_SQL_in_DuckDB_keeps_the_same_pairs_as_MaxPartners(int k)
    {
        // docs/scale.md's edge list for a million entities: each entity's k strongest partners (ties to the smaller id,
        // which is the smaller canonical index for integer ids), union of both sides, plus the diagonal.
        using var dir = new TempDirectory();
        var set = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny).Collections;
        var collections = dir.File("collections.parquet");
        CollectionsArtifact.Write(set, collections);
        var edges = dir.File("edges.parquet");
        DuckDb($@"
            COPY (
              WITH items AS (SELECT DISTINCT collection, entity FROM read_parquet('{collections}')),
              pairs AS (
                SELECT a.entity AS entity_a, b.entity AS entity_b, count(*) AS weight
                FROM items a JOIN items b ON a.collection = b.collection AND a.entity < b.entity
                GROUP BY ALL),
              sides AS (SELECT entity_a AS e, entity_b AS p, weight FROM pairs UNION ALL SELECT entity_b, entity_a, weight FROM pairs),
              strongest AS (SELECT e, p, weight FROM sides QUALIFY row_number() OVER (PARTITION BY e ORDER BY weight DESC, p) <= {k})
              SELECT DISTINCT least(e, p) AS entity_a, greatest(e, p) AS entity_b, weight FROM strongest
              UNION ALL
              SELECT entity, entity, count(*) FROM items GROUP BY entity
            ) TO '{edges}' (FORMAT parquet);");
        var log = new RecordingStageLog();
        var imported = EdgeListImporter.Read(edges, log: log);
        Assert.Empty(log.Warnings);
        var built = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { MaxPartners = k });
        Assert.Equal(k, Convert.ToInt32(built.Provenance.Parameters["AppliedMaxPartners"]));
        AssertSameById(built, imported, 0);
        AssertWellFormedSymmetric(imported);
    }

    [Fact]
    public void A_CSV_edge_list_with_text_ids_imports_and_sums_repeated_pairs()
    {
        using var dir = new TempDirectory();
        var path = dir.File("edges.csv");
        File.WriteAllText(path, "entity_a,entity_b,weight\nrock,jazz,2\njazz,rock,1.5\nrock,pop,1\nrock,rock,7\n\"jazz, modal\",pop,0.5\n");
        var log = new RecordingStageLog();
        var m = EdgeListImporter.Read(path, log: log);
        Assert.Contains(log.Warnings, w => w.Contains("1 of 3 pairs were listed more than once"));
        Assert.False(m.Entities.IsInteger);
        int rock = m.Entities.IndexOf("rock"), jazz = m.Entities.IndexOf("jazz"), pop = m.Entities.IndexOf("pop"), modal = m.Entities.IndexOf("jazz, modal");
        Assert.Equal(3.5f, m.WeightOf(rock, jazz));
        Assert.Equal(3.5f, m.WeightOf(jazz, rock));
        Assert.Equal(1f, m.WeightOf(pop, rock));
        Assert.Equal(0.5f, m.WeightOf(pop, modal));
        Assert.Equal(7, m.Popularity[rock]);
        AssertWellFormedSymmetric(m);
    }

    [Fact]
    public void Bad_edge_lists_give_errors_that_name_file_line_column_and_value()
    {
        using var dir = new TempDirectory();
        var bad = dir.File("bad.csv");
        File.WriteAllText(bad, "entity_a,entity_b,weight\n1,2,3\n1,3,lots\n");
        var ex = Assert.Throws<EmbedPSException>(() => EdgeListImporter.Read(bad));
        Assert.Equal("InvalidWeight", ex.ErrorId);
        Assert.Contains(bad, ex.Message);
        Assert.Contains("line 3", ex.Message);
        Assert.Contains("'lots'", ex.Message);
        Assert.Equal(3, ex.Row);

        var missing = dir.File("missing.csv");
        File.WriteAllText(missing, "a,b,w\n1,2,3\n");
        var ex2 = Assert.Throws<EmbedPSException>(() => EdgeListImporter.Read(missing));
        Assert.Equal("EdgeListColumnMissing", ex2.ErrorId);
        Assert.Contains("entity_a", ex2.Message);
        // Other column names work when given.
        Assert.Equal(3f, EdgeListImporter.Read(missing, new EdgeListColumns("a", "b", "w")).WeightOf(0, 1));

        var parquet = dir.File("nan.parquet");
        DuckDb($"COPY (SELECT * FROM (VALUES (1, 2, 'nan'::DOUBLE)) t(entity_a, entity_b, weight)) TO '{parquet}' (FORMAT parquet)");
        var ex3 = Assert.Throws<EmbedPSException>(() => EdgeListImporter.Read(parquet));
        Assert.Equal("InvalidWeight", ex3.ErrorId);
        Assert.Contains("row 1", ex3.Message);

        Assert.Equal("EdgeListNotFound", Assert.Throws<EmbedPSException>(() => EdgeListImporter.Read(dir.File("nope.parquet"))).ErrorId);
        var collections = dir.File("collections.parquet");
        CollectionsArtifact.Write(Set(2, new[] { new[] { 0, 1 } }), collections);
        Assert.Equal("WrongArtifactKind", Assert.Throws<EmbedPSException>(() => EdgeListImporter.Read(collections)).ErrorId);
    }
}
