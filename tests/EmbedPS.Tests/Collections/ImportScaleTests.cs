using System.Text;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Collections;

/// <summary>A real-size CSV (250,000 rows) imports with exactly the counts that independent readers find.</summary>
[Trait("Category", "Slow")]
public class ImportScaleTests
{
    /// <summary>
    /// Writes a long-format CSV: Zipf-like entity popularity, some duplicate rows, a few quoted ids with commas,
    /// string collection ids; rows of a collection mostly together but not always (as in real exports).
    /// </summary>
    internal static string WriteRealisticCsv(string path, int rows, int seed)
    {
        var random = new DeterministicRandom(seed);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        writer.Write("user_id,item,rating\n");
        int user = 0;
        for (int i = 0; i < rows; i++)
        {
            if (random.NextDouble() < 0.04) user++;                        // about 25 rows per collection
            int who = random.NextDouble() < 0.05 ? random.NextInt(user + 1) : user;
            int item = (int)Math.Floor(Math.Pow(30_000, random.NextDouble())); // Zipf-like: low ids are popular
            var id = item % 97 == 0 ? $"\"item {item}, special\"" : "item" + item;
            writer.Write($"u{who},{id},{1 + random.NextInt(10)}\n");
        }
        return path;
    }

    [Fact]
    public void Counts_of_a_250k_row_csv_match_LINQ_and_DuckDB()
    {
        using var dir = new TempDirectory();
        var path = WriteRealisticCsv(dir.File("ratings.csv"), 250_000, seed: 11);
        var importer = new CollectionImporter(new CollectionImportOptions { CollectionColumn = "user_id", EntityColumn = "item", WeightColumn = "rating" });
        importer.ReadPath(path, StageLog.Null, CancellationToken.None);
        var set = importer.Build();

        // Independent count 1: DuckDB's own CSV reader.
        long duckPairs = Convert.ToInt64(ParquetImportTests.Scalar($"SELECT count(*) FROM (SELECT DISTINCT user_id, item FROM read_csv('{path}', header = true, all_varchar = true))"));
        long duckCollections = Convert.ToInt64(ParquetImportTests.Scalar($"SELECT count(DISTINCT user_id) FROM read_csv('{path}', header = true, all_varchar = true)"));
        long duckEntities = Convert.ToInt64(ParquetImportTests.Scalar($"SELECT count(DISTINCT item) FROM read_csv('{path}', header = true, all_varchar = true)"));
        double duckWeight = Convert.ToDouble(ParquetImportTests.Scalar($"SELECT sum(rating::DOUBLE) FROM read_csv('{path}', header = true, all_varchar = true)"));
        Assert.Equal(duckPairs, set.PairCount);
        Assert.Equal(duckCollections, set.CollectionCount);
        Assert.Equal(duckEntities, set.EntityCount);
        Assert.Equal(250_000 - duckPairs, set.DuplicatePairsMerged);
        Assert.Equal(duckWeight, set.Weights!.Sum(w => (double)w), 6);

        // Independent count 2: a LINQ grouping over naive line splitting (the quoted ids are the only ones with commas).
        var rows = File.ReadLines(path).Skip(1).Select(line =>
        {
            int first = line.IndexOf(','), last = line.LastIndexOf(',');
            return (User: line[..first], Item: line[(first + 1)..last].Trim('"'));
        }).ToList();
        var byUser = rows.GroupBy(r => r.User).ToDictionary(g => g.Key, g => g.Select(r => r.Item).ToHashSet());
        Assert.Equal(byUser.Count, set.CollectionCount);
        Assert.Equal(byUser.Values.Sum(s => s.Count), set.PairCount);
        var popularity = byUser.Values.SelectMany(s => s).GroupBy(e => e).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(popularity.Count, set.EntityCount);
        for (int e = 0; e < set.EntityCount; e++) Assert.Equal(popularity[set.Entities.GetText(e)], set.Popularity[e]);
        for (int c = 0; c < set.CollectionCount; c += 97)
        {
            var expected = byUser[set.Collections.GetText(c)];
            var actual = set.MembersOf(c).ToArray().Select(e => set.Entities.GetText(e)).ToHashSet();
            Assert.True(expected.SetEquals(actual), $"collection {set.Collections.GetText(c)} differs");
        }

        // The artifact reads in DuckDB with the footer metadata and the same pair count.
        var artifact = dir.File("ratings.parquet");
        CollectionsArtifact.Write(set, artifact);
        Assert.Equal(set.PairCount, Convert.ToInt64(ParquetImportTests.Scalar($"SELECT count(*) FROM read_parquet('{artifact}')")));
        Assert.Equal("collections", ParquetImportTests.Scalar($"SELECT decode(value) FROM parquet_kv_metadata('{artifact}') WHERE decode(key) = 'embedps.kind'"));
        var inputs = (string)ParquetImportTests.Scalar($"SELECT decode(value) FROM parquet_kv_metadata('{artifact}') WHERE decode(key) = 'embedps.inputs'")!;
        Assert.Contains(FileHash.Sha256(path), inputs);
        var parameters = (string)ParquetImportTests.Scalar($"SELECT decode(value) FROM parquet_kv_metadata('{artifact}') WHERE decode(key) = 'embedps.parameters'")!;
        Assert.Contains("\"WeightProperty\":\"rating\"", parameters);
    }

    [Fact]
    public void The_same_rows_as_DuckDB_written_Parquet_give_the_same_set()
    {
        using var dir = new TempDirectory();
        var csv = WriteRealisticCsv(dir.File("ratings.csv"), 250_000, seed: 12);
        var parquet = dir.File("ratings.parquet");
        // DuckDB writes nullable columns in row groups of 122,880 rows: several row groups and pages.
        ParquetImportTests.DuckDb($"COPY (SELECT user_id, item, rating::INTEGER AS rating FROM read_csv('{csv}', header = true, all_varchar = true)) TO '{parquet}' (FORMAT PARQUET)");
        var options = new CollectionImportOptions { CollectionColumn = "user_id", EntityColumn = "item", WeightColumn = "rating" };
        var fromCsv = new CollectionImporter(options);
        fromCsv.ReadPath(csv, StageLog.Null, CancellationToken.None);
        var fromParquet = new CollectionImporter(options);
        fromParquet.ReadPath(parquet, StageLog.Null, CancellationToken.None);
        Assert.Equal(250_000, fromParquet.RowCount);
        Assert.Equal(CsvImportTests.Pairs(fromCsv.Build()), CsvImportTests.Pairs(fromParquet.Build()));
    }
}
