using EmbedPS.Core.Artifacts;
using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Knn;

namespace EmbedPS.Core.NeighborPreservation;

/// <summary>Options of <see cref="NeighborPreservationBuilder"/>; null means "the reference default".</summary>
public sealed record NeighborPreservationOptions
{
    /// <summary>k; null → PyMDE's int(max(min(15, (n−1)/200), 5)): about 1 % of all pairs, between 5 and 15.</summary>
    public int? NeighborCount { get; init; }
    public SimilarityNormalization Normalize { get; init; } = NeighborPreservationSettings.Normalize.Default;
    public SimilarityTransform Transform { get; init; } = NeighborPreservationSettings.Transform.Default;
    /// <summary>Neighbourhood radius; null → 3 × the 75th percentile of edge lengths for graphs, unlimited for vectors.</summary>
    public double? MaxDistance { get; init; }
    public bool ConnectComponents { get; init; }
    /// <summary>#repulsive / #neighbour edges (PyMDE: 1 under its default Centered constraint, 0.5 under Standardized).</summary>
    public double RepulsiveFraction { get; init; } = NeighborPreservationSettings.RepulsiveFraction.Default;
    public KnnAlgorithm Algorithm { get; init; } = NeighborPreservationSettings.Algorithm.Default;
    public int Seed { get; init; }

    public static int DefaultNeighborCount(int n) => (int)Math.Max(Math.Min(15, (n - 1) / 200.0), 5);
}

/// <summary>
/// PyMDE's preserve_neighbors as a stage: kNN graph (weights 2 mutual / 1 one-way, distance = the kNN distance), uniformly
/// sampled repulsive pairs (weight −1). How to embed the graph (penalties, constraint, start) is Invoke-Mde's business.
/// </summary>
public static class NeighborPreservationBuilder
{
    /// <summary>From a co-occurrence graph: normalise, transform to lengths, kNN by shortest path within the radius.</summary>
    public static NeighborGraph FromCooccurrence(CooccurrenceMatrix matrix, NeighborPreservationOptions options, IStageLog? log = null,
        CancellationToken cancellation = default, Provenance? provenance = null)
    {
        log ??= StageLog.Null;
        int n = matrix.EntityCount;
        CheckCount(n);
        if (matrix.PairCount == 0)
            throw new EmbedPSException("DegenerateInput", EmbedPSErrorKind.InvalidData,
                $"{matrix}: no pair of entities co-occurs, so there are no neighbours to preserve (an embedding would collapse to a point). " +
                "Check the collections: every one holds a single entity.") { File = matrix.Provenance.ArtifactPath };
        for (long t = FirstNegative(matrix.Weights); t < matrix.Weights.LongLength; t++)
        {
            if (matrix.Weights[t] < 0)
            {
                int row = 0;
                while (matrix.RowOffsets[row + 1] <= t) row++;
                throw new EmbedPSException("NegativeWeight", EmbedPSErrorKind.InvalidData,
                    $"{matrix}: the pair ({matrix.Entities.GetText(row)}, {matrix.Entities.GetText(matrix.ColumnIndices[t])}) has weight {matrix.Weights[t].ToString(System.Globalization.CultureInfo.InvariantCulture)}; graph distances need weights ≥ 0, so the neighbour search cannot use negative weights.")
                { File = matrix.Provenance.ArtifactPath, Value = matrix.Weights[t].ToString(System.Globalization.CultureInfo.InvariantCulture) };
            }
        }
        int k = ResolveK(n, options, log);
        // The k nearest by path length only ever use each entity's k + 1 shortest edges (see GraphKnn), so the length graph
        // keeps just those — a dense 50,000-entity co-occurrence matrix holds ~400 M pairs, the kept graph under a million.
        // The radius and the component report still see every pair.
        // One pass over the pairs gives both the kept edges and the histogram of the radius's quantile.
        DistanceGraph graph;
        double radius;
        if (options.MaxDistance is { } maxDistance)
        {
            radius = maxDistance;
            graph = DistanceGraph.FromCooccurrence(matrix, options.Normalize, options.Transform, cancellation, keepPerRow: k + 1);
        }
        else
        {
            graph = DistanceGraph.FromCooccurrence(matrix, options.Normalize, options.Transform, 0.75, out double quantile, cancellation, keepPerRow: k + 1);
            radius = 3 * quantile;
        }
        if (double.IsNaN(radius)) radius = double.PositiveInfinity;
        log.Verbose($"{graph.Targets.LongLength:N0} directed edges kept (each entity's {k + 1} shortest) after {options.Normalize} normalisation and " +
                    $"{options.Transform} transform; radius {radius:G4}{(options.MaxDistance is null ? " (3 × the 75th percentile of all pair lengths)" : "")}.");
        ReportInputComponents(matrix, log);
        var lists = GraphKnn.Search(graph, k, radius, log, cancellation);
        // Component links search every pair of the matrix, not just the kept shortest edges (a component of the kNN graph is
        // exactly a set whose shortest edges stay inside it).
        Dictionary<int, (float Length, int A, int B)> CrossingEdges(int[] root) =>
            DistanceGraph.ShortestCrossingEdges(matrix, options.Normalize, options.Transform, root, cancellation);
        return Assemble(matrix.Entities, matrix.Popularity, lists, k, options, null, 0, log, cancellation, provenance, isGraph: true, CrossingEdges);
    }

    /// <summary>From vectors (row-major count × dimension): Euclidean kNN, exact or approximate by <see cref="VectorKnn.Search"/>.</summary>
    public static NeighborGraph FromVectors(EntityIds entities, int[] popularity, float[] data, int dimension, NeighborPreservationOptions options,
        IStageLog? log = null, CancellationToken cancellation = default, Provenance? provenance = null)
    {
        log ??= StageLog.Null;
        int n = entities.Count;
        CheckCount(n);
        for (long t = 0; t < data.LongLength; t++)
        {
            if (!float.IsFinite(data[t]))
                throw new EmbedPSException("NonFiniteFeature", EmbedPSErrorKind.InvalidData,
                    $"Entity '{entities.GetText((int)(t / dimension))}' has a non-finite value ({data[t]}) in feature {t % dimension}.")
                { Row = t / dimension + 1, Value = data[t].ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }
        int k = ResolveK(n, options, log);
        var knn = VectorKnn.Search(data, n, dimension, k, options.Algorithm, options.Seed, log, cancellation);
        double radius = options.MaxDistance ?? double.PositiveInfinity;
        var lists = NeighborLists.FromKnn(knn, radius);
        int duplicates = 0;
        for (int i = 0; i < n; i++) if (lists.Counts[i] > 0 && lists.DistancesOf(i)[0] == 0) duplicates++;
        if (duplicates > 0) log.Warning($"{duplicates:N0} entities have an identical twin (distance 0); their edges are kept.");
        return Assemble(entities, popularity, lists, k, options, data, dimension, log, cancellation, provenance, isGraph: false);
    }

    private static void CheckCount(int n)
    {
        if (n < 3)
            throw new EmbedPSException("TooFewEntities", EmbedPSErrorKind.InvalidData, $"Neighbour preservation needs at least 3 entities; the input has {n}.");
    }

    private static int ResolveK(int n, NeighborPreservationOptions options, IStageLog log)
    {
        int k = options.NeighborCount ?? NeighborPreservationOptions.DefaultNeighborCount(n);
        if (k < 1) throw new EmbedPSException("BadNeighborCount", EmbedPSErrorKind.InvalidArgument, $"-NeighborCount must be at least 1 (got {k}).");
        if (k >= n)
        {
            log.Warning($"-NeighborCount {k} is not below the number of entities ({n}); using {n - 1}.");
            k = n - 1;
        }
        log.Verbose($"k = {k} neighbours per entity{(options.NeighborCount is null ? " (default: about 1 % of all pairs, between 5 and 15)" : "")}.");
        return k;
    }

    /// <summary>The index of the first negative weight (a vector scan), or the length when there is none.</summary>
    internal static long FirstNegative(float[] weights)
    {
        var span = weights.AsSpan();
        int width = System.Numerics.Vector<float>.Count, t = 0;
        for (; t + width <= span.Length; t += width)
            if (System.Numerics.Vector.LessThanAny(new System.Numerics.Vector<float>(span.Slice(t, width)), System.Numerics.Vector<float>.Zero)) return t;
        for (; t < span.Length; t++) if (span[t] < 0) return t;
        return span.Length;
    }

    /// <summary>
    /// The connected components of the pairs with a positive weight, by breadth-first search over the rows (each stored entry
    /// read once, against a visited array that stays in cache) rather than a union per pair.
    /// </summary>
    private static void ReportInputComponents(CooccurrenceMatrix matrix, IStageLog log)
    {
        int n = matrix.EntityCount;
        var visited = new bool[n];
        var queue = new int[n];
        var sizes = new List<int>();
        for (int start = 0; start < n; start++)
        {
            if (visited[start]) continue;
            visited[start] = true;
            int head = 0, tail = 0;
            queue[tail++] = start;
            while (head < tail)
            {
                int i = queue[head++];
                for (long e = matrix.RowOffsets[i], end = matrix.RowOffsets[i + 1]; e < end; e++)
                {
                    int j = matrix.ColumnIndices[e];
                    if (visited[j] || !(matrix.Weights[e] > 0)) continue;
                    visited[j] = true;
                    queue[tail++] = j;
                }
            }
            sizes.Add(tail);
        }
        if (sizes.Count > 1) log.Verbose($"The input graph has {sizes.Count:N0} connected components; sizes {DescribeSizes(sizes.ToArray())}.");
    }

    internal static string DescribeSizes(int[] sizes)
    {
        var sorted = sizes.OrderByDescending(s => s).ToArray();
        var head = string.Join(", ", sorted.Take(8).Select(s => s.ToString("N0")));
        int singletons = sorted.Count(s => s == 1);
        return head + (sorted.Length > 8 ? ", …" : "") + (singletons > 0 ? $" ({singletons:N0} isolated entities)" : "");
    }

    private static NeighborGraph Assemble(EntityIds entities, int[] popularity, NeighborLists lists, int k, NeighborPreservationOptions options,
        float[]? data, int dimension, IStageLog log, CancellationToken cancellation, Provenance? provenance, bool isGraph,
        Func<int[], Dictionary<int, (float Length, int A, int B)>>? crossingEdges = null)
    {
        int n = entities.Count;
        int short_ = 0, isolated = 0;
        for (int i = 0; i < n; i++)
        {
            if (lists.Counts[i] < k) short_++;
            if (lists.Counts[i] == 0) isolated++;
        }
        if (short_ > 0)
            log.Warning($"{short_:N0} of {n:N0} entities have fewer than {k} neighbours within the radius" +
                        (isolated > 0 ? $" ({isolated:N0} have none and get no attractive edge of their own)" : "") +
                        (isGraph ? "; raise -MaxDistance to reach further." : "; raise -MaxDistance or leave it unset."));

        var (keys, weights, distances) = NeighborEdges(lists, n);
        var components = new Components(n);
        foreach (var key in keys) components.Union((int)(key / n), (int)(key % n));
        var (labels, sizes) = components.Label();
        if (sizes.Length > 1)
        {
            log.Warning($"The neighbour graph has {sizes.Length:N0} connected components (sizes {DescribeSizes(sizes)})" +
                        (options.ConnectComponents ? "; linking them (-ConnectComponents)." : "; without -ConnectComponents the smaller ones drift apart freely."));
            if (options.ConnectComponents)
            {
                var links = isGraph ? LinkByGraph(n, popularity, keys, distances, crossingEdges!) : LinkByVectors(data!, dimension, labels, sizes, popularity, distances, cancellation);
                (keys, weights, distances) = MergeLinks(keys, weights, distances, links, n);
                log.Verbose($"Added {links.Count:N0} linking edges.");
            }
        }
        int neighborEdges = keys.Length;
        log.Verbose($"{neighborEdges:N0} neighbour edges ({weights.Count(w => w == 2):N0} mutual).");

        double fraction = options.RepulsiveFraction;
        if (fraction < 0 || double.IsNaN(fraction)) throw new EmbedPSException("BadRepulsiveFraction", EmbedPSErrorKind.InvalidArgument, $"-RepulsiveFraction must be ≥ 0 (got {fraction}).");
        var repulsive = RepulsiveSampler.Sample(n, keys, fraction, options.Seed, cancellation);
        log.Verbose($"{repulsive.Length:N0} repulsive pairs sampled (fraction {fraction:G3}).");

        int m = neighborEdges + repulsive.Length;
        var source = new int[m];
        var target = new int[m];
        var w = new float[m];
        var d = new float[m];
        for (int e = 0; e < neighborEdges; e++)
        {
            source[e] = (int)(keys[e] / n); target[e] = (int)(keys[e] % n); w[e] = weights[e]; d[e] = distances[e];
        }
        Parallel.For(0, repulsive.Length, r =>
        {
            int e = neighborEdges + r;
            int a = (int)(repulsive[r] / n), b = (int)(repulsive[r] % n);
            source[e] = a; target[e] = b; w[e] = -1;
            // Vectors: the true distance; graphs: unknown (beyond the neighbourhood), stored as NaN.
            d[e] = data is null ? float.NaN : MathF.Sqrt(VectorKnn.SquaredDistance(data.AsSpan(a * dimension, dimension), data.AsSpan(b * dimension, dimension)));
        });

        // The graph's k (given or PyMDE's default) is its sweepable setting: recorded for a sweep's table, names and captions.
        provenance ??= new Provenance();
        provenance.WithSettings([new(NeighborPreservationSettings.NeighborCount.Name, k)], []);
        return new NeighborGraph(entities, popularity, source, target, w, d, provenance);
    }

    /// <summary>Canonical edges from directed lists: sorted keys i·n + j (i &lt; j), weight = 1 or 2 directions, the kNN distance.</summary>
    internal static (long[] Keys, float[] Weights, float[] Distances) NeighborEdges(NeighborLists lists, int n)
    {
        long total = 0;
        for (int i = 0; i < n; i++) total += lists.Counts[i];
        var directed = new long[total];
        var directedDistance = new float[total];
        long o = 0;
        for (int i = 0; i < n; i++)
        {
            var neighbors = lists.NeighborsOf(i);
            var dist = lists.DistancesOf(i);
            for (int r = 0; r < neighbors.Length; r++)
            {
                int j = neighbors[r];
                if (j == i) continue;
                directed[o] = (long)Math.Min(i, j) * n + Math.Max(i, j);
                directedDistance[o++] = dist[r];
            }
        }
        Array.Resize(ref directed, (int)o);
        Array.Resize(ref directedDistance, (int)o);
        Array.Sort(directed, directedDistance);
        var keys = new List<long>(directed.Length);
        var weights = new List<float>(directed.Length);
        var distances = new List<float>(directed.Length);
        for (int t = 0; t < directed.Length; t++)
        {
            if (keys.Count > 0 && keys[^1] == directed[t])
            {
                weights[^1] = 2;
                distances[^1] = Math.Min(distances[^1], directedDistance[t]);
                continue;
            }
            keys.Add(directed[t]); weights.Add(1); distances.Add(directedDistance[t]);
        }
        return (keys.ToArray(), weights.ToArray(), distances.ToArray());
    }

    /// <summary>
    /// -ConnectComponents for graphs: Borůvka rounds over every pair of the input matrix — every component adds its shortest edge
    /// to another component — until no input edge crosses components; components the input itself leaves apart are then
    /// joined to the largest one through their most popular entities, at the largest neighbour distance.
    /// </summary>
    private static List<(int A, int B, float Distance)> LinkByGraph(int n, int[] popularity, long[] keys, float[] distances,
        Func<int[], Dictionary<int, (float Length, int A, int B)>> crossingEdges)
    {
        var components = new Components(n);
        foreach (var key in keys) components.Union((int)(key / n), (int)(key % n));
        var links = new List<(int, int, float)>();
        while (true)
        {
            var root = new int[n];
            for (int i = 0; i < n; i++) root[i] = components.Find(i);
            var best = crossingEdges(root);
            if (best.Count == 0) break;
            foreach (var (_, (length, a, b)) in best.OrderBy(p => p.Key))
            {
                if (components.Union(a, b)) links.Add((a, b, length));
            }
        }
        float fallback = distances.Length > 0 ? distances.Max() : 1f;
        LinkRemainingByPopularity(components, n, popularity, links, fallback);
        return links;
    }

    private static void LinkRemainingByPopularity(Components components, int n, int[] popularity, List<(int, int, float)> links, float distance)
    {
        var (labels, sizes) = components.Label();
        if (sizes.Length <= 1) return;
        var hub = new int[sizes.Length];
        Array.Fill(hub, -1);
        for (int i = 0; i < n; i++)
        {
            int c = labels[i];
            if (hub[c] < 0 || popularity[i] > popularity[hub[c]]) hub[c] = i;
        }
        int largest = Array.IndexOf(sizes, sizes.Max());
        for (int c = 0; c < sizes.Length; c++)
        {
            if (c == largest) continue;
            int a = Math.Min(hub[c], hub[largest]), b = Math.Max(hub[c], hub[largest]);
            links.Add((a, b, distance));
        }
    }

    /// <summary>
    /// -ConnectComponents for vectors: each component other than the largest is linked, from its most popular member (the first
    /// one when popularity is flat), to that member's nearest entity outside the component.
    /// </summary>
    private static List<(int A, int B, float Distance)> LinkByVectors(float[] data, int dimension, int[] labels, int[] sizes, int[] popularity,
        float[] distances, CancellationToken cancellation)
    {
        int n = labels.Length;
        if (sizes.Length > MaxNearestLinks)
        {
            // Many components: an exact nearest-outsider scan each would cost components × n × d; link hubs instead.
            var components = new Components(n);
            var first = new int[sizes.Length];
            Array.Fill(first, -1);
            for (int i = 0; i < n; i++)
            {
                if (first[labels[i]] < 0) first[labels[i]] = i; else components.Union(i, first[labels[i]]);
            }
            var hubLinks = new List<(int, int, float)>();
            LinkRemainingByPopularity(components, n, popularity, hubLinks, distances.Length > 0 ? distances.Max() : 1f);
            return hubLinks;
        }
        var hub = new int[sizes.Length];
        Array.Fill(hub, -1);
        for (int i = 0; i < n; i++)
        {
            int c = labels[i];
            if (hub[c] < 0 || popularity[i] > popularity[hub[c]]) hub[c] = i;
        }
        int largest = Array.IndexOf(sizes, sizes.Max());
        var links = new (int, int, float)[sizes.Length];
        Parallel.For(0, sizes.Length, new ParallelOptions { CancellationToken = cancellation }, c =>
        {
            if (c == largest) { links[c] = (-1, -1, 0); return; }
            int h = hub[c];
            var row = data.AsSpan(h * dimension, dimension);
            float best = float.PositiveInfinity; int bestIndex = -1;
            for (int j = 0; j < n; j++)
            {
                if (labels[j] == c) continue;
                float d = VectorKnn.SquaredDistance(row, data.AsSpan(j * dimension, dimension));
                if (d < best) { best = d; bestIndex = j; }
            }
            links[c] = (Math.Min(h, bestIndex), Math.Max(h, bestIndex), MathF.Sqrt(best));
        });
        return links.Where(l => l.Item1 >= 0).ToList();
    }

    /// <summary>Above this many components, vector components are linked hub to hub rather than to their nearest outsider.</summary>
    private const int MaxNearestLinks = 256;

    private static (long[] Keys, float[] Weights, float[] Distances) MergeLinks(long[] keys, float[] weights, float[] distances, List<(int A, int B, float Distance)> links, int n)
    {
        var all = new SortedDictionary<long, (float W, float D)>();
        for (int e = 0; e < keys.Length; e++) all[keys[e]] = (weights[e], distances[e]);
        foreach (var (a, b, d) in links)
        {
            long key = (long)a * n + b;
            if (!all.ContainsKey(key)) all[key] = (1, d);
        }
        return (all.Keys.ToArray(), all.Values.Select(v => v.W).ToArray(), all.Values.Select(v => v.D).ToArray());
    }
}
