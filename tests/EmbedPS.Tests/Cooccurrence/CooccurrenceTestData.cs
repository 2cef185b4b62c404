using EmbedPS.Core.Collections;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;

namespace EmbedPS.Tests.Cooccurrence;

/// <summary>Small inputs and an independent, obviously-correct reference (a dictionary of pairs, in double).</summary>
internal static class CooccurrenceTestData
{
    /// <summary>Builds a set from explicit collections of entity indices (sorted here), with optional per-item attributes in the same layout.</summary>
    public static EntityCollectionSet Set(int entityCount, int[][] collections, float[][]? weights = null, double[][]? values = null, double[][]? timestamps = null)
    {
        var offsets = new int[collections.Length + 1];
        var members = new List<int>();
        var w = weights is null ? null : new List<float>();
        var v = values is null ? null : new List<double>();
        var t = timestamps is null ? null : new List<double>();
        for (int c = 0; c < collections.Length; c++)
        {
            var order = Enumerable.Range(0, collections[c].Length).OrderBy(k => collections[c][k]).ToArray();
            foreach (var k in order)
            {
                members.Add(collections[c][k]);
                w?.Add(weights![c][k]);
                v?.Add(values![c][k]);
                t?.Add(timestamps![c][k]);
            }
            offsets[c + 1] = members.Count;
        }
        var entityIds = EntityIds.FromIntegers(Enumerable.Range(0, entityCount).Select(i => 100L + i).ToArray());
        var collectionIds = EntityIds.FromIntegers(Enumerable.Range(0, collections.Length).Select(i => (long)i).ToArray());
        return new EntityCollectionSet(entityIds, collectionIds, offsets, members.ToArray(), w?.ToArray(), v?.ToArray(), t?.ToArray());
    }

    /// <summary>Random collections (sizes 2..maxSize, distinct members) with weights, values and timestamps.</summary>
    public static EntityCollectionSet Random(int entityCount, int collectionCount, int maxSize, int seed, bool attributes = true)
    {
        var random = new DeterministicRandom(seed);
        var collections = new int[collectionCount][];
        var weights = new float[collectionCount][];
        var values = new double[collectionCount][];
        var timestamps = new double[collectionCount][];
        for (int c = 0; c < collectionCount; c++)
        {
            int size = 2 + random.NextInt(maxSize - 1);
            var chosen = new HashSet<int>();
            // Skewed popularity: low indices are chosen more often.
            while (chosen.Count < Math.Min(size, entityCount))
            {
                double u = random.NextDouble();
                chosen.Add((int)(entityCount * u * u));
            }
            collections[c] = chosen.ToArray();
            weights[c] = collections[c].Select(_ => 0.1f + random.NextSingle() * 2f).ToArray();
            values[c] = collections[c].Select(_ => random.NextDouble() * 100).ToArray();
            timestamps[c] = collections[c].Select(_ => 1.7e9 + random.NextDouble() * 1e7).ToArray();
        }
        return attributes ? Set(entityCount, collections, weights, values, timestamps) : Set(entityCount, collections);
    }

    /// <summary>The formula of the help, pair by pair, in double: the reference the builder must agree with.</summary>
    public static Dictionary<(int, int), double> Naive(EntityCollectionSet set, CooccurrenceOptions options)
    {
        var pairs = new Dictionary<(int, int), double>();
        for (int c = 0; c < set.CollectionCount; c++)
        {
            int start = set.CollectionOffsets[c], end = set.CollectionOffsets[c + 1], s = end - start;
            double cw = options.CollectionWeighting switch
            {
                CollectionWeighting.None => 1,
                CollectionWeighting.InverseSize => 1.0 / (s - 1),
                _ => 1.0 / Math.Log(1 + s),
            };
            for (int p = start; p < end; p++)
            {
                for (int q = p + 1; q < end; q++)
                {
                    double w = cw;
                    if (options.PairWeight == PairWeight.WeightProduct) w *= (double)set.Weights![p] * set.Weights[q];
                    if (options.PairWeight == PairWeight.WeightMin) w *= Math.Min(set.Weights![p], set.Weights[q]);
                    if (options.ValueScale > 0) w *= Math.Exp(-Math.Abs(set.Values![p] - set.Values[q]) / options.ValueScale);
                    if (options.TimeScale > 0) w *= Math.Exp(-Math.Abs(set.Timestamps![p] - set.Timestamps[q]) / options.TimeScale);
                    var key = (set.Members[p], set.Members[q]);
                    pairs[key] = pairs.GetValueOrDefault(key) + w;
                }
            }
        }
        return pairs;
    }

    /// <summary>Checks CSR invariants: rows ascending, no diagonal, every entry mirrored with the identical weight.</summary>
    public static void AssertWellFormedSymmetric(CooccurrenceMatrix m)
    {
        for (int i = 0; i < m.EntityCount; i++)
        {
            var partners = m.PartnersOf(i);
            var weights = m.WeightsOf(i);
            for (int k = 0; k < partners.Length; k++)
            {
                Assert.NotEqual(i, partners[k]);
                if (k > 0) Assert.True(partners[k - 1] < partners[k], $"row {i} is not strictly ascending");
                Assert.True(weights[k] > 0, $"({i}, {partners[k]}) has weight {weights[k]}");
                Assert.Equal(weights[k], m.WeightOf(partners[k], i));
            }
        }
    }

    /// <summary>Every pair, both ways: stored weights equal the reference (relative tolerance), and nothing else is stored.</summary>
    public static void AssertEqualsReference(Dictionary<(int, int), double> reference, CooccurrenceMatrix m, double relativeTolerance)
    {
        long expectedStored = 0;
        foreach (var ((a, b), w) in reference)
        {
            if (w == 0) continue;
            expectedStored += 2;
            Assert.True(Math.Abs(m.WeightOf(a, b) - w) <= relativeTolerance * w, $"({a}, {b}): {m.WeightOf(a, b)} vs reference {w}");
            Assert.True(Math.Abs(m.WeightOf(b, a) - w) <= relativeTolerance * w, $"({b}, {a}): {m.WeightOf(b, a)} vs reference {w}");
        }
        Assert.Equal(expectedStored, m.NonZeroCount);
    }
}
