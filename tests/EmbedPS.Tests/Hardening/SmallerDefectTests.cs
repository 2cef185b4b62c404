using System.IO.Compression;
using System.Management.Automation;
using System.Text;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Pipeline;
using EmbedPS.Core.Preview;
using EmbedPS.Tests.Collections;
using EmbedPS.Tests.Infrastructure;
using Xunit;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Tests.Hardening;

/// <summary>Issue 20, item 9: the smaller defects of the hostile probe.</summary>
[Trait("Category", "Unit")]
public sealed class SmallerDefectTests
{
    private static readonly CollectionImportOptions UserItem = new() { CollectionColumn = "user", EntityColumn = "item" };

    [Fact]
    public void UTF16_without_a_BOM_is_WrongTextEncoding_as_the_docs_say_even_when_a_byte_is_invalid_UTF8()
    {
        using var dir = new TempDirectory();
        var path = dir.File("utf16.csv");
        // 'é' is 0xE9 0x00 in UTF-16 LE: invalid UTF-8 before the header check could see the NULs.
        File.WriteAllBytes(path, new UnicodeEncoding(false, false).GetBytes("user,item\nu1,caf\u00e9\nu2,bar\n"));
        var ex = Assert.Throws<EmbedPSException>(() => CsvImportTests.Import(path, UserItem));
        Assert.Equal("WrongTextEncoding", ex.ErrorId);
        Assert.Contains("UTF-16", ex.Message);
        Assert.Contains("-Encoding unicode", ex.Message);
        // Metadata reads the same way.
        Assert.Equal("WrongTextEncoding", Assert.Throws<EmbedPSException>(() => MetadataTable.Read(path)).ErrorId);
    }

    [Fact]
    public void A_gzip_file_named_csv_is_called_compressed_not_invalid_UTF8()
    {
        using var dir = new TempDirectory();
        var path = dir.File("plays.csv");
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            gzip.Write("user,item\nu1,a\nu1,b\n"u8);
        var ex = Assert.Throws<EmbedPSException>(() => CsvImportTests.Import(path, UserItem));
        Assert.Equal("CompressedInput", ex.ErrorId);
        Assert.Contains("gzip-compressed", ex.Message);
        Assert.DoesNotContain("0x8B", ex.Message);
        Assert.Equal("CompressedInput", Assert.Throws<EmbedPSException>(() => MetadataTable.Read(path)).ErrorId);
    }

    [Fact]
    public void A_failed_runs_summary_has_no_period_before_its_semicolon()
    {
        var run = new PipelineRun { Pipeline = "p", RunId = "r", Status = "failed", FailedStage = "mde", Error = "The graph has no edges." };
        Assert.DoesNotContain(".;", run.Summary);
        Assert.Contains("The graph has no edges; no atlas is served yet", run.Summary);
    }

    private static ProjectionResult Projection(int n) =>
        new(EntityIds.FromIntegers(Enumerable.Range(1, n).Select(i => (long)i).ToArray()), Enumerable.Range(1, n).ToArray(),
            Enumerable.Range(0, n).Select(i => (float)i).ToArray(), Enumerable.Range(0, n).Select(i => (float)(i % 7)).ToArray(), "Test");

    [Fact]
    public void The_preview_refuses_a_text_column_the_atlas_refuses_and_colours_one_it_accepts()
    {
        using var dir = new TempDirectory();
        var projection = Projection(300);
        var ids = Enumerable.Range(1, 300).Select(i => i.ToString()).ToArray();
        var attributes = EntityAttributes.FromColumns(new[] { "entity", "title", "group" },
            new[] { ids, ids.Select(i => $"Title {i}").ToArray(), ids.Select(i => $"G{int.Parse(i) % 5}").ToArray() }, "entity", projection.Entities, StageLog.Null, "test");
        var options = new PreviewOptions { ColorProperty = "title", Attributes = attributes };
        var ex = Assert.Throws<EmbedPSException>(() => PreviewRenderer.WritePng(dir.File("a.png"), projection, options, StageLog.Null));
        Assert.Equal("ColorPropertyWrongKind", ex.ErrorId);
        Assert.Contains("300 distinct values in 300 entities", ex.Message);
        var atlas = Assert.Throws<EmbedPSException>(() => EmbedPS.Core.Atlas.AtlasExporter.Write(dir.File("atlas"), new[] { projection }, null, attributes,
            new EmbedPS.Core.Atlas.AtlasOptions { ColorProperty = "title" }, StageLog.Null));
        Assert.Equal("AtlasPropertyWrongKind", atlas.ErrorId);
        Assert.Contains("300 distinct values in 300 entities", atlas.Message);
        // Forced, and a real category, still colour.
        PreviewRenderer.WritePng(dir.File("b.png"), projection, options with { ColorMode = PreviewColorMode.Categorical }, StageLog.Null);
        PreviewRenderer.WritePng(dir.File("c.png"), projection, options with { ColorProperty = "group" }, StageLog.Null);
        Assert.True(File.Exists(dir.File("c.png")));
    }

    [Fact]
    public void The_list_of_colour_properties_names_popularity_once()
    {
        using var dir = new TempDirectory();
        var projection = Projection(30);
        var ids = Enumerable.Range(1, 30).Select(i => i.ToString()).ToArray();
        var attributes = EntityAttributes.FromColumns(new[] { "entity", "popularity" }, new[] { ids, ids }, "entity", projection.Entities, StageLog.Null, "test");
        var ex = Assert.Throws<EmbedPSException>(() => PreviewRenderer.WritePng(dir.File("a.png"), projection, new PreviewOptions { ColorProperty = "grup", Attributes = attributes }, StageLog.Null));
        Assert.Equal("ColorPropertyNotFound", ex.ErrorId);
        Assert.DoesNotContain("popularity, popularity", ex.Message);
    }

    private static string ErrorOf(string script)
    {
        using var ps = PowerShellHost.Create();
        ps.AddScript(script);
        try { ps.Invoke(); }
        catch (RuntimeException ex) { return ex.ErrorRecord.FullyQualifiedErrorId + " | " + ex.Message; }
        var error = Assert.Single(ps.Streams.Error);
        return error.FullyQualifiedErrorId + " | " + (error.ErrorDetails?.Message ?? error.Exception.Message);
    }

    [Fact]
    public void An_output_name_that_promises_another_format_is_refused_before_any_work()
    {
        using var dir = new TempDirectory();
        var message = ErrorOf($"New-SyntheticCollection -Size Tiny -OutFile '{dir.File("c.csv")}'");
        Assert.StartsWith("OutputExtensionMismatch", message);
        Assert.Contains("writes Parquet", message);
        Assert.Contains("'c.parquet'", message);
        Assert.False(File.Exists(dir.File("c.csv")));
        message = ErrorOf($"New-SyntheticCollection -Size Tiny | Export-EmbeddingPreview -Path '{dir.File("x.jpg")}'");
        Assert.StartsWith("OutputExtensionMismatch", message);
        Assert.Contains("writes PNG", message);
        Assert.False(File.Exists(dir.File("x.jpg")));
    }

    [Fact]
    public void A_dynamic_expression_in_a_pipeline_file_names_its_key_and_line_not_the_whole_file()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("plays.csv"), "collection,entity\n1,2\n");
        var path = dir.File("pipeline.psd1");
        File.WriteAllText(path, "@{\n    OutputPath = './out'\n    Input = @{ Path = './plays.csv' }\n    Mde = @{ MaxIterations = 100; Seed = (Get-Random) }\n    Projections = @( @{ Method = 'Umap' }, @{ Method = 'Pca'; Name = \"$env:USER map\" } )\n}\n");
        var message = ErrorOf($"Invoke-EmbeddingPipeline '{path}'");
        Assert.Contains("line 4, key Mde.Seed: '(Get-Random)' is not constant data", message);
        Assert.DoesNotContain("OutputPath", message);
        File.WriteAllText(path, "@{\n    OutputPath = './out'\n    Input = @{ Path = './plays.csv' }\n    Projections = @( @{ Method = 'Umap' }, @{ Method = 'Pca'; Name = \"$env:USER map\" } )\n}\n");
        Assert.Contains("line 4, key Projections[1].Name:", ErrorOf($"Invoke-EmbeddingPipeline '{path}'"));
    }
}
