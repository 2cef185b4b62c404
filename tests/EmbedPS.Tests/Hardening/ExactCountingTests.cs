using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Tests.Infrastructure;
using Xunit;

namespace EmbedPS.Tests.Hardening;

/// <summary>Issue 14: co-occurrence sums do not stop growing at 2^24 (x + 1f == x); they are exact in float64 and rounded once.</summary>
[Trait("Category", "Unit")]
public sealed class ExactCountingTests
{
    private const float TwoTo24 = 16_777_216f;

    private static CooccurrenceMatrix Pair(float weight) =>
        new(EntityIds.FromIntegers(new long[] { 1, 2 }), new[] { 1, 1 }, new long[] { 0, 1, 2 }, new[] { 1, 0 }, new[] { weight, weight });

    [Fact]
    public void Merging_past_two_to_the_24_keeps_counting()
    {
        Assert.Equal(TwoTo24, TwoTo24 + 1f); // the float32 trap itself
        var merged = CooccurrenceMerger.Merge(new[] { Pair(TwoTo24), Pair(1), Pair(1) });
        Assert.Equal(TwoTo24 + 2, merged.WeightOf(0, 1));
        Assert.Equal(TwoTo24 + 2, merged.WeightOf(1, 0));
    }

    [Fact]
    public void Building_past_two_to_the_24_keeps_counting_and_warns()
    {
        // One collection contributes 4096 · 4096 = 2^24 to the pair, two more contribute 1 each.
        var builder = new EntityCollectionBuilder(hasWeights: true);
        builder.Add("1", "10", 4096f); builder.Add("1", "20", 4096f);
        builder.Add("2", "10", 1f); builder.Add("2", "20", 1f);
        builder.Add("3", "10", 1f); builder.Add("3", "20", 1f);
        var set = builder.Build();
        var log = new RecordingLog();
        var matrix = CooccurrenceBuilder.Build(set, new CooccurrenceOptions { PairWeight = PairWeight.WeightProduct }, log);
        Assert.Equal(TwoTo24 + 2, matrix.WeightOf(0, 1));
        Assert.Contains(log.Warnings, w => w.Contains("2^24"));
    }

    [Fact]
    public void Repeated_edge_list_rows_sum_past_two_to_the_24()
    {
        using var dir = new TempDirectory();
        var path = dir.File("edges.csv");
        File.WriteAllText(path, "entity_a,entity_b,weight\n1,1,1\n2,2,1\n1,2,16777216\n2,1,1\n1,2,1\n");
        var matrix = EdgeListImporter.Read(path);
        Assert.Equal(TwoTo24 + 2, matrix.WeightOf(0, 1));
    }

    private sealed class RecordingLog : IStageLog
    {
        public List<string> Warnings { get; } = new();
        public void Progress(double fraction, string status) { }
        public void Verbose(string message) { }
        public void Warning(string message) { lock (Warnings) Warnings.Add(message); }
    }
}
