using EmbedPS.Core.Collections;

namespace EmbedPS.Tests.Collections;

[Trait("Category", "Unit")]
public class SyntheticCollectionTests
{
    [Fact]
    public void Same_seed_same_sample_other_seed_other_sample()
    {
        var a = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny);
        var b = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny);
        var c = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny with { Seed = 7 });
        Assert.Equal(a.Collections.Members, b.Collections.Members);
        Assert.Equal(a.Collections.CollectionOffsets, b.Collections.CollectionOffsets);
        Assert.NotEqual(a.Collections.Members, c.Collections.Members);
    }

    [Fact]
    public void Collections_are_sorted_unique_and_mostly_from_their_home_subgroup()
    {
        var sample = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny);
        var set = sample.Collections;
        long sameSubgroupPairs = 0, pairs = 0;
        for (int c = 0; c < set.CollectionCount; c++)
        {
            var members = set.MembersOf(c);
            for (int k = 1; k < members.Length; k++) Assert.True(members[k] > members[k - 1]);
            // The majority label of a collection covers at least a third of it for most collections.
            var counts = new Dictionary<string, int>();
            foreach (var e in members) counts[sample.SubgroupLabel[e]] = counts.GetValueOrDefault(sample.SubgroupLabel[e]) + 1;
            sameSubgroupPairs += counts.Values.Max();
            pairs += members.Length;
        }
        Assert.InRange((double)sameSubgroupPairs / pairs, 0.35, 0.9);
        Assert.InRange(set.MeanCollectionSize, 14, 26);
        Assert.Contains("noise", sample.GroupLabel);
    }

    [Fact]
    public void Popularity_is_long_tailed()
    {
        var set = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Small with { CollectionCount = 5000 }).Collections;
        var sorted = set.Popularity.OrderByDescending(p => p).ToArray();
        Assert.True(sorted[0] > 10 * sorted[sorted.Length / 2], $"top {sorted[0]}, median {sorted[sorted.Length / 2]}");
    }
}
