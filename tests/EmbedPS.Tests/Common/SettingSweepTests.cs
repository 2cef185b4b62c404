using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Projection;
using Xunit;

namespace EmbedPS.Tests.Common;

/// <summary>Parameter sweeps: the combinations of the given values, their seeds, their file names and their captions.</summary>
[Trait("Category", "Unit")]
public sealed class SettingSweepTests
{
    private static Dictionary<string, object?> Given(params (string Name, object? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value, StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Every_combination_once_the_first_swept_setting_varying_slowest()
    {
        var combinations = SettingSweep.Expand(ProjectionSettings.All, Given(("Neighbors", new[] { 15, 50 }), ("MinDistance", new[] { 0.05, 0.1, 0.5 })), "Seed", 42);
        Assert.Equal(6, combinations.Count);
        Assert.All(combinations, c => Assert.True(c.IsSweep));
        Assert.Equal(new object?[] { 15, 15, 15, 50, 50, 50 }, combinations.Select(c => c.Values["Neighbors"]));
        Assert.Equal(new object?[] { 0.05, 0.1, 0.5, 0.05, 0.1, 0.5 }, combinations.Select(c => c.Values["MinDistance"]));
        Assert.Equal(Enumerable.Range(0, 6), combinations.Select(c => c.Index));
        // A value given twice is one combination.
        Assert.Equal(2, SettingSweep.Expand(ProjectionSettings.All, Given(("MinDistance", new[] { 0.1, 0.1, 0.5 })), "Seed", 42).Count);
        Assert.Equal(new[] { "Neighbors", "MinDistance" }, SettingSweep.Swept(ProjectionSettings.All, Given(("Neighbors", new[] { 15, 50 }), ("MinDistance", new[] { 0.05, 0.5 }))));
    }

    [Fact]
    public void One_value_is_one_combination_with_the_users_seed()
    {
        foreach (var given in new[] { Given(("MinDistance", new[] { 0.25 })), Given(("MinDistance", 0.25)), Given() })
        {
            var only = Assert.Single(SettingSweep.Expand(ProjectionSettings.All, given, "Seed", 7));
            Assert.False(only.IsSweep);
            Assert.Equal(7, only.Seed);
            Assert.Equal(7, only.Values["Seed"]);
        }
        Assert.Empty(SettingSweep.Swept(ProjectionSettings.All, Given(("MinDistance", new[] { 0.25 }))));
    }

    [Fact]
    public void A_combinations_seed_depends_on_its_own_settings_only()
    {
        int SeedOf(IReadOnlyList<SweepCombination> sweep, int k, double md) =>
            sweep.Single(c => Equals(c.Values["Neighbors"], k) && Equals(c.Values["MinDistance"], md)).Seed;
        var small = SettingSweep.Expand(ProjectionSettings.All, Given(("Neighbors", new[] { 15, 50 }), ("MinDistance", new[] { 0.05, 0.5 })), "Seed", 42);
        var larger = SettingSweep.Expand(ProjectionSettings.All, Given(("Neighbors", new[] { 50, 15, 30 }), ("MinDistance", new[] { 0.5, 0.1, 0.05 })), "Seed", 42);
        // Adding values, or giving them in another order, leaves the other combinations' seeds as they were.
        foreach (var (k, md) in new[] { (15, 0.05), (15, 0.5), (50, 0.05), (50, 0.5) })
            Assert.Equal(SeedOf(small, k, md), SeedOf(larger, k, md));
        // Distinct combinations get distinct seeds; another user seed gives other seeds; all are reproducible.
        Assert.Equal(larger.Count, larger.Select(c => c.Seed).Distinct().Count());
        Assert.NotEqual(SeedOf(small, 15, 0.05), SeedOf(SettingSweep.Expand(ProjectionSettings.All, Given(("Neighbors", new[] { 15, 50 }), ("MinDistance", new[] { 0.05, 0.5 })), "Seed", 43), 15, 0.05));
        Assert.Equal(SettingSweep.DerivedSeed(42, [new("Neighbors", 15), new("MinDistance", 0.05), new("Perplexity", 30.0)]), SeedOf(small, 15, 0.05));
        Assert.All(larger, c => Assert.InRange(c.Seed, 0, int.MaxValue));
    }

    [Fact]
    public void File_names_carry_the_swept_settings_before_the_extension()
    {
        var provenance = new Provenance().WithSettings(
            [new("NeighborCount", 15), new("Dimension", 3), new("AttractivePenalty", "Log1p"), new("Method", "Umap"), new("Neighbors", 15), new("MinDistance", 0.05), new("Perplexity", null)],
            ["Neighbors", "MinDistance"]);
        Assert.Equal("map.k15.md0.05.parquet", SweepLabels.FileName("map.parquet", provenance));
        Assert.Equal(Path.Combine("out", "maps", "map.k15.md0.05.parquet"), SweepLabels.FileName(Path.Combine("out", "maps", "map.parquet"), provenance));
        provenance.Swept.Insert(0, "Dimension");
        Assert.Equal("map.d3.k15.md0.05.parquet", SweepLabels.FileName("map.parquet", provenance));
        Assert.Equal("map.parquet", SweepLabels.FileName("map.parquet", new Provenance().WithSettings([new("Neighbors", 15)], [])));
        Assert.Equal("g.nk10.parquet", SettingSweep.FileName("g.parquet", [("nk", 10)]));
    }

    [Fact]
    public void Captions_name_the_method_its_settings_and_the_swept_upstream_ones()
    {
        var umap = new Projection(EntityIds.FromIntegers([1, 2, 3]), new int[3], new float[3], new float[3], "Umap");
        umap.Provenance.WithSettings([new("NeighborCount", 15), new("Dimension", 4), new("Method", "Umap"), new("Neighbors", 15), new("MinDistance", 0.05), new("Perplexity", null)], ["MinDistance"]);
        Assert.Equal("UMAP · k 15 · min_dist 0.05", SweepLabels.Caption(umap));
        umap.Provenance.Swept.Add("Dimension");
        Assert.Equal("UMAP · k 15 · min_dist 0.05 · dim 4", SweepLabels.Caption(umap));
        var tsne = new Projection(EntityIds.FromIntegers([1, 2, 3]), new int[3], new float[3], new float[3], "Tsne");
        tsne.Provenance.WithSettings([new("Method", "Tsne"), new("Neighbors", null), new("MinDistance", null), new("Perplexity", 50.0)], ["Perplexity"]);
        Assert.Equal("t-SNE · perplexity 50", SweepLabels.Caption(tsne));
    }
}
