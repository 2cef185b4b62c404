using System.Runtime.CompilerServices;
using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Collections;

/// <summary>Parameters of the built-in sample: planted groups × subgroups, Zipf popularity, popular noise items.</summary>
public sealed record SyntheticCollectionOptions
{
    public int EntityCount { get; init; } = 5_000;
    public int CollectionCount { get; init; } = 20_000;
    public int Groups { get; init; } = 20;
    public int SubgroupsPerGroup { get; init; } = 5;
    public double MeanCollectionSize { get; init; } = 60;
    public int MaxCollectionSize { get; init; } = 1_000;
    public int MinCollectionSize { get; init; } = 2;
    /// <summary>Popularity ∝ 1 / rank^s inside each pool.</summary>
    public double ZipfExponent { get; init; } = 1.0;
    /// <summary>Share of entities that are popular "noise" items belonging to no group.</summary>
    public double NoiseEntityFraction { get; init; } = 0.01;
    /// <summary>Where a collection's items come from: its own subgroup, its group, the noise items, anywhere.</summary>
    public double SubgroupShare { get; init; } = 0.55;
    public double GroupShare { get; init; } = 0.25;
    public double NoiseShare { get; init; } = 0.08;
    public int Seed { get; init; } = 42;

    public static SyntheticCollectionOptions Tiny => new() { EntityCount = 400, CollectionCount = 1_500, Groups = 4, SubgroupsPerGroup = 3, MeanCollectionSize = 20, MaxCollectionSize = 150 };
    public static SyntheticCollectionOptions Small => new();
    public static SyntheticCollectionOptions Atlas => new() { EntityCount = 50_000, CollectionCount = 300_000 };

    public static SyntheticCollectionOptions Preset(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Tiny,
        "small" => Small,
        "atlas" => Atlas,
        _ => throw new ArgumentException($"Unknown size '{name}'. Use Tiny, Small or Atlas."),
    };
}

/// <summary>The generated sample: the collections plus each entity's planted labels.</summary>
public sealed class SyntheticCollection
{
    public required EntityCollectionSet Collections { get; init; }
    /// <summary>Group index per entity (dense index order), -1 for noise items.</summary>
    public required int[] Group { get; init; }
    /// <summary>Subgroup index within the group per entity, -1 for noise items.</summary>
    public required int[] Subgroup { get; init; }
    /// <summary>Label text per entity: "G07", or "noise".</summary>
    public required string[] GroupLabel { get; init; }
    /// <summary>Label text per entity: "G07.S2", or "noise".</summary>
    public required string[] SubgroupLabel { get; init; }
    /// <summary>A readable name per entity, e.g. "G07.S2 #123".</summary>
    public required string[] Name { get; init; }

    /// <summary>Writes entity metadata (entity, name, group, subgroup, popularity) as CSV, atomically.</summary>
    public void WriteMetadataCsv(string path)
    {
        var set = Collections;
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            writer.Write("entity,name,group,subgroup,popularity\n");
            for (int i = 0; i < set.EntityCount; i++)
            {
                writer.Write($"{set.Entities.GetText(i)},{Name[i]},{GroupLabel[i]},{SubgroupLabel[i]},{set.Popularity[i]}\n");
            }
        });
    }
}

/// <summary>
/// Deterministic generator of entity collections with planted hierarchical structure. Each collection
/// has a home subgroup; its items are drawn, by popularity, from that subgroup, its group, the noise items
/// or anywhere. Collection sizes follow a log-normal with a long tail, clamped to [min, max].
/// Every collection draws from its own random stream, so the output does not depend on the thread count.
/// </summary>
public static class SyntheticCollectionGenerator
{
    public static SyntheticCollection Generate(SyntheticCollectionOptions options, CancellationToken cancellation = default, IStageLog? log = null)
    {
        log ??= StageLog.Null;
        int n = options.EntityCount, groups = options.Groups, subs = options.SubgroupsPerGroup;
        if (n < groups * subs + 1) throw new ArgumentException($"EntityCount must be at least {groups * subs + 1} for {groups}×{subs} subgroups.");
        var rng = new DeterministicRandom(options.Seed, -1);

        int noiseCount = Math.Max(1, (int)Math.Round(n * options.NoiseEntityFraction));
        int clusterCount = groups * subs;
        // Entity e: the first noiseCount are noise; others cycle over subgroups in shuffled order.
        var group = new int[n];
        var subgroup = new int[n];
        var permutation = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (permutation[i], permutation[j]) = (permutation[j], permutation[i]); }
        var pools = new List<int>[clusterCount];
        for (int c = 0; c < clusterCount; c++) pools[c] = new List<int>();
        var noise = new List<int>();
        for (int r = 0; r < n; r++)
        {
            int e = permutation[r];
            if (r < noiseCount) { group[e] = -1; subgroup[e] = -1; noise.Add(e); continue; }
            int cluster = (r - noiseCount) % clusterCount;
            group[e] = cluster / subs; subgroup[e] = cluster % subs;
            pools[cluster].Add(e);
        }
        var subgroupSamplers = pools.Select(p => new ZipfPool(p.ToArray(), options.ZipfExponent)).ToArray();
        var groupSamplers = Enumerable.Range(0, groups)
            .Select(g => new ZipfPool(Enumerable.Range(0, subs).SelectMany(s => pools[g * subs + s]).ToArray(), options.ZipfExponent, interleave: subs)).ToArray();
        var noiseSampler = new ZipfPool(noise.ToArray(), 0.5);
        var everySampler = new ZipfPool(Enumerable.Range(0, n).ToArray(), options.ZipfExponent, shuffleSeed: options.Seed);

        // Sizes: log-normal with the requested mean and sigma 0.9 (long tail), clamped.
        const double sigma = 0.9;
        double mu = Math.Log(options.MeanCollectionSize) - sigma * sigma / 2;
        int collections = options.CollectionCount;
        var targetSize = new int[collections];
        var home = new int[collections];
        for (int c = 0; c < collections; c++)
        {
            double size = Math.Exp(mu + sigma * rng.NextGaussian());
            targetSize[c] = (int)Math.Clamp(Math.Round(size), options.MinCollectionSize, Math.Min(options.MaxCollectionSize, n));
            home[c] = rng.NextInt(clusterCount);
        }
        var offsets = new int[collections + 1];
        for (int c = 0; c < collections; c++) offsets[c + 1] = offsets[c] + targetSize[c];
        var members = new int[offsets[collections]];
        var actual = new int[collections];
        int generated = 0;
        // seenIn[e] == c + 1 marks entity e as drawn for collection c (one array per worker, never cleared).
        Parallel.For(0, collections, new ParallelOptions { CancellationToken = cancellation }, () => new int[n], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c, _, seenIn) =>
        {
            var local = new DeterministicRandom(options.Seed, c);
            int target = targetSize[c], start = offsets[c], count = 0, attempts = 0;
            int cluster = home[c];
            while (count < target && attempts < target * 20)
            {
                attempts++;
                double u = local.NextDouble();
                int e = u < options.SubgroupShare ? subgroupSamplers[cluster].Sample(ref local)
                    : u < options.SubgroupShare + options.GroupShare ? groupSamplers[cluster / subs].Sample(ref local)
                    : u < options.SubgroupShare + options.GroupShare + options.NoiseShare ? noiseSampler.Sample(ref local)
                    : everySampler.Sample(ref local);
                if (seenIn[e] != c + 1) { seenIn[e] = c + 1; members[start + count++] = e; }
            }
            members.AsSpan(start, count).Sort();
            actual[c] = count;
            int done = Interlocked.Increment(ref generated);
            if (done % 4096 == 0) log.Progress((double)done / collections, $"collection {done:N0} of {collections:N0}");
            return seenIn;
        }, _ => { });

        // Compact away the unused tail of collections whose target could not be met.
        var compactOffsets = new int[collections + 1];
        for (int c = 0; c < collections; c++) compactOffsets[c + 1] = compactOffsets[c] + actual[c];
        var compact = new int[compactOffsets[collections]];
        for (int c = 0; c < collections; c++) Array.Copy(members, offsets[c], compact, compactOffsets[c], actual[c]);

        var entityIds = new long[n];
        for (int i = 0; i < n; i++) entityIds[i] = 1 + i;
        var collectionIds = new long[collections];
        for (int c = 0; c < collections; c++) collectionIds[c] = 1_000_000 + c;
        var provenance = new Provenance();
        foreach (var p in typeof(SyntheticCollectionOptions).GetProperties()) provenance.Parameters[p.Name] = p.GetValue(options);
        provenance.Parameters["Generator"] = "EmbedPS synthetic hierarchical collections";
        var set = new EntityCollectionSet(EntityIds.FromIntegers(entityIds), EntityIds.FromIntegers(collectionIds), compactOffsets, compact, provenance: provenance);
        var groupLabel = new string[n];
        var subgroupLabel = new string[n];
        var name = new string[n];
        for (int i = 0; i < n; i++)
        {
            groupLabel[i] = group[i] < 0 ? "noise" : $"G{group[i] + 1:00}";
            subgroupLabel[i] = group[i] < 0 ? "noise" : $"G{group[i] + 1:00}.S{subgroup[i] + 1}";
            name[i] = $"{subgroupLabel[i]} #{i + 1}";
        }
        return new SyntheticCollection { Collections = set, Group = group, Subgroup = subgroup, GroupLabel = groupLabel, SubgroupLabel = subgroupLabel, Name = name };
    }

    /// <summary>Samples pool members with probability ∝ 1/(rank+1)^s by binary search on the cumulative weights.</summary>
    private sealed class ZipfPool
    {
        private readonly int[] _items;
        private readonly double[] _cumulative;
        // Guide table (Chen & Asau): _guide[b] is the first index whose cumulative weight falls in bucket b or later, so a
        // draw in bucket b lies in [_guide[b], _guide[b + 1]] and a short search there finds the index a binary search over
        // the whole table finds.
        private readonly int[] _guide;
        private readonly double _bucketScale;

        public ZipfPool(int[] items, double exponent, int interleave = 1, int? shuffleSeed = null)
        {
            _items = items;
            if (shuffleSeed is { } seed)
            {
                var r = new DeterministicRandom(seed, -2);
                for (int i = _items.Length - 1; i > 0; i--) { int j = r.NextInt(i + 1); (_items[i], _items[j]) = (_items[j], _items[i]); }
            }
            _cumulative = new double[items.Length];
            int perBlock = Math.Max(1, items.Length / Math.Max(1, interleave));
            double sum = 0;
            for (int i = 0; i < items.Length; i++)
            {
                // With interleave > 1 the pool is a concatenation of sub-pools; rank restarts in each.
                int rank = interleave > 1 ? i % perBlock : i;
                sum += 1.0 / Math.Pow(rank + 1, exponent);
                _cumulative[i] = sum;
            }
            int buckets = items.Length;
            _bucketScale = buckets / sum;
            _guide = new int[buckets + 1];
            int first = 0;
            for (int b = 0; b <= buckets; b++)
            {
                while (first < items.Length && Bucket(_cumulative[first]) < b) first++;
                _guide[b] = Math.Min(first, items.Length - 1);
            }
        }

        /// <summary>Non-decreasing in <paramref name="weight"/>: the guide's bounds rely on it.</summary>
        private int Bucket(double weight) => Math.Min(_guide.Length - 2, (int)(weight * _bucketScale));

        public int Sample(ref DeterministicRandom random)
        {
            double u = random.NextDouble() * _cumulative[^1];
            // The first index whose cumulative weight reaches u (the last when none does), searched within u's bucket.
            int b = Bucket(u);
            int lo = _guide[b], hi = _guide[b + 1];
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_cumulative[mid] < u) lo = mid + 1; else hi = mid;
            }
            return _items[lo];
        }
    }
}
