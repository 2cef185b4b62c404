using System.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Pipeline;
using EmbedPS.Tests.Infrastructure;
using Xunit;

namespace EmbedPS.Tests.Pipeline;

/// <summary>Gates: a run that completes but looks wrong is written in full, marked rejected, and not served.</summary>
public sealed partial class PipelineRunnerTests
{
    [Fact]
    public void A_cut_off_input_is_rejected_by_the_default_gates_and_the_good_atlas_stays_served()
    {
        using var dir = new TempDirectory();
        var table = Fixture(dir);
        var good = Run(dir, table);
        Assert.Equal("succeeded", good.Status);
        Assert.All(good.Gates, g => Assert.True(g.Passed));
        Assert.Contains(good.Gates, g => g.Name == "MaxRowDrop" && g.Value is null);   // nothing served to compare with yet

        // The export was cut off: 60 % of the collections are missing.
        WriteInput(dir, (collection, _) => collection % 10 < 4);
        var rejected = Assert.Throws<PipelineRejectedException>(() => Run(dir, table)).Run;
        Assert.Equal("rejected", rejected.Status);
        var rows = Assert.Single(rejected.FailedGates, g => g.Name == "MaxRowDrop");
        Assert.Equal(0.5, rows.Threshold);
        double before = good.Counts["rows"], after = rejected.Counts["rows"];
        Assert.Equal((before - after) / before, rows.Value!.Value, 12);
        Assert.InRange(rows.Value.Value, 0.55, 0.65);
        Assert.Equal(good.RunPath, LatestLink.Target(dir.File("out")));
        var log = PipelineRun.TryRead(rejected.LogPath)!;
        Assert.Equal("rejected", log.Status);
        Assert.Contains(log.Gates, g => g.Name == "MaxRowDrop" && !g.Passed);
        Assert.True(File.Exists(Path.Combine(rejected.RunPath, "atlas", "index.html")), "the rejected run is written in full, to be looked at");
        Assert.Contains("REJECTED", rejected.Summary);
        Assert.Contains("MaxRowDrop", rejected.Summary);

        // Served anyway on request, and the run log says so.
        var accepted = new PipelineRunner(Config(dir, table)) { AcceptGates = true }.Run(false);
        Assert.Equal("succeeded", accepted.Status);
        Assert.True(accepted.GatesAccepted);
        Assert.Equal(accepted.RunPath, LatestLink.Target(dir.File("out")));
    }

    [Fact]
    public void Configured_gates_reject_small_maps_low_quality_scattered_maps_and_foreign_metadata()
    {
        using var dir = new TempDirectory();
        var table = Fixture(dir);
        table["Gates"] = new Hashtable { ["MinEntities"] = 401 };
        var tooSmall = Assert.Throws<PipelineRejectedException>(() => Run(dir, table)).Run;
        var gate = Assert.Single(tooSmall.FailedGates);
        Assert.Equal(("MinEntities", 401.0, 400.0), (gate.Name, gate.Threshold, gate.Value!.Value));
        Assert.Null(LatestLink.Target(dir.File("out")));   // nothing was served, and nothing is

        table["Gates"] = new Hashtable { ["MinTrustworthiness"] = 0.999, ["MinRecall"] = 0.05 };
        var quality = Assert.Throws<PipelineRejectedException>(() => Run(dir, table)).Run;
        Assert.Equal(new[] { "MinTrustworthiness" }, quality.FailedGates.Select(g => g.Name));
        Assert.Contains(quality.Gates, g => g.Name == "MinRecall" && g.Passed && g.Value > 0.05);

        table["Gates"] = new Hashtable();
        var good = Run(dir, table);
        Assert.Equal("succeeded", good.Status);

        // Another seed scatters the map; a tight displacement gate catches it.
        ((Hashtable)table["Mde"]!)["Seed"] = 7;
        ((Hashtable)((object[])table["Projections"]!)[0])["Seed"] = 8;
        table["Gates"] = new Hashtable { ["MaxMedianDisplacement"] = 0.001 };
        var scattered = Assert.Throws<PipelineRejectedException>(() => Run(dir, table)).Run;
        var moved = Assert.Single(scattered.FailedGates);
        Assert.Equal("MaxMedianDisplacement", moved.Name);
        Assert.Equal(scattered.Displacement!.MedianRelative, moved.Value);

        // Metadata whose ids no longer match the entities (four rows in five; none matching at all is an error of its own).
        var metadata = File.ReadAllLines(dir.File("entities.csv"));
        File.WriteAllLines(dir.File("entities.csv"), metadata.Take(1).Concat(metadata.Skip(1).Select((l, i) => i % 5 == 0 ? l : "x" + l)));
        table["Gates"] = new Hashtable { ["MinMetadataShare"] = 0.9 };
        var foreign = Assert.Throws<PipelineRejectedException>(() => Run(dir, table)).Run;
        var share = Assert.Single(foreign.FailedGates);
        Assert.Equal("MinMetadataShare", share.Name);
        Assert.Equal(0.2, share.Value!.Value, 2);
        Assert.Equal(good.RunPath, LatestLink.Target(dir.File("out")));
    }
}
