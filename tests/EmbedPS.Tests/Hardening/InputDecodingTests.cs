using System.Text;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Tests.Collections;
using EmbedPS.Tests.Infrastructure;
using Xunit;

namespace EmbedPS.Tests.Hardening;

/// <summary>Issue 14: strict decoding (no replacement characters), -Encoding, BOM detection, negative weights.</summary>
[Trait("Category", "Unit")]
public sealed class InputDecodingTests
{
    private static readonly byte[] Latin1Cafes = Encoding.Latin1.GetBytes("user,item\nu1,caf\u00e9\nu1,bar\nu2,caf\u00e8\nu2,bar\n");

    [Fact]
    public void An_invalid_UTF8_byte_is_an_error_naming_file_line_and_byte_offset()
    {
        using var dir = new TempDirectory();
        var path = dir.File("latin1.csv");
        File.WriteAllBytes(path, Latin1Cafes);
        var ex = Assert.Throws<EmbedPSException>(() => CsvImportTests.Import(path, new CollectionImportOptions { CollectionColumn = "user", EntityColumn = "item" }));
        Assert.Equal("InvalidTextEncoding", ex.ErrorId);
        Assert.Equal(path, ex.File);
        Assert.Equal(2, ex.Row);
        int offset = Array.IndexOf(Latin1Cafes, (byte)0xE9);
        Assert.Contains($"line 2, byte offset {offset}", ex.Message);
        Assert.Contains("0xE9", ex.Message);
    }

    [Fact]
    public void With_Encoding_latin1_the_two_cafes_stay_two_entities()
    {
        using var dir = new TempDirectory();
        var path = dir.File("latin1.csv");
        File.WriteAllBytes(path, Latin1Cafes);
        var set = CsvImportTests.Import(path, new CollectionImportOptions { CollectionColumn = "user", EntityColumn = "item", Encoding = "latin1" });
        Assert.Equal(3, set.EntityCount);
        var names = Enumerable.Range(0, set.EntityCount).Select(set.Entities.GetText).ToHashSet();
        Assert.Contains("caf\u00e9", names);
        Assert.Contains("caf\u00e8", names);
    }

    [Theory]
    [InlineData("utf-16le-bom")]
    [InlineData("utf-16be-bom")]
    [InlineData("utf-32le-bom")]
    public void A_UTF16_or_UTF32_file_with_a_BOM_reads_like_its_UTF8_twin(string kind)
    {
        using var dir = new TempDirectory();
        var text = "user,item\nu1,caf\u00e9\nu1,\u6771\u4eac\nu2,caf\u00e8\n";
        var utf8 = CsvImportTests.Write(dir, "a.csv", text);
        Encoding encoding = kind switch { "utf-16le-bom" => new UnicodeEncoding(false, true), "utf-16be-bom" => new UnicodeEncoding(true, true), _ => new UTF32Encoding(false, true) };
        var other = dir.File("b.csv");
        File.WriteAllBytes(other, encoding.GetPreamble().Concat(encoding.GetBytes(text)).ToArray());
        var options = new CollectionImportOptions { CollectionColumn = "user", EntityColumn = "item" };
        Assert.Equal(CsvImportTests.Pairs(CsvImportTests.Import(utf8, options)), CsvImportTests.Pairs(CsvImportTests.Import(other, options)));
    }

    [Fact]
    public void A_UTF16_file_without_a_BOM_names_the_encoding_instead_of_a_missing_column()
    {
        using var dir = new TempDirectory();
        var path = dir.File("u16.csv");
        File.WriteAllBytes(path, new UnicodeEncoding(false, false).GetBytes("user,item\nu1,a\nu1,b\n"));
        var options = new CollectionImportOptions { CollectionColumn = "user", EntityColumn = "item" };
        var ex = Assert.Throws<EmbedPSException>(() => CsvImportTests.Import(path, options));
        Assert.Equal("WrongTextEncoding", ex.ErrorId);
        Assert.Contains("UTF-16", ex.Message);
        Assert.Contains("-Encoding unicode", ex.Message);
        var set = CsvImportTests.Import(path, options with { Encoding = "unicode" });
        Assert.Equal(2, set.EntityCount);
        Assert.Equal("u1", set.Collections.GetText(0));
    }

    [Fact]
    public void Edge_list_CSV_decodes_strictly_too()
    {
        using var dir = new TempDirectory();
        var path = dir.File("edges.csv");
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes("entity_a,entity_b,weight\ncaf\u00e9,bar,1\ncaf\u00e8,bar,2\n"));
        var ex = Assert.Throws<EmbedPSException>(() => EdgeListImporter.Read(path));
        Assert.Equal(("InvalidTextEncoding", path, 2L), (ex.ErrorId, ex.File, ex.Row!.Value));
        var matrix = EdgeListImporter.Read(path, new EdgeListColumns { Encoding = "latin1" });
        Assert.Equal(3, matrix.EntityCount);
    }

    [Fact]
    public void Negative_weights_are_rejected_unless_allowed()
    {
        using var dir = new TempDirectory();
        var csv = CsvImportTests.Write(dir, "w.csv", "c,e,w\n1,a,2\n1,b,-3\n");
        var options = new CollectionImportOptions { CollectionColumn = "c", EntityColumn = "e", WeightColumn = "w" };
        var ex = Assert.Throws<EmbedPSException>(() => CsvImportTests.Import(csv, options));
        Assert.Equal(("NegativeWeight", csv, 3L, "w"), (ex.ErrorId, ex.File, ex.Row!.Value, ex.Column));
        var set = CsvImportTests.Import(csv, options with { AllowNegativeWeight = true });
        Assert.Contains(-3f, set.Weights!);

        var edges = CsvImportTests.Write(dir, "edges.csv", "entity_a,entity_b,weight\na,a,2\nb,b,2\na,b,-1\n");
        ex = Assert.Throws<EmbedPSException>(() => EdgeListImporter.Read(edges));
        Assert.Equal(("NegativeWeight", edges, 4L), (ex.ErrorId, ex.File, ex.Row!.Value));
        var matrix = EdgeListImporter.Read(edges, new EdgeListColumns { AllowNegativeWeight = true });
        Assert.Equal(-1f, matrix.WeightOf(0, 1));
    }
}

/// <summary>Metadata files (preview colours, Measure-Embedding labels) decode strictly too, and negative weights that were meant survive the artifact round trip.</summary>
[Trait("Category", "Unit")]
public sealed class MetadataDecodingTests
{
    [Fact]
    public void Metadata_CSV_with_an_invalid_byte_is_an_error_naming_file_and_line()
    {
        using var dir = new TempDirectory();
        var path = dir.File("meta.csv");
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes("entity,genre\n1,caf\u00e9\n2,caf\u00e8\n"));
        var ex = Assert.Throws<EmbedPSException>(() => EmbedPS.Core.Preview.MetadataTable.Read(path));
        Assert.Equal(("InvalidTextEncoding", path, 2L), (ex.ErrorId, ex.File, ex.Row!.Value));
        ex = Assert.Throws<EmbedPSException>(() => EmbedPS.Core.Preview.EntityAttributes.ReadCsv(path, "entity", EntityIds.FromIntegers(new long[] { 1, 2 }), StageLog.Null));
        Assert.Equal(("InvalidTextEncoding", path), (ex.ErrorId, ex.File));
    }

    [Fact]
    public void Negative_weights_allowed_at_import_survive_co_occurrence_and_its_artifact()
    {
        using var dir = new TempDirectory();
        var csv = CsvImportTests.Write(dir, "w.csv", "c,e,w\n1,a,2\n1,b,-3\n2,a,1\n2,b,1\n");
        var set = CsvImportTests.Import(csv, new CollectionImportOptions { CollectionColumn = "c", EntityColumn = "e", WeightColumn = "w", AllowNegativeWeight = true });
        var collections = dir.File("collections.parquet");
        CollectionsArtifact.Write(set, collections);
        Assert.Contains(-3f, CollectionsArtifact.Read(collections).Weights!);

        // An edge list imported with -AllowNegativeWeight, merged, saved and re-imported keeps its negative pair.
        var edges = CsvImportTests.Write(dir, "edges.csv", "entity_a,entity_b,weight\na,a,2\nb,b,2\na,b,-1\n");
        var matrix = EdgeListImporter.Read(edges, new EdgeListColumns { AllowNegativeWeight = true });
        var merged = CooccurrenceMerger.Merge(new[] { matrix, matrix });
        var path = dir.File("cooc.parquet");
        CooccurrenceArtifact.Write(merged, path);
        Assert.Equal(-2f, CooccurrenceArtifact.Read(path).WeightOf(0, 1));
    }
}
