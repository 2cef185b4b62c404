using DuckDB.NET.Data;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Artifacts;

/// <summary>An independent reader (DuckDB) proves that the artifacts are plain Parquet with the footer we promise.</summary>
[Trait("Category", "Integration")]
public class DuckDbInteropTests
{
    private static List<object?[]> Query(string sql)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    private static Dictionary<string, string> Footer(string path) =>
        Query($"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{path}')").ToDictionary(r => (string)r[0]!, r => (string)r[1]!);

    public static IEnumerable<object[]> AllKinds()
    {
        var ids = EntityIds.FromIntegers(new long[] { 11, 22, 33 });
        yield return new object[] { "collections", (Func<object>)(() => SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny).Collections) };
        yield return new object[] { "cooccurrence", (Func<object>)(() => new CooccurrenceMatrix(ids, new[] { 1, 2, 3 }, new long[] { 0, 1, 2, 2 }, new[] { 1, 0 }, new[] { 4f, 4f })) };
        yield return new object[] { "neighbor-graph", (Func<object>)(() => new NeighborGraph(ids, new[] { 1, 2, 3 }, new[] { 0 }, new[] { 2 }, new[] { 2f }, new[] { 1f })) };
        yield return new object[] { "embedding", (Func<object>)(() => new Embedding(ids, new[] { 1, 2, 3 }, 2, new float[] { 1, 2, 3, 4, 5, 6 })) };
        yield return new object[] { "projection", (Func<object>)(() => new Projection(ids, new[] { 1, 2, 3 }, new float[] { 1, 2, 3 }, new float[] { 4, 5, 6 }, "Pca")) };
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void DuckDB_reads_every_artifact_kind_and_its_footer(string kind, Func<object> make)
    {
        using var dir = new TempDirectory();
        var stageObject = make();
        var path = dir.File(kind + ".parquet");
        ArtifactStore.Write(stageObject, path);
        var footer = Footer(path);
        Assert.Equal(kind, footer["embedps.kind"]);
        Assert.Equal("1", footer["embedps.schema"]);
        Assert.False(string.IsNullOrEmpty(footer["embedps.version"]));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", footer["embedps.created"]);
        Assert.StartsWith("{", footer["embedps.parameters"]);
        Assert.StartsWith("[", footer["embedps.inputs"]);
        var count = Convert.ToInt64(Query($"SELECT count(*) FROM '{path}'")[0][0]);
        Assert.True(count > 0);
    }

    [Fact]
    public void DuckDB_sees_the_same_values_as_EmbedPS()
    {
        using var dir = new TempDirectory();
        var sample = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny).Collections;
        var path = dir.File("c.parquet");
        CollectionsArtifact.Write(sample, path);
        var stats = Query($"SELECT count(*), count(DISTINCT collection), count(DISTINCT entity), typeof(any_value(entity)) FROM '{path}'")[0];
        Assert.Equal(sample.PairCount, Convert.ToInt64(stats[0]));
        Assert.Equal(sample.CollectionCount, Convert.ToInt64(stats[1]));
        Assert.Equal(sample.EntityCount, Convert.ToInt64(stats[2]));
        Assert.Equal("BIGINT", stats[3]);
        // Popularity per entity agrees for every entity.
        var popularity = Query($"SELECT entity, count(*) FROM '{path}' GROUP BY entity");
        foreach (var row in popularity)
        {
            int index = sample.Entities.IndexOf(Convert.ToInt64(row[0]));
            Assert.Equal(sample.Popularity[index], Convert.ToInt32(row[1]));
        }
    }

    [Fact]
    public void A_DuckDB_written_edge_list_reads_back_as_a_matrix()
    {
        using var dir = new TempDirectory();
        var path = dir.File("edges.parquet");
        Query($"COPY (SELECT * FROM (VALUES ('a','b',2.0::FLOAT),('b','c',1.0::FLOAT),('a','a',5.0::FLOAT)) t(entity_a, entity_b, weight)) TO '{path}' (FORMAT parquet)");
        var (columns, _, rows) = ParquetArtifact.ReadPlain(path);
        Assert.Equal(3, rows);
        var edges = EdgeListReader.Index((Array)columns["entity_a"], (Array)columns["entity_b"], path);
        var matrix = EdgeListReader.BuildSymmetric(edges, (float[])columns["weight"], new Provenance(), path);
        Assert.Equal(2f, matrix.WeightOf(0, 1));
        Assert.Equal(2f, matrix.WeightOf(1, 0));
        Assert.Equal(1f, matrix.WeightOf(2, 1));
        Assert.Equal(0f, matrix.WeightOf(0, 2));
        Assert.Equal(5, matrix.Popularity[0]);
    }
}
