using System.Collections;
using System.Management.Automation;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Pipeline;
using EmbedPS.Core.Preview;
using EmbedPS.Tests.Infrastructure;
using Xunit;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Tests.Hardening;

/// <summary>Issue 20: metadata joins on exact ids, says what did not join, has one reader, and is checked before a pipeline runs.</summary>
[Trait("Category", "Integration")]
public sealed class MetadataJoinTests
{
    private static ProjectionResult Projection(params string[] ids) =>
        new(EntityIds.FromStrings(ids), new int[ids.Length], ids.Select((_, i) => (float)i).ToArray(), ids.Select((_, i) => (float)(i % 3)).ToArray(), "Test");

    [Fact]
    public void Ids_that_differ_only_by_spaces_join_to_their_own_rows()
    {
        using var dir = new TempDirectory();
        var path = dir.File("meta.csv");
        File.WriteAllText(path, "entity,name\n lead,spaced\nlead,plain\n");
        var entities = EntityIds.FromStrings(new[] { "lead", " lead" });
        var log = new RecordingStageLog();
        var attributes = EntityAttributes.ReadCsv(path, "entity", entities, log);
        Assert.Equal(new[] { "plain", "spaced" }, attributes.Column("name"));
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public void Integer_ids_match_their_canonical_text_only()
    {
        var entities = EntityIds.FromIntegers(new long[] { 7, 8 });
        var log = new RecordingStageLog();
        var attributes = EntityAttributes.FromColumns(new[] { "entity", "name" }, new[] { new string?[] { "007", "7", " 8" }, new string?[] { "zeros", "seven", "spaced" } }, "entity", entities, log, "test");
        Assert.Equal(new[] { "seven", null }, attributes.Column("name"));
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("1 of 2 entities have no metadata row ('8'", warning);
        Assert.Contains("2 metadata rows have ids that match no entity ('007', ' 8')", warning);
    }

    [Fact]
    public void A_repeated_id_is_an_error_naming_the_id_and_its_lines_or_with_the_switch_a_warning()
    {
        using var dir = new TempDirectory();
        var path = dir.File("meta.csv");
        File.WriteAllText(path, "entity,name\na,first\nb,bee\na,second\n\"c\",\"multi\nline\"\na,third\n");
        var entities = EntityIds.FromStrings(new[] { "a", "b", "c" });
        var ex = Assert.Throws<EmbedPSException>(() => EntityAttributes.ReadCsv(path, "entity", entities, StageLog.Null));
        Assert.Equal("MetadataDuplicateId", ex.ErrorId);
        Assert.Equal((path, 4L, "a"), (ex.File, ex.Row!.Value, ex.Value));
        Assert.Contains("'a' (lines 2, 4, 7)", ex.Message);
        Assert.Contains("-AllowDuplicateId", ex.Message);

        var log = new RecordingStageLog();
        var attributes = EntityAttributes.ReadCsv(path, "entity", entities, log, default, new MetadataJoinOptions { AllowDuplicateIds = true });
        Assert.Equal(new[] { "first", "bee", "multi\nline" }, attributes.Column("name"));
        Assert.Contains(log.Warnings, w => w.Contains("'a' (lines 2, 4, 7)") && w.Contains("first row"));
    }

    [Fact]
    public void Unmatched_ids_and_entities_without_metadata_are_counted_in_a_warning_naming_the_first_few()
    {
        var ids = Enumerable.Range(0, 20).Select(i => $"e{i}").ToArray();
        var entities = EntityIds.FromStrings(ids);
        var rows = ids.Take(12).Concat(new[] { "x1", "x2", "x3", "x4", "x5", "x6", "x7" }).ToArray();
        var log = new RecordingStageLog();
        EntityAttributes.FromColumns(new[] { "entity", "g" }, new[] { rows, rows.Select(r => "g").ToArray() }, "entity", entities, log, "test");
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("8 of 20 entities have no metadata row ('e12', 'e13', 'e14', 'e15', 'e16' and 3 more", warning);
        Assert.Contains("7 metadata rows have ids that match no entity ('x1', 'x2', 'x3', 'x4', 'x5' and 2 more)", warning);
    }

    [Fact]
    public void Measure_Embedding_reads_the_CSV_every_other_metadata_reader_reads()
    {
        using var dir = new TempDirectory();
        var path = dir.File("meta.csv");
        // A quoted field with a line break (valid CSV) and an 'entity' column that is not the first.
        File.WriteAllText(path, "name,entity,group\n\"two\nlines\",a,g1\nbee,b,g1\ncee,c,g2\ndee,d,g2\n");
        var projection = Projection("a", "b", "c", "d");
        using var ps = PowerShellHost.Create();
        ps.AddCommand("Measure-Embedding").AddParameter("InputObject", projection).AddParameter("K", 1)
          .AddParameter("LabelProperty", "group").AddParameter("Metadata", new[] { new PSObject(path) });
        var report = (EmbedPS.Core.Quality.EmbeddingQualityReport)Assert.Single(ps.Invoke()).BaseObject;
        Assert.Empty(ps.Streams.Error);
        Assert.Equal(4, report.LabelledCount);
    }

    [Fact]
    public void Measure_Embedding_says_how_many_entities_subject_and_reference_share()
    {
        var projection = Projection("a", "b", "c");
        var embedding = new Embedding(EntityIds.FromIntegers(Enumerable.Range(1, 400).Select(i => (long)i).ToArray()), new int[400], 2, new float[800]);
        var ex = Assert.Throws<EmbedPSException>(() => EmbedPS.Core.Quality.EmbeddingQuality.Measure(projection, embedding, 10, null, null));
        Assert.Equal("NoSharedEntities", ex.ErrorId);
        Assert.Contains("share no entities", ex.Message);
        Assert.Contains("3 entities, first 'a'", ex.Message);
        Assert.Contains("400 entities, first '1'", ex.Message);
        Assert.DoesNotContain("-K must be", ex.Message);

        var overlapping = new Embedding(EntityIds.FromStrings(new[] { "a", "b", "c", "z" }), new int[4], 2, new float[8]);
        ex = Assert.Throws<EmbedPSException>(() => EmbedPS.Core.Quality.EmbeddingQuality.Measure(Projection("a", "b", "c", "d", "e", "f"), overlapping, 10, null, null));
        Assert.Equal("TooFewShared", ex.ErrorId);
        Assert.Contains("share 3 entities", ex.Message);
    }

    private static (TempDirectory Dir, Hashtable Table) PipelineWithMetadata()
    {
        var dir = new TempDirectory();
        File.WriteAllText(dir.File("plays.csv"), "collection,entity\n1,2\n");
        File.WriteAllText(dir.File("maps.csv"), "entity,name,group\n2,two,g\n");
        var table = new Hashtable
        {
            ["OutputPath"] = "./out",
            ["Input"] = new Hashtable { ["Path"] = "./plays.csv" },
            ["Metadata"] = new Hashtable { ["Path"] = "./maps.csv" },
        };
        return (dir, table);
    }

    [Fact]
    public void A_pipeline_config_naming_a_missing_metadata_column_fails_validation_naming_the_key()
    {
        var (dir, table) = PipelineWithMetadata();
        using var _ = dir;
        table["Atlas"] = new Hashtable { ["ColorProperty"] = "grup", ["TooltipProperty"] = new[] { "name", "popularity" } };
        table["Quality"] = new Hashtable { ["LabelProperty"] = "group" };
        var ex = Assert.Throws<EmbedPSException>(() => PipelineConfig.FromDictionary(table, dir.File("pipeline.psd1"), dir.Path));
        Assert.Equal("PipelineConfigInvalid", ex.ErrorId);
        Assert.Contains("1 problem;", ex.Message);
        Assert.Contains("Atlas.ColorProperty: 'grup' is not a column of the metadata", ex.Message);
        Assert.Contains("did you mean 'group'?", ex.Message);

        ((Hashtable)table["Atlas"]!)["ColorProperty"] = "group";
        ((Hashtable)table["Metadata"]!)["IdProperty"] = "id";
        ex = Assert.Throws<EmbedPSException>(() => PipelineConfig.FromDictionary(table, dir.File("pipeline.psd1"), dir.Path));
        Assert.Contains("Metadata.IdProperty: 'id' is not a column of", ex.Message);
        Assert.Contains("entity, name, group", ex.Message);
        Assert.DoesNotContain("-IdProperty", ex.Message);

        ((Hashtable)table["Metadata"]!)["IdProperty"] = "entity";
        Assert.Equal("group", PipelineConfig.FromDictionary(table, dir.File("pipeline.psd1"), dir.Path).Atlas.Text("ColorProperty"));
    }

    [Fact]
    public void A_column_setting_without_a_Metadata_section_fails_validation()
    {
        var (dir, table) = PipelineWithMetadata();
        using var _ = dir;
        table.Remove("Metadata");
        table["Preview"] = new Hashtable { ["ColorProperty"] = "group" };
        table["Atlas"] = new Hashtable { ["SizeProperty"] = "popularity" };
        var ex = Assert.Throws<EmbedPSException>(() => PipelineConfig.FromDictionary(table, dir.File("pipeline.psd1"), dir.Path));
        Assert.Contains("Preview.ColorProperty: 'group' names a metadata column, but there is no Metadata section", ex.Message);
        Assert.DoesNotContain("Atlas.SizeProperty", ex.Message);
    }
}
