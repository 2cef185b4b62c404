using System.Collections.ObjectModel;
using System.Management.Automation;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Mde;
using EmbedPS.Core.Projection;
using EmbedPS.Tests.Infrastructure;
using Xunit;
using ProjectionResult = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Tests.Projections;

/// <summary>
/// Parameter sweeps through the cmdlets: arrays of values give one object per combination, each with its settings, its own
/// deterministic seed and its own file; downstream stages multiply; Measure-Embedding gives one row per input.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SweepCmdletTests
{
    private static readonly Lazy<Embedding> Blobs = new(() => ProjectionTestData.AsEmbedding(ProjectionTestData.Blobs(240, 3, 4, 11).Data, 3));

    private static Collection<PSObject> Run(string script, params object[] arguments)
    {
        using var ps = PowerShellHost.Create();
        ps.AddScript(script);
        foreach (var argument in arguments) ps.AddArgument(argument);
        var result = ps.Invoke();
        if (ps.HadErrors) throw new InvalidOperationException(string.Join("; ", ps.Streams.Error.Select(e => e.ToString())));
        return result;
    }

    private static T[] Objects<T>(Collection<PSObject> output) => output.Select(o => o.BaseObject).OfType<T>().ToArray();

    [Fact]
    public void A_projection_sweep_emits_every_combination_with_its_settings_and_a_file_named_by_them()
    {
        using var dir = new TempDirectory();
        var maps = Objects<ProjectionResult>(Run("param($e, $dir) $e | ConvertTo-Projection -Neighbors 10,20 -MinDistance 0.05,0.5 -Epochs 40 -Seed 5 -OutFile (Join-Path $dir 'map.parquet')",
            Blobs.Value, dir.Path));
        Assert.Equal(4, maps.Length);
        Assert.Equal(new object?[] { 10, 10, 20, 20 }, maps.Select(m => m.Settings["Neighbors"]));
        Assert.Equal(new object?[] { 0.05, 0.5, 0.05, 0.5 }, maps.Select(m => m.Settings["MinDistance"]));
        Assert.All(maps, m => Assert.Equal(new[] { "Neighbors", "MinDistance" }, m.Provenance.Swept));
        Assert.All(maps, m => Assert.Equal("Umap", m.Settings["Method"]));
        Assert.Equal(4, maps.Select(m => m.Provenance.Parameters["Seed"]).Distinct().Count());
        var files = Directory.GetFiles(dir.Path, "*.parquet").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "map.k10.md0.05.parquet", "map.k10.md0.5.parquet", "map.k20.md0.05.parquet", "map.k20.md0.5.parquet" }, files);
        // The footer keeps the settings: read back, a file says which combination it holds.
        var back = (ProjectionResult)ArtifactStore.Read(dir.File("map.k20.md0.05.parquet"));
        Assert.Equal(20L, Convert.ToInt64(back.Settings["Neighbors"]));
        Assert.Equal(0.05, back.Settings["MinDistance"]);
        Assert.Equal(new[] { "Neighbors", "MinDistance" }, back.Provenance.Swept);
        Assert.Equal(maps[2].X, back.X);
    }

    [Fact]
    public void One_value_behaves_as_without_sweeps_and_each_combination_is_reproducible_alone()
    {
        using var dir = new TempDirectory();
        var single = Objects<ProjectionResult>(Run("param($e, $dir) $e | ConvertTo-Projection -MinDistance 0.05 -Epochs 40 -Seed 5 -OutFile (Join-Path $dir 'map.parquet')", Blobs.Value, dir.Path)).Single();
        Assert.Equal(new[] { "map.parquet" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        Assert.Equal(5, single.Provenance.Parameters["Seed"]);
        Assert.Empty(single.Provenance.Swept);
        // Exactly the core's projection with the user's seed.
        var direct = ProjectionBuilder.Build(Blobs.Value, new ProjectionRequest { Umap = new UmapOptions { MinDistance = 0.05, Epochs = 40, Seed = 5 } });
        Assert.Equal(direct.X, single.X);
        Assert.Equal(direct.Y, single.Y);

        // In a sweep, a combination's result depends on its own settings only: adding values (or reordering them) leaves it alone,
        // and it equals the core's projection with that combination's seed and no shared graph.
        var two = Objects<ProjectionResult>(Run("param($e) $e | ConvertTo-Projection -MinDistance 0.05,0.5 -Epochs 40 -Seed 5", Blobs.Value));
        var three = Objects<ProjectionResult>(Run("param($e) $e | ConvertTo-Projection -MinDistance 0.5,0.1,0.05 -Epochs 40 -Seed 5", Blobs.Value));
        var inTwo = two.Single(m => Equals(m.Settings["MinDistance"], 0.05));
        var inThree = three.Single(m => Equals(m.Settings["MinDistance"], 0.05));
        Assert.Equal(inTwo.X, inThree.X);
        Assert.Equal(inTwo.Provenance.Parameters["Seed"], inThree.Provenance.Parameters["Seed"]);
        Assert.NotEqual(5, inTwo.Provenance.Parameters["Seed"]);
        var alone = ProjectionBuilder.Build(Blobs.Value, new ProjectionRequest { Umap = new UmapOptions { MinDistance = 0.05, Epochs = 40, Seed = (int)inTwo.Provenance.Parameters["Seed"]! } });
        Assert.Equal(alone.X, inTwo.X);
        Assert.Equal(alone.Y, inTwo.Y);
    }

    [Fact]
    public void The_umap_graph_is_computed_once_per_neighbors_value()
    {
        using var ps = PowerShellHost.Create();
        ps.AddScript("param($e) $e | ConvertTo-Projection -Neighbors 10,20 -MinDistance 0.05,0.1,0.5 -Epochs 20 -Verbose").AddArgument(Blobs.Value);
        var maps = ps.Invoke();
        Assert.Equal(6, maps.Count);
        Assert.Contains(ps.Streams.Verbose, v => v.Message == "Sweep: 2 UMAP neighbour graph(s) computed, reused 4 time(s).");
        var cache = new UmapGraphCache();
        var data = Blobs.Value.Coordinates;
        var a = cache.GraphFor(data, 240, 3, new UmapOptions { Neighbors = 10 }, StageLog.Null, default);
        var b = cache.GraphFor(data, 240, 3, new UmapOptions { Neighbors = 10, MinDistance = 0.5 }, StageLog.Null, default);
        Assert.Same(a, b);
        Assert.NotSame(a, cache.GraphFor(data, 240, 3, new UmapOptions { Neighbors = 20 }, StageLog.Null, default));
        Assert.Equal((2, 1), (cache.Computed, cache.Reused));
    }

    [Fact]
    public void Sweeps_multiply_downstream_name_files_by_the_whole_chain_and_measure_into_one_table()
    {
        using var dir = new TempDirectory();
        var output = Run("""
            param($e, $dir)
            $g = $e | Invoke-NeighborPreservation -NeighborCount 5,10 -OutFile (Join-Path $dir 'g.parquet')
            $m = $g | Invoke-Mde -Dimension 2,3 -MaxIterations 20 -OutFile (Join-Path $dir 'e.parquet')
            $p = $m | ConvertTo-Projection -MinDistance 0.05,0.5 -Epochs 20 -OutFile (Join-Path $dir 'map.parquet')
            $rows = $p | Measure-Embedding
            $rows | Export-Csv (Join-Path $dir 'table.csv')
            $g.Count, $m.Count, $p.Count
            $rows
            """, Blobs.Value, dir.Path);
        Assert.Equal(new object[] { 2, 4, 8 }, output.Take(3).Select(o => o.BaseObject));
        var rows = output.Skip(3).ToArray();
        Assert.Equal(8, rows.Length);
        Assert.All(rows, r => Assert.Equal("EmbedPS.Core.Quality.EmbeddingQualityReport#Sweep", r.TypeNames[0]));
        // Settings as leading columns, beside the scores; each map measured against the embedding it was made from.
        Assert.Equal(new[] { "NeighborCount", "Dimension", "AttractivePenalty", "Method", "Neighbors", "MinDistance", "Perplexity" }, rows[0].Properties.Take(7).Select(p => p.Name));
        Assert.Equal(new object?[] { 5, 5, 5, 5, 10, 10, 10, 10 }, rows.Select(r => r.Properties["NeighborCount"].Value));
        Assert.Equal(new object?[] { 2, 2, 3, 3, 2, 2, 3, 3 }, rows.Select(r => r.Properties["Dimension"].Value));
        Assert.All(rows, r => Assert.Contains(r.Properties["Dimension"].Value + " dims", (string)r.Properties["Reference"].Value));
        Assert.All(rows, r => Assert.InRange((double)r.Properties["Trustworthiness"].Value!, 0.5, 1));
        Assert.Equal("UMAP · k 15 · min_dist 0.05 · graph k 5 · dim 2", rows[0].Properties["Caption"].Value);
        var csv = File.ReadAllLines(dir.File("table.csv"));
        Assert.Equal(9, csv.Length);
        Assert.StartsWith("\"NeighborCount\",\"Dimension\",\"AttractivePenalty\",\"Method\",\"Neighbors\",\"MinDistance\",\"Perplexity\"", csv[0]);
        var files = Directory.GetFiles(dir.Path, "*.parquet").Select(Path.GetFileName).ToArray();
        Assert.Equal(2 + 4 + 8, files.Length);
        Assert.Contains("g.nk5.parquet", files);
        Assert.Contains("e.nk10.d3.parquet", files);
        Assert.Contains("map.nk10.d3.md0.5.parquet", files);

        // From the files alone, each map finds its own embedding by the footer's provenance (no -Reference), or among several given.
        var fromFiles = Run("""
            param($dir)
            Get-ChildItem (Join-Path $dir 'map.nk5.d*.parquet') | Sort-Object Name | Import-EmbedArtifact | Measure-Embedding
            Get-ChildItem (Join-Path $dir 'map.nk5.d*.parquet') | Sort-Object Name | Import-EmbedArtifact | Measure-Embedding -Reference (Get-ChildItem (Join-Path $dir 'e.*.parquet') | Import-EmbedArtifact)
            """, dir.Path);
        Assert.Equal(8, fromFiles.Count);
        var byFooter = fromFiles.Take(4).Select(r => (double)r.Properties["NeighborRecall"].Value!).ToArray();
        var byCandidates = fromFiles.Skip(4).Select(r => (double)r.Properties["NeighborRecall"].Value!).ToArray();
        Assert.Equal(byFooter, byCandidates);
        Assert.Equal(rows.Take(4).Select(r => (double)r.Properties["NeighborRecall"].Value!).ToArray(), byFooter);
    }
}
