using System.Collections;
using System.Text.Json;
using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Pipeline;
using EmbedPS.Tests.Infrastructure;
using Xunit;

namespace EmbedPS.Tests.Pipeline;

/// <summary>A pipeline's Projections entries take the cmdlet's sweep arrays: one projection per combination, named by its settings.</summary>
[Trait("Category", "Integration")]
public sealed class PipelineSweepTests
{
    private static Hashtable Fixture(TempDirectory dir, object projections)
    {
        var sample = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny with { Seed = 42 });
        CollectionCsvWriter.Write(sample.Collections, dir.File("plays.csv"));
        sample.WriteMetadataCsv(dir.File("entities.csv"));
        return new Hashtable
        {
            ["Name"] = "sweep",
            ["OutputPath"] = "./out",
            ["Input"] = new Hashtable { ["Path"] = "./plays.csv" },
            ["Mde"] = new Hashtable { ["MaxIterations"] = 40, ["Seed"] = 1 },
            ["Projections"] = projections,
            ["Metadata"] = new Hashtable { ["Path"] = "./entities.csv" },
            ["Atlas"] = new Hashtable { ["ColorProperty"] = "group" },
        };
    }

    [Fact]
    public void Arrays_in_a_projections_entry_expand_to_every_combination_and_are_checked_value_by_value()
    {
        using var dir = new TempDirectory();
        var table = Fixture(dir, new object[]
        {
            new Hashtable { ["Method"] = "Umap", ["Neighbors"] = new object[] { 10, 15 }, ["MinDistance"] = new object[] { 0.05, 0.1, 0.5 }, ["Seed"] = 7 },
            new Hashtable { ["Method"] = "Tsne", ["Name"] = "t-SNE", ["Perplexity"] = new object[] { 20, 40 } },
            new Hashtable { ["Method"] = "Pca" },
        });
        var config = PipelineConfig.FromDictionary(table, dir.File("p.psd1"), dir.Path);
        Assert.Equal(6 + 2 + 1, config.Projections.Count);
        Assert.Equal(new object?[] { 10, 10, 10, 15, 15, 15 }, config.Projections.Take(6).Select(p => p["Neighbors"]));
        Assert.Equal(new object?[] { 0.05, 0.1, 0.5, 0.05, 0.1, 0.5 }, config.Projections.Take(6).Select(p => p["MinDistance"]));
        Assert.Equal(new[] { "t-SNE · perplexity 20", "t-SNE · perplexity 40" }, config.Projections.Skip(6).Take(2).Select(p => p.Text("Name")));
        Assert.Equal(new[] { "Neighbors", "MinDistance" }, config.ProjectionSwept[0]);
        Assert.Empty(config.ProjectionSwept[8]);
        // The cmdlet's seeds: a derivation of the entry's seed per combination, the seed itself without a sweep.
        var expected = SettingSweep.Expand(EmbedPS.Core.Projection.ProjectionSettings.All.Where(s => s.Name != "Perplexity").ToList(),
            new Dictionary<string, object?> { ["Neighbors"] = new[] { 10, 15 }, ["MinDistance"] = new[] { 0.05, 0.1, 0.5 } }, "Seed", 7);
        Assert.Equal(expected.Select(c => (object?)c.Seed), config.Projections.Take(6).Select(p => p["Seed"]));
        Assert.False(config.Projections[8].ContainsKey("Seed"));
        var plan = new PipelineRunner(config).Plan(false);
        Assert.Equal(9, plan.Stages.Count(s => s.Name.StartsWith("projection-", StringComparison.Ordinal)));
        Assert.Equal(9, plan.Stages.Where(s => s.Name.StartsWith("projection-", StringComparison.Ordinal)).Select(s => s.Key).Distinct().Count());

        var bad = Fixture(dir, new object[] { new Hashtable { ["Method"] = "Umap", ["MinDistance"] = new object[] { 0.05, 11 }, ["Perplexity"] = new object[] { 20, 40 } } });
        var error = Assert.Throws<EmbedPSException>(() => PipelineConfig.FromDictionary(bad, dir.File("p.psd1"), dir.Path));
        Assert.Contains("Projections[0].MinDistance[1]: 11 is out of range [0, 10]", error.Message);
        Assert.Contains("Projections[0].Perplexity: several values sweep a setting of the projection's own method only", error.Message);
    }

    [Fact]
    public void A_sweep_run_logs_one_quality_row_per_projection_and_names_every_layout()
    {
        using var dir = new TempDirectory();
        var table = Fixture(dir, new object[] { new Hashtable { ["Method"] = "Umap", ["Neighbors"] = new object[] { 10, 20 }, ["MinDistance"] = new object[] { 0.05, 0.5 }, ["Epochs"] = 60 } });
        var run = new PipelineRunner(PipelineConfig.FromDictionary(table, dir.File("p.psd1"), dir.Path)).Run(false);
        Assert.Equal("succeeded", run.Status);
        Assert.Equal(4, run.QualityTable.Count);
        Assert.Equal(new[] { "UMAP · k 10 · min_dist 0.05", "UMAP · k 10 · min_dist 0.5", "UMAP · k 20 · min_dist 0.05", "UMAP · k 20 · min_dist 0.5" },
            run.QualityTable.Select(r => (string)r["Layout"]!));
        Assert.All(run.QualityTable, r => Assert.InRange((double)r["trustworthiness"]!, 0.5, 1));
        Assert.All(run.QualityTable, r => Assert.NotNull(r["label_accuracy"]));
        // The whole chain's settings: the graph's k (PyMDE's default for 400 entities: 5) and the embedding's dimension too.
        Assert.All(run.QualityTable, r => Assert.Equal((5, 3), (Convert.ToInt32(r["NeighborCount"]), Convert.ToInt32(r["Dimension"]))));
        Assert.Equal(new object?[] { 10, 10, 20, 20 }, run.QualityTable.Select(r => r["Neighbors"] is long l ? (object)(int)l : r["Neighbors"]));
        Assert.Equal(run.Quality["trustworthiness"], run.QualityTable[0]["trustworthiness"]);
        var served = Path.Combine(dir.File("out"), "latest");
        using (var log = JsonDocument.Parse(File.ReadAllText(Path.Combine(served, "run.json"))))
            Assert.Equal(4, log.RootElement.GetProperty("QualityTable").GetArrayLength());
        var atlas = File.ReadAllText(Path.Combine(served, "atlas", "data", "meta.js"));
        Assert.Matches(@"UMAP (·|\\u00B7) k 20 (·|\\u00B7) min_dist 0.5", atlas);
        Assert.Contains("\"scores\":{\"recall@10\":", atlas);
        Assert.True(File.Exists(Path.Combine(served, "previews", "contact-sheet.png")));
        Assert.Equal(4, Directory.GetFiles(served, "projection-*.parquet").Length);
    }
}
