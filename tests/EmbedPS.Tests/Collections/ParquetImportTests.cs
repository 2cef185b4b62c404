using DuckDB.NET.Data;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Collections;

/// <summary>Parquet import: single files and Hive-partitioned folders written by DuckDB (an independent writer).</summary>
[Trait("Category", "Unit")]
public class ParquetImportTests
{
    internal static void DuckDb(string sql)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(string sql)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private const string Rows = """
        SELECT * FROM (VALUES
          (10::BIGINT, 'a', 1.5::DOUBLE, TIMESTAMP '2024-05-01 12:00:00', 'x'),
          (10, 'b', 2.0, TIMESTAMP '2024-05-01 13:00:00', 'x'),
          (11, 'a', 1.0, TIMESTAMP '2024-05-02 00:00:00', 'y'),
          (12, 'c', 4.0, TIMESTAMP '2024-05-03 00:00:00', 'y'),
          (12, 'a', 0.5, TIMESTAMP '2024-05-03 00:00:00', 'y'),
          (10, 'a', 1.0, TIMESTAMP '2024-05-04 00:00:00', 'y')
        ) t(user_id, item, rating, seen, shard)
        """;

    [Fact]
    public void Single_file_keeps_id_types_weights_and_timestamps()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ratings.parquet");
        DuckDb($"COPY ({Rows}) TO '{path}' (FORMAT PARQUET)");
        var importer = new CollectionImporter(new CollectionImportOptions
        {
            CollectionColumn = "user_id", EntityColumn = "item", WeightColumn = "rating", TimestampColumn = "seen",
        });
        importer.ReadPath(path, StageLog.Null, CancellationToken.None);
        var set = importer.Build();
        Assert.True(set.Collections.IsInteger);
        Assert.False(set.Entities.IsInteger);
        Assert.Equal(new[] { "10|a|2.5", "10|b|2", "11|a|1", "12|a|0.5", "12|c|4" }, CsvImportTests.Pairs(set));
        Assert.Equal(1, set.DuplicatePairsMerged);
        int u10 = set.Collections.IndexOf(10L), a = set.Entities.IndexOf("a");
        int slot = set.CollectionOffsets[u10] + set.MembersOf(u10).IndexOf(a);
        Assert.Equal(1_714_564_800, set.Timestamps![slot]); // the earlier of the two merged rows
        Assert.Equal(3, set.Popularity[a]);
        Assert.Single(set.Provenance.Inputs);
        Assert.Equal(new FileInfo(path).Length, set.Provenance.Inputs[0].Size);
    }

    [Fact]
    public void Hive_partitioned_folder_reads_every_file_and_partition_columns()
    {
        using var dir = new TempDirectory();
        var folder = dir.File("dataset");
        DuckDb($"COPY ({Rows}) TO '{folder}' (FORMAT PARQUET, PARTITION_BY (shard))");
        Assert.True(Directory.Exists(Path.Combine(folder, "shard=x")));
        File.WriteAllText(Path.Combine(folder, "_SUCCESS"), ""); // as Spark writes it; must be ignored

        // The partition key as the collection: shard x = {a, b}, shard y = {a, c}.
        var byShard = new CollectionImporter(new CollectionImportOptions { CollectionColumn = "shard", EntityColumn = "item" });
        byShard.ReadPath(folder, StageLog.Null, CancellationToken.None);
        var set = byShard.Build();
        Assert.Equal(new[] { "x|a", "x|b", "y|a", "y|c" }, CsvImportTests.Pairs(set));
        Assert.Equal(6, byShard.RowCount);
        Assert.Equal(2, set.Provenance.Inputs.Count);

        // Ordinary columns across the partition files give the same pairs as the single file.
        var byUser = new CollectionImporter(new CollectionImportOptions { CollectionColumn = "user_id", EntityColumn = "item", WeightColumn = "rating" });
        byUser.ReadPath(folder, StageLog.Null, CancellationToken.None);
        Assert.Equal(new[] { "10|a|2.5", "10|b|2", "11|a|1", "12|a|0.5", "12|c|4" }, CsvImportTests.Pairs(byUser.Build()));
    }

    [Fact]
    public void Nested_partitions_give_integer_ids_from_folder_names()
    {
        using var dir = new TempDirectory();
        var folder = dir.File("nested");
        DuckDb($"COPY ({Rows}) TO '{folder}' (FORMAT PARQUET, PARTITION_BY (shard, user_id))");
        Assert.True(Directory.Exists(Path.Combine(folder, "shard=y", "user_id=12")));
        var importer = new CollectionImporter(new CollectionImportOptions { CollectionColumn = "user_id", EntityColumn = "item", WeightColumn = "rating" });
        importer.ReadPath(folder, StageLog.Null, CancellationToken.None);
        var set = importer.Build();
        Assert.True(set.Collections.IsInteger); // partition values are text, but canonical integers become int64
        Assert.Equal(new[] { "10|a|2.5", "10|b|2", "11|a|1", "12|a|0.5", "12|c|4" }, CsvImportTests.Pairs(set));
    }

    [Fact]
    public void Missing_column_lists_file_and_partition_columns()
    {
        using var dir = new TempDirectory();
        var folder = dir.File("dataset");
        DuckDb($"COPY ({Rows}) TO '{folder}' (FORMAT PARQUET, PARTITION_BY (shard))");
        var importer = new CollectionImporter(new CollectionImportOptions { CollectionColumn = "user", EntityColumn = "item" });
        var ex = Assert.Throws<EmbedPSException>(() => importer.ReadPath(folder, StageLog.Null, CancellationToken.None));
        Assert.Equal("ColumnNotFound", ex.ErrorId);
        Assert.Contains("'user'", ex.Message);
        Assert.Contains("'user_id', 'item', 'rating', 'seen', 'shard' (partition)", ex.Message);
        Assert.Contains(".parquet", ex.Message);
    }

    [Fact]
    public void Null_id_and_null_weight_name_file_row_and_column()
    {
        using var dir = new TempDirectory();
        var nullId = dir.File("null-id.parquet");
        DuckDb($"COPY (SELECT * FROM (VALUES ('u1', 'a'), ('u1', NULL)) t(collection, entity)) TO '{nullId}' (FORMAT PARQUET)");
        var ex = Assert.Throws<EmbedPSException>(() => new CollectionImporter(new CollectionImportOptions()).ReadPath(nullId, StageLog.Null, CancellationToken.None));
        Assert.Equal("EmptyId", ex.ErrorId);
        Assert.Equal(2, ex.Row);
        Assert.Contains($"'{nullId}', row 2, column 'entity'", ex.Message);

        var nullWeight = dir.File("null-weight.parquet");
        DuckDb($"COPY (SELECT * FROM (VALUES ('u1', 'a', 1.0), ('u1', 'b', NULL), ('u2', 'b', 2.0)) t(collection, entity, w)) TO '{nullWeight}' (FORMAT PARQUET)");
        var ex2 = Assert.Throws<EmbedPSException>(() => new CollectionImporter(new CollectionImportOptions { WeightColumn = "w" }).ReadPath(nullWeight, StageLog.Null, CancellationToken.None));
        Assert.Equal("InvalidWeight", ex2.ErrorId);
        Assert.Contains("row 2, column 'w'", ex2.Message);
    }

    [Fact]
    public void A_file_that_is_not_parquet_gets_a_clear_error()
    {
        using var dir = new TempDirectory();
        var path = dir.File("broken.parquet");
        File.WriteAllText(path, "collection,entity\nu1,a\n");
        var ex = Assert.Throws<EmbedPSException>(() => new CollectionImporter(new CollectionImportOptions()).ReadPath(path, StageLog.Null, CancellationToken.None));
        Assert.Equal("ArtifactUnreadable", ex.ErrorId);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Empty_folder_gets_a_clear_error()
    {
        using var dir = new TempDirectory();
        var folder = Directory.CreateDirectory(dir.File("nothing")).FullName;
        var ex = Assert.Throws<EmbedPSException>(() => new CollectionImporter(new CollectionImportOptions()).ReadPath(folder, StageLog.Null, CancellationToken.None));
        Assert.Equal("NoParquetFiles", ex.ErrorId);
        Assert.Contains(folder, ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_EmbedPS_artifact_reimports_with_the_default_column_names(bool stringIds)
    {
        using var dir = new TempDirectory();
        var set = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny).Collections;
        if (stringIds)
        {
            var builder = new EntityCollectionBuilder(hasWeights: set.Weights is not null);
            builder.KeepEntityIdsAsText();
            for (int c = 0; c < set.CollectionCount; c++)
            {
                var members = set.MembersOf(c);
                for (int k = 0; k < members.Length; k++)
                    builder.Add("list " + set.Collections.GetText(c), set.Entities.GetText(members[k]), set.Weights?[set.CollectionOffsets[c] + k] ?? 1f);
            }
            set = builder.Build();
        }
        Assert.True(set.PairCount > 30_000, $"{set.PairCount} pairs: the file must span several Parquet pages");
        var path = dir.File("tiny.parquet");
        CollectionsArtifact.Write(set, path);
        var importer = new CollectionImporter(new CollectionImportOptions { WeightColumn = set.Weights is null ? null : "weight" });
        importer.ReadPath(path, StageLog.Null, CancellationToken.None);
        var back = importer.Build();
        Assert.Equal(!stringIds, back.Entities.IsInteger);
        Assert.Equal(CsvImportTests.Pairs(set), CsvImportTests.Pairs(back));
    }
}
