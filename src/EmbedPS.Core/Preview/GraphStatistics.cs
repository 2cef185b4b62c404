using EmbedPS.Core.Collections;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.NeighborPreservation;

namespace EmbedPS.Core.Preview;

/// <summary>Connected components of an undirected graph: how many, the largest, and the isolated vertices (degree 0).</summary>
public sealed record ComponentSummary(int Count, int LargestSize, int IsolatedCount, int VertexCount)
{
    public double LargestShare => VertexCount == 0 ? 0 : (double)LargestSize / VertexCount;

    public override string ToString() =>
        $"{Count:N0} component{(Count == 1 ? "" : "s")} (largest {LargestSize:N0} = {LargestShare:P0}), {IsolatedCount:N0} isolated";
}

/// <summary>Degree, weight and component statistics of the graph-like stages, for their previews.</summary>
public static class GraphStatistics
{
    /// <summary>Union–find (union by size, path halving) over the edges; vertices without edges count as isolated components.</summary>
    public static ComponentSummary Components(int vertexCount, ReadOnlySpan<int> source, ReadOnlySpan<int> target, ReadOnlySpan<int> degree)
    {
        var parent = new int[vertexCount];
        var size = new int[vertexCount];
        for (int i = 0; i < vertexCount; i++) { parent[i] = i; size[i] = 1; }
        int components = vertexCount;
        for (int k = 0; k < source.Length; k++)
        {
            int a = Find(parent, source[k]), b = Find(parent, target[k]);
            if (a == b) continue;
            if (size[a] < size[b]) (a, b) = (b, a);
            parent[b] = a;
            size[a] += size[b];
            components--;
        }
        int largest = 0, isolated = 0;
        for (int i = 0; i < vertexCount; i++)
        {
            if (parent[i] == i) largest = Math.Max(largest, size[i]);
            if (degree[i] == 0) isolated++;
        }
        return new ComponentSummary(components, largest, isolated, vertexCount);
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    public static int[] Degrees(CooccurrenceMatrix matrix)
    {
        var degree = new int[matrix.EntityCount];
        for (int i = 0; i < degree.Length; i++) degree[i] = (int)(matrix.RowOffsets[i + 1] - matrix.RowOffsets[i]);
        return degree;
    }

    /// <summary>
    /// Components of the matrix's pairs by breadth-first search over its rows: each stored entry is read once, in order, against
    /// a visited array that stays in cache (a union–find call per pair was ~4 s for the 197.6 M pairs of the atlas-size demo).
    /// </summary>
    public static ComponentSummary Components(CooccurrenceMatrix matrix)
    {
        int n = matrix.EntityCount;
        var visited = new bool[n];
        var queue = new int[n];
        int components = 0, isolated = 0, largest = 0;
        for (int start = 0; start < n; start++)
        {
            if (matrix.RowOffsets[start + 1] == matrix.RowOffsets[start]) isolated++;
            if (visited[start]) continue;
            visited[start] = true;
            int head = 0, tail = 0;
            queue[tail++] = start;
            while (head < tail)
            {
                int i = queue[head++];
                foreach (int j in matrix.PartnersOf(i))
                {
                    if (visited[j]) continue;
                    visited[j] = true;
                    queue[tail++] = j;
                }
            }
            components++;
            largest = Math.Max(largest, tail);
        }
        return new ComponentSummary(components, largest, isolated, n);
    }

    /// <summary>The weight of every pair once (upper triangle), as stored (float32: half the memory of doubles).</summary>
    public static float[] PairWeights(CooccurrenceMatrix matrix)
    {
        var weights = new float[matrix.PairCount];
        int k = 0;
        for (int i = 0; i < matrix.EntityCount && k < weights.Length; i++)
        {
            var partners = matrix.PartnersOf(i);
            var w = matrix.WeightsOf(i);
            for (int p = 0; p < partners.Length; p++) if (partners[p] > i && k < weights.Length) weights[k++] = w[p];
        }
        return k == weights.Length ? weights : weights[..k];
    }

    /// <summary>Neighbour-edge degree of every entity (edges with positive weight; repulsive pairs are not neighbours).</summary>
    public static int[] NeighborDegrees(NeighborGraph graph)
    {
        var degree = new int[graph.EntityCount];
        for (int e = 0; e < graph.EdgeCount; e++)
        {
            if (graph.Weights[e] <= 0) continue;
            degree[graph.EdgeSource[e]]++;
            degree[graph.EdgeTarget[e]]++;
        }
        return degree;
    }

    public static ComponentSummary Components(NeighborGraph graph)
    {
        var source = new List<int>(graph.NeighborEdgeCount);
        var target = new List<int>(graph.NeighborEdgeCount);
        for (int e = 0; e < graph.EdgeCount; e++)
        {
            if (graph.Weights[e] <= 0) continue;
            source.Add(graph.EdgeSource[e]);
            target.Add(graph.EdgeTarget[e]);
        }
        return Components(graph.EntityCount, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(source),
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(target), NeighborDegrees(graph));
    }

    public static int[] CollectionSizes(EntityCollectionSet set)
    {
        var sizes = new int[set.CollectionCount];
        for (int c = 0; c < sizes.Length; c++) sizes[c] = set.SizeOf(c);
        return sizes;
    }
}

/// <summary>
/// A histogram on logarithmic bins, as density (count ÷ bin width) so that a power law is a straight line on log–log axes.
/// Integer data (degrees, sizes, counts) uses integer-aligned bins: edges ⌈1.25^k⌉, so small values get one bin each
/// and no bin is empty merely because it holds no integer. Zero and negative values cannot be placed on a log axis:
/// they are counted in <see cref="NonPositiveCount"/>.
/// </summary>
public sealed record LogHistogram(double[] Centers, double[] Density, long[] Counts, long NonPositiveCount)
{
    public const double IntegerBinRatio = 1.25;
    public const int RealBinsPerDecade = 10;

    public static LogHistogram Compute(ReadOnlySpan<double> values) => ComputeCore(values);

    /// <summary>As for doubles, without a widened copy (the atlas demo's 197.6 M pair weights).</summary>
    public static LogHistogram Compute(ReadOnlySpan<float> values) => ComputeCore(values);

    /// <summary>
    /// As <c>Compute(GraphStatistics.PairWeights(matrix))</c> — every pair's weight once — read straight from the matrix's upper
    /// triangle in parallel over rows (integer counts: the same histogram for any thread count), without the copy of the weights
    /// (0.8 GB for the atlas-size demo's 197.6 M pairs), and with integer weights binned through a lookup table.
    /// </summary>
    public static LogHistogram ComputePairWeights(CooccurrenceMatrix matrix)
    {
        int n = matrix.EntityCount;
        var stats = new Stats();
        object gate = new();
        Parallel.For(0, (n + 63) / 64, () => new Stats(), (block, _, local) =>
        {
            for (int i = block * 64, end = Math.Min(n, i + 64); i < end; i++)
            {
                var partners = matrix.PartnersOf(i);
                var weights = matrix.WeightsOf(i);
                for (int p = FirstAbove(partners, i); p < partners.Length; p++) local.Add(weights[p]);
            }
            return local;
        }, local => { lock (gate) stats.Merge(local); });
        if (stats.Max == 0) return new LogHistogram(Array.Empty<double>(), Array.Empty<double>(), Array.Empty<long>(), stats.NonPositive);
        var edges = Edges(stats.Min, stats.Max, stats.Integer);
        var bins = new Bins(edges, stats.Integer, stats.Max);
        var counts = new long[edges.Length - 1];
        Parallel.For(0, (n + 63) / 64, () => new long[counts.Length], (block, _, local) =>
        {
            for (int i = block * 64, end = Math.Min(n, i + 64); i < end; i++)
            {
                var partners = matrix.PartnersOf(i);
                var weights = matrix.WeightsOf(i);
                for (int p = FirstAbove(partners, i); p < partners.Length; p++)
                {
                    double v = weights[p];
                    if (!(v > 0) || !double.IsFinite(v)) continue;
                    local[bins.Of(v)]++;
                }
            }
            return local;
        }, local => { lock (gate) for (int b = 0; b < counts.Length; b++) counts[b] += local[b]; });
        return FromCounts(edges, counts, stats.Integer, stats.NonPositive);
    }

    private static int FirstAbove(ReadOnlySpan<int> partners, int row)
    {
        int k = partners.BinarySearch(row);
        return k >= 0 ? k + 1 : ~k;
    }

    /// <summary>Running count of non-positive values, min, max and whether every value is an integer.</summary>
    private sealed class Stats
    {
        public long NonPositive;
        public double Min = double.PositiveInfinity, Max;
        public bool Integer = true;

        public void Add(double v)
        {
            if (!(v > 0) || !double.IsFinite(v)) { NonPositive++; return; }
            Min = Math.Min(Min, v); Max = Math.Max(Max, v);
            if (Integer && v != Math.Floor(v)) Integer = false;
        }

        public void Merge(Stats other)
        {
            NonPositive += other.NonPositive;
            Min = Math.Min(Min, other.Min); Max = Math.Max(Max, other.Max);
            Integer &= other.Integer;
        }
    }

    /// <summary>The bin of a positive value: the last edge at or below it (binary search), through a table for small integers.</summary>
    private readonly struct Bins
    {
        private const int TableLimit = 1 << 16;
        private readonly double[] _edges;
        private readonly int[]? _table;

        public Bins(double[] edges, bool integer, double max)
        {
            _edges = edges;
            _table = null;
            if (!integer) return;
            int size = (int)Math.Min(TableLimit, max) + 1;
            var table = new int[size];
            for (int v = 1; v < size; v++) table[v] = Search(edges, v);
            _table = table;
        }

        public int Of(double v) => _table is { } t && v < t.Length ? t[(int)v] : Search(_edges, v);

        private static int Search(double[] edges, double v)
        {
            int lo = 0, hi = edges.Length - 2;
            while (lo < hi)
            {
                int mid = (lo + hi + 1) >> 1;
                if (edges[mid] <= v) lo = mid; else hi = mid - 1;
            }
            return lo;
        }
    }

    private static double[] Edges(double min, double max, bool integer)
    {
        var edges = new List<double>();
        if (integer)
        {
            // Integer bins [e_k, e_{k+1}): 1, 2, 3, 4, 5, 6, 7, 9, 12, 15, 19, 24, ... (distinct ⌈1.25^k⌉).
            double e = Math.Max(1, min);
            edges.Add(e);
            double power = 1;
            while (edges[^1] <= max)
            {
                power *= IntegerBinRatio;
                double next = Math.Max(edges[^1] + 1, Math.Ceiling(min * power));
                edges.Add(next);
            }
        }
        else
        {
            double ratio = Math.Pow(10, 1.0 / RealBinsPerDecade);
            double e = min;
            edges.Add(e);
            while (edges[^1] <= max) edges.Add(edges[^1] * ratio);
        }
        return edges.ToArray();
    }

    private static LogHistogram FromCounts(double[] edges, long[] counts, bool integer, long nonPositive)
    {
        var centers = new List<double>();
        var density = new List<double>();
        var kept = new List<long>();
        for (int b = 0; b < counts.Length; b++)
        {
            if (counts[b] == 0) continue;
            double width = edges[b + 1] - edges[b];
            // Integer bin [a, b) holds the integers a … b−1: its centre is their geometric middle.
            double center = integer ? Math.Sqrt(edges[b] * (edges[b + 1] - 1)) : Math.Sqrt(edges[b] * edges[b + 1]);
            centers.Add(center);
            density.Add(counts[b] / width);
            kept.Add(counts[b]);
        }
        return new LogHistogram(centers.ToArray(), density.ToArray(), kept.ToArray(), nonPositive);
    }

    private static LogHistogram ComputeCore<T>(ReadOnlySpan<T> source) where T : System.Numerics.INumberBase<T>
    {
        var values = new WidenedSpan<T>(source);
        long nonPositive = 0;
        double min = double.PositiveInfinity, max = 0;
        bool integer = true;
        foreach (var v in values)
        {
            if (!(v > 0) || !double.IsFinite(v)) { nonPositive++; continue; }
            min = Math.Min(min, v); max = Math.Max(max, v);
            if (integer && v != Math.Floor(v)) integer = false;
        }
        if (max == 0) return new LogHistogram(Array.Empty<double>(), Array.Empty<double>(), Array.Empty<long>(), nonPositive);
        var edges = Edges(min, max, integer);
        var counts = new long[edges.Length - 1];
        foreach (var v in values)
        {
            if (!(v > 0) || !double.IsFinite(v)) continue;
            int lo = 0, hi = counts.Length - 1;
            while (lo < hi)
            {
                int mid = (lo + hi + 1) >> 1;
                if (edges[mid] <= v) lo = mid; else hi = mid - 1;
            }
            counts[lo]++;
        }
        return FromCounts(edges, counts, integer, nonPositive);
    }

    public static LogHistogram Compute(ReadOnlySpan<int> values) => ComputeCore(values);

    /// <summary>A span of numbers enumerated as doubles (exact for int and float).</summary>
    private readonly ref struct WidenedSpan<T>(ReadOnlySpan<T> values) where T : System.Numerics.INumberBase<T>
    {
        private readonly ReadOnlySpan<T> _values = values;
        public Enumerator GetEnumerator() => new(_values);

        public ref struct Enumerator(ReadOnlySpan<T> values)
        {
            private readonly ReadOnlySpan<T> _values = values;
            private int _index = -1;
            public bool MoveNext() => ++_index < _values.Length;
            public readonly double Current => double.CreateTruncating(_values[_index]);
        }
    }
}
