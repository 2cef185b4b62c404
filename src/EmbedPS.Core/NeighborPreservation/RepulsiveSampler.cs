using EmbedPS.Core.Common;

namespace EmbedPS.Core.NeighborPreservation;

/// <summary>
/// Uniformly sampled repulsive ("dissimilar") pairs, as PyMDE's preprocess.sample_edges, but a pair that collides with a
/// neighbour edge (or repeats an earlier draw) is re-drawn instead of dropped, so the count is exactly
/// int(fraction × #neighbour edges), capped at the number of free pairs.
/// </summary>
public static class RepulsiveSampler
{
    /// <summary>Draws per random stream: block b uses DeterministicRandom(seed, stream b), whatever thread runs it.</summary>
    public const int BlockSize = 16_384;

    /// <summary>Canonical pair keys i·n + j (i &lt; j), sorted, excluding <paramref name="neighborKeys"/> (sorted canonical keys).</summary>
    public static long[] Sample(int n, long[] neighborKeys, double fraction, int seed, CancellationToken cancellation = default)
    {
        long totalPairs = (long)n * (n - 1) / 2;
        long free = totalPairs - neighborKeys.Length;
        long wanted = Math.Min((long)(fraction * neighborKeys.Length), free);
        if (wanted <= 0) return Array.Empty<long>();
        if (wanted > int.MaxValue / 2) throw new EmbedPSException("TooManyRepulsivePairs", EmbedPSErrorKind.InvalidArgument, $"{wanted:N0} repulsive pairs requested; lower -RepulsiveFraction.");
        // Dense case (PyMDE's 20 % rule): enumerate the free pairs and take a seeded partial shuffle.
        if (neighborKeys.Length + wanted > 0.2 * totalPairs) return SampleDense(n, neighborKeys, (int)wanted, seed);

        int count = (int)wanted;
        var result = new long[count];
        int blocks = (count + BlockSize - 1) / BlockSize;
        Parallel.For(0, blocks, new ParallelOptions { CancellationToken = cancellation }, b =>
        {
            var random = new DeterministicRandom(seed, 0x5245_5055_0000L + b);
            int end = Math.Min(count, (b + 1) * BlockSize);
            for (int t = b * BlockSize; t < end; t++)
            {
                long key;
                do key = Draw(ref random, n); while (Array.BinarySearch(neighborKeys, key) >= 0);
                result[t] = key;
            }
        });
        Array.Sort(result);
        // Repeats (about wanted² / 2·pairs of them) are re-drawn from one more stream, in order.
        var seen = new HashSet<long>();
        var repeats = new List<int>();
        for (int t = 0; t < count; t++) if (!seen.Add(result[t])) repeats.Add(t);
        if (repeats.Count > 0)
        {
            var random = new DeterministicRandom(seed, 0x5245_5055_FFFFL);
            foreach (int t in repeats)
            {
                long key;
                do key = Draw(ref random, n); while (Array.BinarySearch(neighborKeys, key) >= 0 || seen.Contains(key));
                seen.Add(key);
                result[t] = key;
            }
            Array.Sort(result);
        }
        return result;
    }

    private static long Draw(ref DeterministicRandom random, int n)
    {
        int a = random.NextInt(n);
        int b = random.NextInt(n - 1);
        if (b >= a) b++;
        return a < b ? (long)a * n + b : (long)b * n + a;
    }

    private static long[] SampleDense(int n, long[] neighborKeys, int wanted, int seed)
    {
        var free = new List<long>();
        int p = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                long key = (long)i * n + j;
                while (p < neighborKeys.Length && neighborKeys[p] < key) p++;
                if (p < neighborKeys.Length && neighborKeys[p] == key) continue;
                free.Add(key);
            }
        }
        var random = new DeterministicRandom(seed, 0x5245_5055_DE5EL);
        for (int t = 0; t < wanted; t++)
        {
            int pick = t + random.NextInt(free.Count - t);
            (free[t], free[pick]) = (free[pick], free[t]);
        }
        var result = free.GetRange(0, wanted).ToArray();
        Array.Sort(result);
        return result;
    }
}
