using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;

namespace EmbedPS.Tests.Collections;

[Trait("Category", "Unit")]
public class CollectionFilterTests
{
    private static EntityCollectionSet Build(params (string Collection, string Entities)[] collections)
    {
        var builder = new EntityCollectionBuilder(hasWeights: true, hasTimestamps: true);
        foreach (var (c, entities) in collections)
        {
            foreach (var e in entities.Split(' '))
            {
                // A weight and timestamp unique to the pair, to check that they stay aligned after compaction.
                builder.Add(c, e, weight: Code(c, e), timestamp: 1000 + Code(c, e));
            }
        }
        return builder.Build();
    }

    private static float Code(string c, string e) => c.GetHashCode(StringComparison.Ordinal) % 1000 * 100 + e[0];

    private static EntityCollectionSet Filter(EntityCollectionSet set, CollectionFilterOptions options, out IReadOnlyList<CollectionFilterRound> rounds) =>
        CollectionFilter.Apply(set, options, StageLog.Null, CancellationToken.None, out rounds);

    [Fact]
    public void Hand_computed_case_needs_a_second_round()
    {
        var set = Build(("C1", "a b c"), ("C2", "a b"), ("C3", "a d"), ("C4", "e"), ("C5", "a b c d e f"));
        var result = Filter(set, new CollectionFilterOptions { MinCollections = 2, MinCollectionSize = 2, MaxCollectionSize = 5 }, out var rounds);
        // Round 1: C4 too small, C5 too large; then c, d (1 collection) and e, f (none) are too rare.
        // Round 2: C3 = {a} is now too small. Round 3: stable.
        Assert.Equal(2, rounds.Count);
        Assert.Equal(new CollectionFilterRound(1, 1, 1, 4, 0, 0), rounds[0]);
        Assert.Equal(new CollectionFilterRound(2, 1, 0, 0, 0, 0), rounds[1]);
        Assert.Equal(new[] { "C1|a", "C1|b", "C2|a", "C2|b" }, CsvImportTests.Pairs(Strip(result)));
        Assert.Equal(new[] { "a", "b" }, result.Entities.Strings!);
        Assert.Equal(new[] { "C1", "C2" }, result.Collections.Strings!);
        Assert.Equal(new[] { 2, 2 }, result.Popularity);
        AssertAligned(set, result);
    }

    [Fact]
    public void Top_keeps_the_most_popular_and_breaks_ties_by_first_seen()
    {
        var set = Build(("C1", "a b c d"), ("C2", "b c d"), ("C3", "c d"), ("C4", "a e"));
        // Popularity: a 2, b 2, c 3, d 3, e 1. Top 3: c, d, then a (seen before b).
        var result = Filter(set, new CollectionFilterOptions { Top = 3 }, out var rounds);
        Assert.Equal(new[] { "a", "c", "d" }, result.Entities.Strings!);
        Assert.Equal(new[] { "C1|a", "C1|c", "C1|d", "C2|c", "C2|d", "C3|c", "C3|d", "C4|a" }, CsvImportTests.Pairs(Strip(result)));
        Assert.Equal(2, rounds[0].EntitiesBelowTop);
        AssertAligned(set, result);
    }

    [Fact]
    public void Include_and_exclude_lists_apply_before_the_rounds()
    {
        var set = Build(("C1", "a b c"), ("C2", "b c"), ("C3", "c"));
        var result = Filter(set, new CollectionFilterOptions { Include = new object[] { "a", "b", "c", "zzz" }, Exclude = new object[] { "c" } }, out var rounds);
        Assert.Equal(new[] { "C1|a", "C1|b", "C2|b" }, CsvImportTests.Pairs(Strip(result)));
        Assert.Equal(1, rounds[0].EntitiesByIdList);
        Assert.Equal(0, rounds[0].Round);
        Assert.Equal(1, rounds[1].CollectionsTooSmall); // C3 became empty
    }

    [Fact]
    public void Integer_ids_can_be_given_as_numbers_or_text()
    {
        var builder = new EntityCollectionBuilder();
        builder.Add("1", "100"); builder.Add("1", "200"); builder.Add("2", "100"); builder.Add("2", "300");
        var set = builder.Build();
        var result = Filter(set, new CollectionFilterOptions { Exclude = new object[] { 200, "300" } }, out _);
        Assert.Equal(new long[] { 100 }, result.Entities.Integers!);
        Assert.True(result.Collections.IsInteger);
    }

    [Fact]
    public void Keeping_nothing_is_an_error_and_limits_are_checked()
    {
        var set = Build(("C1", "a b"), ("C2", "c"));
        var ex = Assert.Throws<EmbedPSException>(() => Filter(set, new CollectionFilterOptions { MinCollections = 5 }, out _));
        Assert.Equal("FilterKeptNothing", ex.ErrorId);
        var bad = Assert.Throws<EmbedPSException>(() => Filter(set, new CollectionFilterOptions { MinCollectionSize = 5, MaxCollectionSize = 2 }, out _));
        Assert.Equal("InvalidFilter", bad.ErrorId);
    }

    [Fact]
    public void Provenance_records_parameters_and_upstream()
    {
        var set = Build(("C1", "a b"), ("C2", "a b"));
        set.Provenance.ArtifactSha256 = "abc123";
        var result = Filter(set, new CollectionFilterOptions { MinCollections = 2, Top = 10 }, out _);
        Assert.Equal(2, result.Provenance.Parameters["MinCollections"]);
        Assert.Equal(10, result.Provenance.Parameters["Top"]);
        Assert.Equal("collections", result.Provenance.Inputs.Single().Kind);
        Assert.Equal("abc123", result.Provenance.Inputs.Single().Sha256);
    }

    public static IEnumerable<object[]> RandomCases() => new[]
    {
        new object[] { 1, new CollectionFilterOptions { MinCollections = 5, MinCollectionSize = 3 } },
        new object[] { 2, new CollectionFilterOptions { MinCollections = 3, MaxCollectionSize = 40, MinCollectionSize = 2 } },
        new object[] { 3, new CollectionFilterOptions { Top = 150, MinCollectionSize = 4 } },
        new object[] { 4, new CollectionFilterOptions { Top = 100, MinCollections = 10, MinCollectionSize = 5, MaxCollectionSize = 60 } },
    };

    /// <summary>
    /// The iterate-until-stable property against a naive reference (sets of strings, the same rules applied until
    /// nothing changes): the same pairs survive, and the result satisfies every limit.
    /// </summary>
    [Theory]
    [MemberData(nameof(RandomCases))]
    public void Agrees_with_a_naive_fixed_point_and_satisfies_every_limit(int seed, CollectionFilterOptions options)
    {
        var set = SyntheticCollectionGenerator.Generate(SyntheticCollectionOptions.Tiny with { Seed = seed }).Collections;
        var result = Filter(set, options, out var rounds);
        Assert.Equal(NaiveFilter(set, options), CsvImportTests.Pairs(Strip(result)));
        Assert.True(rounds.Count >= 1);
        for (int c = 0; c < result.CollectionCount; c++)
        {
            Assert.InRange(result.SizeOf(c), Math.Max(1, options.MinCollectionSize), options.MaxCollectionSize > 0 ? options.MaxCollectionSize : int.MaxValue);
        }
        Assert.All(result.Popularity, p => Assert.True(p >= Math.Max(1, options.MinCollections)));
        if (options.Top > 0) Assert.True(result.EntityCount <= options.Top);
        AssertAligned(set, result);
    }

    private static List<string> NaiveFilter(EntityCollectionSet set, CollectionFilterOptions options)
    {
        var collections = new Dictionary<string, HashSet<string>>();
        var firstSeen = new Dictionary<string, int>();
        for (int c = 0; c < set.CollectionCount; c++)
        {
            collections[set.Collections.GetText(c)] = set.MembersOf(c).ToArray().Select(e => set.Entities.GetText(e)).ToHashSet();
        }
        for (int e = 0; e < set.EntityCount; e++) firstSeen[set.Entities.GetText(e)] = e;
        int minSize = Math.Max(1, options.MinCollectionSize), maxSize = options.MaxCollectionSize > 0 ? options.MaxCollectionSize : int.MaxValue;
        var deadEntities = new HashSet<string>();
        while (true)
        {
            bool changed = false;
            foreach (var key in collections.Keys.ToList())
            {
                int n = collections[key].Count(e => !deadEntities.Contains(e));
                if (n < minSize || n > maxSize) { collections.Remove(key); changed = true; }
            }
            var popularity = collections.Values.SelectMany(m => m).Where(e => !deadEntities.Contains(e)).GroupBy(e => e).ToDictionary(g => g.Key, g => g.Count());
            foreach (var e in firstSeen.Keys.Where(e => !deadEntities.Contains(e)).ToList())
            {
                if (popularity.GetValueOrDefault(e) < Math.Max(1, options.MinCollections)) { deadEntities.Add(e); changed = true; popularity.Remove(e); }
            }
            if (options.Top > 0)
            {
                foreach (var e in popularity.Keys.OrderByDescending(e => popularity[e]).ThenBy(e => firstSeen[e]).Skip(options.Top).ToList())
                {
                    deadEntities.Add(e); changed = true;
                }
            }
            if (!changed) break;
        }
        return collections.SelectMany(kv => kv.Value.Where(e => !deadEntities.Contains(e)).Select(e => $"{kv.Key}|{e}")).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The same set without weights, so that <see cref="CsvImportTests.Pairs"/> lists only ids.</summary>
    private static EntityCollectionSet Strip(EntityCollectionSet set) =>
        new(set.Entities, set.Collections, set.CollectionOffsets, set.Members);

    /// <summary>Every kept pair carries the weight and timestamp it had before filtering.</summary>
    private static void AssertAligned(EntityCollectionSet before, EntityCollectionSet after)
    {
        if (before.Weights is null) return;
        var original = new Dictionary<(string, string), (float, double)>();
        for (int c = 0; c < before.CollectionCount; c++)
        {
            int start = before.CollectionOffsets[c];
            var members = before.MembersOf(c);
            for (int k = 0; k < members.Length; k++)
                original[(before.Collections.GetText(c), before.Entities.GetText(members[k]))] = (before.Weights[start + k], before.Timestamps?[start + k] ?? 0);
        }
        for (int c = 0; c < after.CollectionCount; c++)
        {
            int start = after.CollectionOffsets[c];
            var members = after.MembersOf(c);
            for (int k = 0; k < members.Length; k++)
            {
                if (k > 0) Assert.True(members[k] > members[k - 1], "members must stay sorted");
                var (weight, timestamp) = original[(after.Collections.GetText(c), after.Entities.GetText(members[k]))];
                Assert.Equal(weight, after.Weights![start + k]);
                Assert.Equal(timestamp, after.Timestamps?[start + k] ?? 0);
            }
        }
    }
}
