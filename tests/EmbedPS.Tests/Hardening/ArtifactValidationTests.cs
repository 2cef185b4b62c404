using System.Management.Automation;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Projection;
using EmbedPS.Tests.Infrastructure;
using Parquet;
using Parquet.Schema;
using Xunit;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Tests.Hardening;

/// <summary>Issue 14: artifacts are verified on import (footer, content, columns), and Test-EmbedArtifact reports the same checks.</summary>
[Trait("Category", "Unit")]
public sealed class ArtifactValidationTests
{
    private static ProjectionResult SampleProjection(int n = 1200)
    {
        var rng = new Random(7);
        var x = new float[n]; var y = new float[n]; var pop = new int[n];
        for (int i = 0; i < n; i++) { x[i] = (float)rng.NextDouble(); y[i] = (float)rng.NextDouble(); pop[i] = rng.Next(1, 100); }
        return new ProjectionResult(EntityIds.FromIntegers(Enumerable.Range(1, n).Select(i => (long)i).ToArray()), pop, x, y, "Umap");
    }

    /// <summary>
    /// Writes a Parquet file with exactly these columns and footer keys (no EmbedPS writer in between). An artifact footer
    /// (one with embedps.kind) is sealed with the content hash of what was written unless <paramref name="seal"/> is false,
    /// so that the checks behind the hash can be reached.
    /// </summary>
    internal static void WriteRaw(string path, IReadOnlyDictionary<string, string> footer, params (string Name, Array Values)[] columns) =>
        WriteRaw(path, footer, seal: true, columns);

    internal static void WriteRaw(string path, IReadOnlyDictionary<string, string> footer, bool seal, params (string Name, Array Values)[] columns)
    {
        WriteUnsealed(path, footer, columns);
        if (seal && footer.ContainsKey("embedps.kind"))
        {
            var sealedFooter = new Dictionary<string, string>(footer) { [ParquetArtifact.ContentHashKey] = ParquetArtifact.ComputeContentHash(path) };
            WriteUnsealed(path, sealedFooter, columns);
            Assert.Equal(sealedFooter[ParquetArtifact.ContentHashKey], ParquetArtifact.ComputeContentHash(path)); // the pages are written identically
        }
    }

    private static void WriteUnsealed(string path, IReadOnlyDictionary<string, string> footer, (string Name, Array Values)[] columns)
    {
        var fields = columns.Select(c => c.Values switch
        {
            long[] => (DataField)new DataField<long>(c.Name),
            float[] => new DataField<float>(c.Name),
            int[] => new DataField<int>(c.Name),
            double[] => new DataField<double>(c.Name),
            string[] => new DataField<string>(c.Name),
            _ => throw new ArgumentException(c.Name),
        }).ToArray();
        using var stream = File.Create(path);
        var writer = ParquetWriter.CreateAsync(new ParquetSchema(fields.Cast<Field>().ToArray()), stream).GetAwaiter().GetResult();
        writer.CustomMetadata = new Dictionary<string, string>(footer);
        using (var group = writer.CreateRowGroup())
        {
            for (int c = 0; c < columns.Length; c++)
            {
                switch (columns[c].Values)
                {
                    case long[] l: group.WriteAsync<long>((DataField<long>)fields[c], l.AsMemory()).GetAwaiter().GetResult(); break;
                    case float[] f: group.WriteAsync<float>((DataField<float>)fields[c], f.AsMemory()).GetAwaiter().GetResult(); break;
                    case int[] i: group.WriteAsync<int>((DataField<int>)fields[c], i.AsMemory()).GetAwaiter().GetResult(); break;
                    case double[] d: group.WriteAsync<double>((DataField<double>)fields[c], d.AsMemory()).GetAwaiter().GetResult(); break;
                    case string[] s: group.WriteAsync(fields[c], s).GetAwaiter().GetResult(); break;
                }
            }
        }
        writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private static Dictionary<string, string> Footer(string kind, params (string Key, string Value)[] extra)
    {
        var footer = new Dictionary<string, string> { ["embedps.kind"] = kind, ["embedps.schema"] = "1", ["embedps.version"] = "0.1.0", ["embedps.created"] = "2026-11-28T00:00:00.000Z", ["embedps.parameters"] = "{}", ["embedps.inputs"] = "[]" };
        foreach (var (k, v) in extra) footer[k] = v;
        return footer;
    }

    private static EmbedPSException Fails(string path) => Assert.Throws<EmbedPSException>(() => ArtifactStore.Read(path));

    [Fact]
    public void Corrupt_bytes_inside_a_data_page_are_detected_by_the_content_hash()
    {
        using var dir = new TempDirectory();
        var path = dir.File("projection.parquet");
        var projection = SampleProjection();
        ProjectionArtifact.Write(projection, path);
        var table = ParquetArtifact.Read(path);
        Assert.Matches("^[0-9a-f]{64}$", table.Metadata[ParquetArtifact.ContentHashKey]);

        var bytes = File.ReadAllBytes(path);
        int footerLength = BitConverter.ToInt32(bytes, bytes.Length - 8);
        int footerStart = bytes.Length - 8 - footerLength;
        // 64 random bytes somewhere inside the data pages (after the magic, before the footer): the footer stays intact.
        var rng = new Random(11);
        int at = rng.Next(64, footerStart - 64);
        for (int k = 0; k < 64; k++) bytes[at + k] = (byte)rng.Next(256);
        File.WriteAllBytes(path, bytes);
        var ex = Fails(path);
        Assert.Contains(ex.ErrorId, new[] { "ContentHashMismatch" });
        Assert.Equal(path, ex.File);
        Assert.Contains(ParquetArtifact.ContentHashKey, ex.Message);
    }

    [Fact]
    public void NaN_coordinates_duplicate_ids_and_negative_popularity_are_rejected_with_column_and_row()
    {
        using var dir = new TempDirectory();
        var path = dir.File("p.parquet");
        long[] ids = [1, 2, 3, 4];
        WriteRaw(path, Footer("projection"), ("entity", ids), ("x", new float[] { 0, 1, float.NaN, 3 }), ("y", new float[] { 0, 1, 2, 3 }), ("popularity", new[] { 1, 1, 1, 1 }));
        var ex = Fails(path);
        Assert.Equal(("BadValue", "x", 3L), (ex.ErrorId, ex.Column, ex.Row!.Value));
        Assert.Contains(path, ex.Message);

        WriteRaw(path, Footer("projection"), ("entity", new long[] { 1, 2, 2, 4 }), ("x", new float[] { 0, 1, 2, 3 }), ("y", new float[] { 0, 1, 2, float.PositiveInfinity }), ("popularity", new[] { 1, 1, 1, -5 }));
        var problems = ArtifactStore.Test(path);
        Assert.Contains(problems, p => p.ErrorId == "DuplicateEntity" && p.Row == 3 && p.Column == "entity");
        Assert.Contains(problems, p => p.ErrorId == "BadValue" && p.Row == 4 && p.Column == "y");
        Assert.Contains(problems, p => p.ErrorId == "BadValue" && p.Row == 4 && p.Column == "popularity");
        Assert.Equal("DuplicateEntity", Fails(path).ErrorId);

        var emb = dir.File("e.parquet");
        WriteRaw(emb, Footer("embedding"), ("entity", ids), ("x0", new float[] { 0, 1, 2, 3 }), ("x1", new float[] { 0, float.NegativeInfinity, 2, 3 }), ("popularity", new[] { 1, 1, 1, 1 }));
        ex = Fails(emb);
        Assert.Equal(("BadValue", "x1", 2L), (ex.ErrorId, ex.Column, ex.Row!.Value));
    }

    [Fact]
    public void An_empty_table_is_rejected()
    {
        using var dir = new TempDirectory();
        var path = dir.File("p.parquet");
        WriteRaw(path, Footer("projection"), ("entity", Array.Empty<long>()), ("x", Array.Empty<float>()), ("y", Array.Empty<float>()), ("popularity", Array.Empty<int>()));
        var ex = Fails(path);
        Assert.Equal("EmptyArtifact", ex.ErrorId);
        Assert.Equal(path, ex.File);
    }

    [Fact]
    public void Edges_to_unknown_entities_and_negative_weights_are_rejected()
    {
        using var dir = new TempDirectory();
        var path = dir.File("c.parquet");
        WriteRaw(path, Footer("cooccurrence"), ("entity_a", new long[] { 1, 2, 1, 2 }), ("entity_b", new long[] { 1, 2, 2, 9 }), ("weight", new float[] { 3, 3, 2, 1 }));
        var ex = Fails(path);
        Assert.Equal(("UnknownEntity", 4L, "9"), (ex.ErrorId, ex.Row!.Value, ex.Value));
        Assert.Equal(path, ex.File);

        WriteRaw(path, Footer("cooccurrence"), ("entity_a", new long[] { 1, 2, 1 }), ("entity_b", new long[] { 1, 2, 2 }), ("weight", new float[] { 3, 3, -2 }));
        ex = Fails(path);
        Assert.Equal(("NegativeWeight", "weight", 3L), (ex.ErrorId, ex.Column, ex.Row!.Value));

        // ... unless the producing command recorded that they are meant.
        WriteRaw(path, Footer("cooccurrence", ("embedps.parameters", "{\"AllowNegativeWeight\":true}")), ("entity_a", new long[] { 1, 2, 1 }), ("entity_b", new long[] { 1, 2, 2 }), ("weight", new float[] { 3, 3, -2 }));
        var matrix = Assert.IsType<EmbedPS.Core.Cooccurrence.CooccurrenceMatrix>(ArtifactStore.Read(path));
        Assert.Equal(-2f, matrix.WeightOf(0, 1));
    }

    [Theory]
    [InlineData("99", "NewerSchema", "reads schema ≤ 1")]
    [InlineData("abc", "BadFooterValue", "not a positive integer")]
    [InlineData("0", "BadFooterValue", "not a positive integer")]
    public void A_tampered_schema_is_a_clear_error(string schema, string errorId, string text)
    {
        using var dir = new TempDirectory();
        var path = dir.File("p.parquet");
        WriteRaw(path, Footer("projection", ("embedps.schema", schema), ("embedps.version", "9.1.0")), ("entity", new long[] { 1, 2 }), ("x", new float[] { 0, 1 }), ("y", new float[] { 0, 1 }), ("popularity", new[] { 1, 1 }));
        var ex = Fails(path);
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Contains(text, ex.Message);
        Assert.Contains(path, ex.Message);
        Assert.Equal("embedps.schema", ex.Column);
        if (schema == "99") Assert.Contains("written by EmbedPS 9.1.0", ex.Message);
    }

    [Theory]
    [InlineData("embedps.parameters")]
    [InlineData("embedps.inputs")]
    [InlineData("embedps.history")]
    public void Bad_JSON_in_a_footer_key_names_the_file_and_the_key(string key)
    {
        using var dir = new TempDirectory();
        var path = dir.File("e.parquet");
        WriteRaw(path, Footer("embedding", (key, "{not json")), ("entity", new long[] { 1, 2 }), ("x0", new float[] { 0, 1 }), ("popularity", new[] { 1, 1 }));
        var ex = Fails(path);
        Assert.Equal("BadFooterJson", ex.ErrorId);
        Assert.Equal(key, ex.Column);
        Assert.Contains(key, ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void A_neighbor_graph_is_data_and_an_old_configuration_key_must_still_parse()
    {
        using var dir = new TempDirectory();
        var graph = Mde.MdeTestData.Small(40);
        var good = dir.File("good.parquet");
        NeighborGraphArtifact.Write(graph, good);
        var table = ParquetArtifact.Read(good);
        Assert.False(table.Metadata.ContainsKey("embedps.configuration"));
        var columns = table.ColumnOrder.Select(c => (c, table.Columns[c])).ToArray();

        // Graphs written before Invoke-Mde owned the penalties carry the key; a broken value is an error naming it.
        var old = dir.File("old.parquet");
        var footer = new Dictionary<string, string>(table.Metadata);
        footer.Remove(ParquetArtifact.ContentHashKey);
        footer["embedps.configuration"] = "{broken";
        WriteRaw(old, footer, columns);
        var ex = Fails(old);
        Assert.Equal("BadFooterJson", ex.ErrorId);
        Assert.Equal("embedps.configuration", ex.Column);
        Assert.Contains(old, ex.Message);
        Assert.Equal(graph.Graph.EdgeCount, NeighborGraphArtifact.Read(good).EdgeCount);
    }

    [Fact]
    public void Test_EmbedArtifact_returns_true_false_and_details()
    {
        using var dir = new TempDirectory();
        var good = dir.File("good.parquet");
        ProjectionArtifact.Write(SampleProjection(50), good);
        var bad = dir.File("bad.parquet");
        WriteRaw(bad, Footer("projection"), ("entity", new long[] { 1, 1 }), ("x", new float[] { float.NaN, 1 }), ("y", new float[] { 0, 1 }), ("popularity", new[] { 1, 1 }));
        var notParquet = dir.File("text.parquet");
        File.WriteAllText(notParquet, "hello");

        using var ps = PowerShellHost.Create();
        ps.AddScript($"Test-EmbedArtifact '{good}'; Test-EmbedArtifact '{bad}'; Test-EmbedArtifact '{notParquet}'; Test-EmbedArtifact '{good}' -Kind Embedding; (Test-EmbedArtifact '{bad}' -Detailed)");
        var results = ps.Invoke();
        Assert.False(ps.HadErrors);
        Assert.Equal(new object[] { true, false, false, false }, results.Take(4).Select(r => r.BaseObject).ToArray());
        var detail = Assert.IsType<EmbedPS.Commands.Artifacts.EmbedArtifactTestResult>(results[4].BaseObject);
        Assert.False(detail.IsValid);
        Assert.Equal("projection", detail.Kind);
        Assert.Contains(detail.Problems, p => p.ErrorId == "DuplicateEntity" && p.Row == 2);
        Assert.Contains(detail.Problems, p => p.ErrorId == "BadValue" && p.Column == "x" && p.Row == 1);
        Assert.All(detail.Problems, p => Assert.Equal(bad, p.File));
    }

    [Fact]
    public void Get_EntityNeighbor_and_Export_EmbeddingPreview_stop_at_an_invalid_artifact_with_its_name()
    {
        using var dir = new TempDirectory();
        var bad = dir.File("bad.parquet");
        WriteRaw(bad, Footer("projection"), ("entity", new long[] { 1, 2, 3 }), ("x", new float[] { float.NaN, 1, 2 }), ("y", new float[] { 0, 1, 2 }), ("popularity", new[] { 1, 1, 1 }));
        foreach (var script in new[] { $"Import-EmbedArtifact '{bad}' -ErrorAction Stop | Get-EntityNeighbor -Entity 2", $"Export-EmbeddingPreview -InputPath '{bad}' -Path '{dir.File("x.png")}' -ErrorAction Stop" })
        {
            using var ps = PowerShellHost.Create();
            ps.AddScript(script);
            Exception? error = null;
            try { ps.Invoke(); } catch (RuntimeException ex) { error = ex.ErrorRecord.Exception; }
            error ??= Assert.Single(ps.Streams.Error).Exception;
            Assert.IsType<EmbedPSException>(error);
            Assert.Contains(bad, error.Message);
            Assert.Contains("column 'x', row 1", error.Message);
        }
        Assert.False(File.Exists(dir.File("x.png")));
    }
}
