using System.Text;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Tests.Infrastructure;

namespace EmbedPS.Tests.Collections;

/// <summary>CSV/TSV import through <see cref="CollectionImporter"/>: quoting, line ends, encodings, id types, merging.</summary>
[Trait("Category", "Unit")]
public class CsvImportTests
{
    internal static EntityCollectionSet Import(string path, CollectionImportOptions? options = null)
    {
        var importer = new CollectionImporter(options ?? new CollectionImportOptions());
        importer.ReadPath(path, StageLog.Null, CancellationToken.None);
        return importer.Build();
    }

    internal static string Write(TempDirectory dir, string name, string text, bool bom = false)
    {
        var path = dir.File(name);
        File.WriteAllText(path, text, new UTF8Encoding(bom));
        return path;
    }

    /// <summary>The set as sorted "collection|entity|weight" lines, independent of index order.</summary>
    internal static List<string> Pairs(EntityCollectionSet set)
    {
        var result = new List<string>();
        for (int c = 0; c < set.CollectionCount; c++)
        {
            int start = set.CollectionOffsets[c];
            var members = set.MembersOf(c);
            for (int k = 0; k < members.Length; k++)
            {
                var weight = set.Weights is null ? "" : "|" + set.Weights[start + k].ToString(System.Globalization.CultureInfo.InvariantCulture);
                result.Add($"{set.Collections.GetText(c)}|{set.Entities.GetText(members[k])}{weight}");
            }
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    [Fact]
    public void Quoted_fields_keep_delimiters_quotes_and_newlines()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, "quoted.csv",
            "collection,entity,weight\n" +
            "\"u,1\",\"say \"\"hi\"\"\",1\n" +
            "\"u,1\",\"line1\nline2\",2\n" +
            "u2,plain,\"3.5\"\n");
        var set = Import(path, new CollectionImportOptions { WeightColumn = "weight" });
        Assert.Equal(new[] { "u,1|line1\nline2|2", "u,1|say \"hi\"|1", "u2|plain|3.5" }, Pairs(set));
        Assert.False(set.Entities.IsInteger);
    }

    [Fact]
    public void Line_numbers_count_newlines_inside_quoted_fields()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, "lines.csv",
            "collection,entity,weight\n" +
            "u1,\"two\nlines\",1\n" +   // lines 2-3
            "u1,b,oops\n");            // line 4
        var ex = Assert.Throws<EmbedPSException>(() => Import(path, new CollectionImportOptions { WeightColumn = "weight" }));
        Assert.Equal("InvalidWeight", ex.ErrorId);
        Assert.Equal(4, ex.Row);
        Assert.Contains("line 4", ex.Message);
    }

    [Fact]
    public void Crlf_bom_and_blank_lines_are_accepted()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, "crlf.csv", "collection,entity\r\n\r\nu1,a\r\nu1,b\r\n\r\nu2,a\r\n\r\n\r\n", bom: true);
        var set = Import(path);
        Assert.Equal(new[] { "u1|a", "u1|b", "u2|a" }, Pairs(set));
        Assert.Equal(2, set.CollectionCount);
        Assert.Equal(2, set.EntityCount);
        Assert.DoesNotContain(set.Entities.Strings!, s => s.Contains('\r') || s.Contains('\uFEFF'));
    }

    [Fact]
    public void Unicode_and_very_long_ids_survive()
    {
        using var dir = new TempDirectory();
        var longId = string.Concat(Enumerable.Repeat("ab€🎵", 2500)); // 12,500 UTF-16 chars
        Assert.True(longId.Length >= 10_000);
        var path = Write(dir, "unicode.csv",
            "collection,entity\n" +
            "ユーザー1,進撃の巨人\n" +
            $"ユーザー1,\"{longId}\"\n" +
            $"Ωmega,{longId}\n" +
            "Ωmega,naïve café\n");
        var set = Import(path);
        Assert.Equal(2, set.CollectionCount);
        Assert.Equal(3, set.EntityCount);
        Assert.Equal(2, set.Popularity[set.Entities.IndexOf(longId)]);
        Assert.Contains("進撃の巨人", set.Entities.Strings!);
        Assert.Contains("naïve café", set.Entities.Strings!);
        Assert.Equal(new[] { "Ωmega", "ユーザー1" }, set.Collections.Strings!.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Tsv_is_detected_by_extension_and_delimiter_can_be_given()
    {
        using var dir = new TempDirectory();
        var tsv = Write(dir, "data.tsv", "list\titem\nl1\ta,b\nl1\tc\n");
        var set = Import(tsv, new CollectionImportOptions { CollectionColumn = "list", EntityColumn = "item" });
        Assert.Equal(new[] { "l1|a,b", "l1|c" }, Pairs(set));

        var semicolon = Write(dir, "data.txt", "list;item\nl1;a,b\nl2;c\n");
        var set2 = Import(semicolon, new CollectionImportOptions { CollectionColumn = "list", EntityColumn = "item", Delimiter = ';' });
        Assert.Equal(new[] { "l1|a,b", "l2|c" }, Pairs(set2));
    }

    [Fact]
    public void Integer_ids_become_int64_but_leading_zeros_stay_text()
    {
        using var dir = new TempDirectory();
        var ints = Import(Write(dir, "ints.csv", "collection,entity\n10,-5\n10,9000000000\n11,-5\n"));
        Assert.True(ints.Entities.IsInteger);
        Assert.True(ints.Collections.IsInteger);
        Assert.Equal(new long[] { -5, 9_000_000_000 }, ints.Entities.Integers!);
        var zeros = Import(Write(dir, "zeros.csv", "collection,entity\n10,007\n10,8\n"));
        Assert.False(zeros.Entities.IsInteger);
        Assert.Contains("007", zeros.Entities.Strings!);
    }

    [Fact]
    public void Duplicate_pairs_are_merged_and_counted()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, "dups.csv", "collection,entity,weight,rating\nu1,a,1,2\nu1,a,2,4\nu2,a,1,1\nu1,a,0.5,6\nu1,b,1,1\n");
        var set = Import(path, new CollectionImportOptions { WeightColumn = "weight", ValueColumn = "rating" });
        Assert.Equal(2, set.DuplicatePairsMerged);
        Assert.Equal(3, set.PairCount);
        int u1 = set.Collections.IndexOf("u1"), a = set.Entities.IndexOf("a");
        int slot = set.CollectionOffsets[u1] + set.MembersOf(u1).IndexOf(a);
        Assert.Equal(3.5f, set.Weights![slot]);
        Assert.Equal(4.0, set.Values![slot], 12);
    }

    [Fact]
    public void Timestamps_accept_numbers_and_iso_dates()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, "times.csv",
            "collection,entity,at\nu1,a,1700000000\nu1,b,2024-05-01T12:00:00Z\nu1,c,2024-05-01T14:00:00+02:00\nu1,d,2024-05-01\n");
        var set = Import(path, new CollectionImportOptions { TimestampColumn = "at" });
        double At(string entity) => set.Timestamps![set.CollectionOffsets[0] + set.MembersOf(0).IndexOf(set.Entities.IndexOf(entity))];
        Assert.Equal(1_700_000_000, At("a"));
        Assert.Equal(1_714_564_800, At("b"));
        Assert.Equal(1_714_564_800, At("c"));
        Assert.Equal(1_714_521_600, At("d"));
    }

    [Fact]
    public void Column_names_match_ignoring_case_and_quotes()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, "case.csv", "\"User\",\"Item\"\nu1,a\n");
        var set = Import(path, new CollectionImportOptions { CollectionColumn = "user", EntityColumn = "ITEM" });
        Assert.Equal(new[] { "u1|a" }, Pairs(set));
    }

    [Fact]
    public void Several_files_go_into_one_set_and_each_is_recorded()
    {
        using var dir = new TempDirectory();
        var a = Write(dir, "a.csv", "collection,entity\nu1,x\nu2,y\n");
        var b = Write(dir, "b.csv", "collection,entity\nu1,y\nu3,x\n");
        var importer = new CollectionImporter(new CollectionImportOptions());
        importer.ReadPath(a, StageLog.Null, CancellationToken.None);
        importer.ReadPath(b, StageLog.Null, CancellationToken.None);
        var set = importer.Build();
        Assert.Equal(new[] { "u1|x", "u1|y", "u2|y", "u3|x" }, Pairs(set));
        Assert.Equal(2, set.Provenance.Inputs.Count);
        Assert.Equal(new FileInfo(b).Length, set.Provenance.Inputs[1].Size);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(b))), set.Provenance.Inputs[1].Sha256);
        Assert.Equal("collection", set.Provenance.Parameters["CollectionProperty"]);
    }

    [Fact]
    public void A_cancelled_import_stops_with_OperationCanceledException()
    {
        using var dir = new TempDirectory();
        var path = ImportScaleTests.WriteRealisticCsv(dir.File("big.csv"), 150_000, seed: 5);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var importer = new CollectionImporter(new CollectionImportOptions { CollectionColumn = "user_id", EntityColumn = "item" });
        Assert.ThrowsAny<OperationCanceledException>(() => importer.ReadPath(path, StageLog.Null, cancellation.Token));
    }

    [Fact]
    public void Progress_is_reported_while_reading()
    {
        using var dir = new TempDirectory();
        var text = new StringBuilder("collection,entity\n");
        for (int i = 0; i < 200_000; i++) text.Append(i / 10).Append(',').Append(i % 997).Append('\n');
        var path = Write(dir, "progress.csv", text.ToString());
        var log = new RecordingStageLog();
        var importer = new CollectionImporter(new CollectionImportOptions());
        importer.ReadPath(path, log, CancellationToken.None);
        Assert.True(log.ProgressCount >= 3, $"only {log.ProgressCount} progress reports");
        Assert.Contains(log.Verbose, m => m.Contains("200,000 rows"));
    }
}

/// <summary>CollectionCsvWriter → CollectionImporter gives back every pair, weight, value and timestamp.</summary>
[Trait("Category", "Unit")]
public class CsvRoundTripTests
{
    [Fact]
    public void Awkward_ids_and_every_value_round_trip()
    {
        using var dir = new TempDirectory();
        var builder = new EntityCollectionBuilder(hasWeights: true, hasValues: true, hasTimestamps: true);
        string[] collections = { "plain", "with,comma", "with \"quotes\"", "multi\nline", " padded ", "ユーザー" };
        string[] entities = { "a", "b,c", "\"q\"", "x\r\ny", new string('z', 10_000), "🎵", "007" };
        int n = 0;
        foreach (var c in collections)
            foreach (var e in entities)
                if ((++n % 3) != 0) builder.Add(c, e, weight: n * 0.1f, value: n / 7.0, timestamp: 1.7e9 + n);
        var set = builder.Build();
        var path = dir.File("roundtrip.csv");
        CollectionCsvWriter.Write(set, path);
        var back = CsvImportTests.Import(path, new CollectionImportOptions { WeightColumn = "weight", ValueColumn = "value", TimestampColumn = "timestamp" });

        Assert.Equal(set.PairCount, back.PairCount);
        var expected = Rows(set);
        var actual = Rows(back);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (key, row) in expected) Assert.Equal(row, actual[key]);
    }

    [Fact]
    public void The_file_is_the_text_of_every_row_with_round_trip_numbers_in_UTF8()
    {
        using var dir = new TempDirectory();
        var builder = new EntityCollectionBuilder(hasWeights: true, hasValues: true, hasTimestamps: true);
        string[] collections = { "plain", "with,comma", "with \"quotes\"", " padded ", "ユーザー" };
        string[] entities = { "a", "x\r\ny", new string('z', 100_000), "🎵", "007" }; // one field longer than the write buffer
        int n = 0;
        foreach (var c in collections)
            foreach (var e in entities)
                builder.Add(c, e, weight: ++n * 0.1f, value: n / 7.0, timestamp: n == 3 ? double.MaxValue : -1.7e9 / n);
        var set = builder.Build();
        var path = dir.File("exact.csv");
        CollectionCsvWriter.Write(set, path);

        static string Field(string text) =>
            text.IndexOfAny(new[] { ',', '"', '\r', '\n' }) < 0 && !char.IsWhiteSpace(text[0]) && !char.IsWhiteSpace(text[^1]) ? text : "\"" + text.Replace("\"", "\"\"") + "\"";
        var expected = new System.Text.StringBuilder("collection,entity,weight,value,timestamp\n");
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        for (int c = 0; c < set.CollectionCount; c++)
        {
            int start = set.CollectionOffsets[c];
            var members = set.MembersOf(c);
            for (int k = 0; k < members.Length; k++)
                expected.Append(Field(set.Collections.GetText(c))).Append(',').Append(Field(set.Entities.GetText(members[k]))).Append(',')
                    .Append(set.Weights![start + k].ToString("R", invariant)).Append(',').Append(set.Values![start + k].ToString("R", invariant)).Append(',')
                    .Append(set.Timestamps![start + k].ToString("R", invariant)).Append('\n');
        }
        Assert.Equal(new System.Text.UTF8Encoding(false).GetBytes(expected.ToString()), File.ReadAllBytes(path));
    }

    [Fact]
    public void Synthetic_sample_round_trips_with_integer_ids()
    {
        using var dir = new TempDirectory();
        var set = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny).Collections;
        var path = dir.File("tiny.csv");
        CollectionCsvWriter.Write(set, path);
        var back = CsvImportTests.Import(path);
        Assert.True(back.Entities.IsInteger);
        Assert.Equal(set.EntityCount, back.EntityCount);
        Assert.Equal(CsvImportTests.Pairs(new EntityCollectionSet(set.Entities, set.Collections, set.CollectionOffsets, set.Members)), CsvImportTests.Pairs(back));
    }

    private static Dictionary<(string, string), (float, double, double)> Rows(EntityCollectionSet set)
    {
        var rows = new Dictionary<(string, string), (float, double, double)>();
        for (int c = 0; c < set.CollectionCount; c++)
        {
            int start = set.CollectionOffsets[c];
            var members = set.MembersOf(c);
            for (int k = 0; k < members.Length; k++)
                rows.Add((set.Collections.GetText(c), set.Entities.GetText(members[k])), (set.Weights![start + k], set.Values![start + k], set.Timestamps![start + k]));
        }
        return rows;
    }
}
