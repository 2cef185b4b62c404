using EmbedPS.Core.Common;
using EmbedPS.Core.Cooccurrence;
using EmbedPS.Core.Mde;
using EmbedPS.Core.NeighborPreservation;
using EmbedPS.Core.Preview;

namespace EmbedPS.Tests.Preview;

/// <summary>The numbers behind the previews: components, log histograms, point sizes, PCA, rasterised discs, colours, metadata.</summary>
[Trait("Category", "Unit")]
public sealed class PreviewStatisticsTests
{
    [Fact]
    public void Components_by_hand()
    {
        // 0-1-2 chained, 3-4 paired, 5 alone: 3 components, the largest of 3, one isolated vertex.
        int[] source = { 0, 1, 3 }, target = { 1, 2, 4 }, degree = { 1, 2, 1, 1, 1, 0 };
        var summary = GraphStatistics.Components(6, source, target, degree);
        Assert.Equal(new ComponentSummary(3, 3, 1, 6), summary);
    }

    [Fact]
    public void Components_agree_with_breadth_first_search()
    {
        var random = new DeterministicRandom(5);
        int n = 300;
        var source = new int[200];
        var target = new int[200];
        for (int e = 0; e < source.Length; e++) { source[e] = random.NextInt(n); target[e] = random.NextInt(n); }
        var adjacency = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        var degree = new int[n];
        for (int e = 0; e < source.Length; e++)
        {
            adjacency[source[e]].Add(target[e]); adjacency[target[e]].Add(source[e]);
            degree[source[e]]++; degree[target[e]]++;
        }
        var seen = new bool[n];
        int components = 0, largest = 0;
        for (int s = 0; s < n; s++)
        {
            if (seen[s]) continue;
            components++;
            int size = 0;
            var queue = new Queue<int>(new[] { s });
            seen[s] = true;
            while (queue.Count > 0)
            {
                int v = queue.Dequeue(); size++;
                foreach (int w in adjacency[v]) if (!seen[w]) { seen[w] = true; queue.Enqueue(w); }
            }
            largest = Math.Max(largest, size);
        }
        var summary = GraphStatistics.Components(n, source, target, degree);
        Assert.Equal(components, summary.Count);
        Assert.Equal(largest, summary.LargestSize);
        Assert.Equal(degree.Count(d => d == 0), summary.IsolatedCount);
    }

    [Fact]
    public void Matrix_components_and_weight_histogram_agree_with_the_edge_list_versions()
    {
        // A random sparse symmetric matrix: components walked from its rows equal union–find over its pair list, and the
        // histogram of its float weights equals that of the same weights widened to doubles.
        var random = new Random(4);
        int n = 300;
        var pairs = new SortedDictionary<(int, int), float>();
        for (int e = 0; e < 260; e++)
        {
            int a = random.Next(n), b = random.Next(n);
            if (a != b) pairs[(Math.Min(a, b), Math.Max(a, b))] = random.Next(1, 40) * (random.Next(2) == 0 ? 1f : 0.37f);
        }
        var rows = Enumerable.Range(0, n).Select(_ => new SortedDictionary<int, float>()).ToArray();
        foreach (var ((a, b), w) in pairs) { rows[a][b] = w; rows[b][a] = w; }
        var offsets = new long[n + 1];
        for (int i = 0; i < n; i++) offsets[i + 1] = offsets[i] + rows[i].Count;
        var matrix = new CooccurrenceMatrix(EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray()), new int[n], offsets,
            rows.SelectMany(r => r.Keys).ToArray(), rows.SelectMany(r => r.Values).ToArray());
        var source = pairs.Keys.Select(p => p.Item1).ToArray();
        var target = pairs.Keys.Select(p => p.Item2).ToArray();
        Assert.Equal(GraphStatistics.Components(n, source, target, GraphStatistics.Degrees(matrix)), GraphStatistics.Components(matrix));
        var weights = GraphStatistics.PairWeights(matrix);
        Assert.Equal(pairs.Values.OrderBy(w => w), weights.OrderBy(w => w));
        var fromFloats = LogHistogram.Compute(weights);
        var fromDoubles = LogHistogram.Compute(weights.Select(w => (double)w).ToArray());
        Assert.Equal(fromDoubles.Counts, fromFloats.Counts);
        Assert.Equal(fromDoubles.Centers, fromFloats.Centers);
        Assert.Equal(fromDoubles.Density, fromFloats.Density);
        Assert.Equal(fromDoubles.NonPositiveCount, fromFloats.NonPositiveCount);
        // Read straight from the matrix (parallel, no copy): the same histogram, real weights here and integer counts below.
        AssertSameHistogram(fromDoubles, LogHistogram.ComputePairWeights(matrix));
        var counts = new CooccurrenceMatrix(matrix.Entities, matrix.Popularity, matrix.RowOffsets, matrix.ColumnIndices,
            matrix.Weights.Select(w => MathF.Ceiling(w) * (w > 30 ? 5000 : 1)).ToArray());
        AssertSameHistogram(LogHistogram.Compute(GraphStatistics.PairWeights(counts)), LogHistogram.ComputePairWeights(counts));
    }

    private static void AssertSameHistogram(LogHistogram expected, LogHistogram actual)
    {
        Assert.Equal(expected.Counts, actual.Counts);
        Assert.Equal(expected.Centers, actual.Centers);
        Assert.Equal(expected.Density, actual.Density);
        Assert.Equal(expected.NonPositiveCount, actual.NonPositiveCount);
    }

    [Fact]
    public void Cooccurrence_and_graph_statistics_count_each_pair_once()
    {
        // Pairs (0,1) weight 2 and (1,2) weight 5; entity 3 has no partner.
        var ids = EntityIds.FromIntegers(new long[] { 10, 11, 12, 13 });
        var matrix = new CooccurrenceMatrix(ids, new[] { 1, 2, 1, 1 }, new long[] { 0, 1, 3, 4, 4 }, new[] { 1, 0, 2, 1 }, new[] { 2f, 2f, 5f, 5f });
        Assert.Equal(new[] { 1, 2, 1, 0 }, GraphStatistics.Degrees(matrix));
        Assert.Equal(new[] { 2f, 5f }, GraphStatistics.PairWeights(matrix).OrderBy(w => w));
        Assert.Equal(new ComponentSummary(2, 3, 1, 4), GraphStatistics.Components(matrix));
        // A repulsive pair (negative weight) joins nothing.
        var graph = new NeighborGraph(ids, new[] { 1, 1, 1, 1 }, new[] { 0, 2 }, new[] { 1, 3 }, new[] { 2f, -1f }, new[] { 0.5f, 1f });
        Assert.Equal(new[] { 1, 1, 0, 0 }, GraphStatistics.NeighborDegrees(graph));
        Assert.Equal(new ComponentSummary(3, 2, 2, 4), GraphStatistics.Components(graph));
    }

    [Fact]
    public void Log_histogram_of_integers_by_hand()
    {
        // Unit bins up to 12, then ⌈1.25^k⌉: [12,15) [15,19) [19,23) [23,29) …; 10 is alone, 13 and 14 share a bin of width 3.
        var histogram = LogHistogram.Compute(new double[] { 0, 1, 1, 2, 10, 13, 14, 20 });
        Assert.Equal(1, histogram.NonPositiveCount);
        Assert.Equal(new long[] { 2, 1, 1, 2, 1 }, histogram.Counts);
        Assert.Equal(new[] { 2.0, 1.0, 1.0, 2.0 / 3, 1.0 / 4 }, histogram.Density.Select(d => Math.Round(d, 12)).ToArray(), new RoundedComparer());
        Assert.Equal(Math.Sqrt(12 * 14), histogram.Centers[3], 9);
        Assert.Equal(10, histogram.Centers[2], 9);
    }

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-9;
        public int GetHashCode(double value) => 0;
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Log_histogram_of_a_power_law_is_a_straight_line()
    {
        // Exact counts ∝ k^-2 for k = 1..2000: the log–log slope of the density is about −2 in every bin.
        var values = new List<double>();
        for (int k = 1; k <= 2000; k++) for (int c = 0; c < (int)Math.Round(4e6 / ((double)k * k)); c++) values.Add(k);
        var h = LogHistogram.Compute(values.ToArray());
        Assert.Equal(values.Count, h.Counts.Sum());
        int last = h.Centers.Length - 4; // the far tail rounds counts to few units
        double slope = (Math.Log(h.Density[last]) - Math.Log(h.Density[0])) / (Math.Log(h.Centers[last]) - Math.Log(h.Centers[0]));
        Assert.InRange(slope, -2.15, -1.85);
    }

    [Fact]
    public void Popularity_sizing_is_monotone_clamped_and_normalised_to_the_maximum()
    {
        foreach (int max in new[] { 50, 1_000, 1_000_000 })
        {
            var popularity = new[] { 0, 1, 2, max / 10, max / 2, max };
            var radii = PopularitySizing.Radii(popularity, popularity.Length, 2f);
            Assert.Equal(2f, radii[0]);
            Assert.Equal(2f, radii[1]);
            Assert.Equal(6f, radii[^1], 4);
            for (int i = 1; i < radii.Length; i++) Assert.True(radii[i] >= radii[i - 1]);
            // r = rMin + (rMax − rMin)·(0.75·ln n / ln N + 0.25·(n − 1)/(N − 1)), written out.
            for (int i = 2; i < popularity.Length; i++)
            {
                double n = popularity[i];
                Assert.Equal(2 + 4 * (0.75 * Math.Log(n) / Math.Log(max) + 0.25 * (n - 1) / (max - 1)), radii[i], 4);
            }
        }
        Assert.All(PopularitySizing.Radii(new[] { 1, 1, 1 }, 3, 1.5f), r => Assert.Equal(1.5f, r));
        Assert.Equal(new[] { 2, 1, 0 }, PopularitySizing.DrawOrder(new[] { 1f, 2f, 3f }));
        Assert.Equal(0.9f, PopularitySizing.Alpha(new[] { 1f }, 1e6));
        Assert.Equal(0.15f, PopularitySizing.Alpha(Enumerable.Repeat(3f, 1_000_000).ToArray(), 1e6));
    }

    [Fact]
    public void Pca_finds_the_direction_of_largest_spread()
    {
        var random = new DeterministicRandom(3);
        int n = 2000;
        var coordinates = new float[n * 3];
        for (int i = 0; i < n; i++)
        {
            double t = random.NextDouble() * 20 - 10, s = random.NextDouble() * 4 - 2, noise = random.NextDouble() * 0.2;
            // Main spread along (1, 1, 0)/√2, second along (0, 0, 1).
            coordinates[i * 3] = (float)(t / Math.Sqrt(2) + noise);
            coordinates[i * 3 + 1] = (float)(t / Math.Sqrt(2) - noise);
            coordinates[i * 3 + 2] = (float)s;
        }
        var ids = EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray());
        var pca = EmbeddingPca.Compute(new Embedding(ids, new int[n], 3, coordinates));
        Assert.Equal(1 / Math.Sqrt(2), pca.Components[0][0], 2);
        Assert.Equal(1 / Math.Sqrt(2), pca.Components[0][1], 2);
        Assert.Equal(1.0, pca.Components[1][2], 2);
        // Variance of U(−10,10) is 33.3, of U(−2,2) 1.33.
        Assert.InRange(pca.VarianceShare[0], 0.94, 0.97);
        // The projection onto the first component is the centred coordinate along it.
        double mean0 = 0, mean1 = 0;
        for (int i = 0; i < n; i++) { mean0 += coordinates[i * 3]; mean1 += coordinates[i * 3 + 1]; }
        mean0 /= n; mean1 /= n;
        double expected = (coordinates[0] - mean0) * pca.Components[0][0] + (coordinates[1] - mean1) * pca.Components[0][1] + coordinates[2] * pca.Components[0][2];
        Assert.Equal(expected, pca.X[0], 1);
    }

    [Fact]
    public void Rasterised_disc_covers_its_area_and_respects_order()
    {
        int w = 40, h = 40;
        var pixels = new uint[w * h];
        // A red disc of radius 6 under a blue disc of radius 2 at the same centre, fully opaque.
        PointRasterizer.Draw(pixels, w, h, new[] { 20f, 20f }, new[] { 20f, 20f }, new[] { 6f, 2f }, new[] { 0xFF0000FFu, 0xFFFF0000u }, new[] { 0, 1 }, 1f);
        Assert.Equal(0xFFFF0000u, pixels[20 * w + 20]); // blue on top at the centre
        Assert.Equal(0xFF0000FFu, pixels[20 * w + 24]); // red ring
        Assert.Equal(0u, pixels[20 * w + 28]); // outside
        double coverage = pixels.Sum(p => (p >> 24) / 255.0);
        Assert.InRange(coverage, Math.PI * 36 * 0.97, Math.PI * 36 * 1.03);
        // Sub-pixel points still leave a trace proportional to their area.
        var tiny = new uint[w * h];
        PointRasterizer.Draw(tiny, w, h, new[] { 5.5f }, new[] { 5.5f }, new[] { 0.25f }, new[] { 0xFFFFFFFFu }, new[] { 0 }, 1f);
        Assert.InRange((tiny[5 * w + 5] >> 24) / 255.0, 0.2, 0.3);
    }

    [Fact]
    public void Rasteriser_draws_the_same_pixels_whatever_the_banding()
    {
        var random = new DeterministicRandom(9);
        int n = 3000, w = 200, h = 150;
        var x = new float[n]; var y = new float[n]; var r = new float[n]; var c = new uint[n];
        for (int i = 0; i < n; i++) { x[i] = random.NextSingle() * w; y[i] = random.NextSingle() * h; r[i] = 0.3f + random.NextSingle() * 6; c[i] = (uint)random.NextUInt64() | 0xFF000000u; }
        var order = PopularitySizing.DrawOrder(r);
        var first = new uint[w * h];
        var second = new uint[w * h];
        PointRasterizer.Draw(first, w, h, x, y, r, c, order, 0.6f);
        // The same discs one at a time (no parallelism across discs) must give identical pixels.
        foreach (int i in order) PointRasterizer.Draw(second, w, h, new[] { x[i] }, new[] { y[i] }, new[] { r[i] }, new[] { c[i] }, new[] { 0 }, 0.6f);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Categorical_colours_sort_by_frequency_and_bucket_the_rest()
    {
        var labels = new List<string?>();
        for (int k = 0; k < 25; k++) for (int j = 0; j <= k; j++) labels.Add($"c{k:D2}");
        labels.Add(null);
        var colouring = PointColouring.Categorical(labels, PreviewTheme.Light, "kind", maxCategories: 20);
        Assert.Equal(21, colouring.Legend.Count);
        Assert.Equal("c24", colouring.Legend[0].Label);
        Assert.Equal(25, colouring.Legend[0].Count);
        Assert.Equal("other (6 more)", colouring.Legend[19].Label);
        Assert.Equal(Enumerable.Range(1, 6).Sum(), colouring.Legend[19].Count);
        Assert.Equal("(missing)", colouring.Legend[20].Label);
        Assert.Equal(PreviewTheme.Light.OtherColour, colouring.Colors[0]); // c00 is the rarest: "other"
        Assert.Equal(colouring.Legend[0].Color, colouring.Colors[labels.IndexOf("c24")]);
        Assert.Equal(20, colouring.Legend.Take(19).Select(e => e.Color).Append(PreviewTheme.Light.OtherColour).Distinct().Count());
    }

    [Fact]
    public void Text_columns_pick_continuous_or_categorical()
    {
        var numbers = Enumerable.Range(0, 100).Select(i => (string?)i.ToString()).ToList();
        Assert.NotNull(PointColouring.FromText(numbers, PreviewColorMode.Auto, PreviewTheme.Light, "v").Scale);
        var few = Enumerable.Range(0, 100).Select(i => (string?)(i % 3).ToString()).ToList();
        Assert.Null(PointColouring.FromText(few, PreviewColorMode.Auto, PreviewTheme.Light, "v").Scale);
        Assert.Equal(3, PointColouring.FromText(few, PreviewColorMode.Auto, PreviewTheme.Light, "v").Legend.Count);
        var error = Assert.Throws<EmbedPSException>(() => PointColouring.FromText(new string?[] { "1", "x" }, PreviewColorMode.Continuous, PreviewTheme.Light, "v"));
        Assert.Equal("ColorValueNotNumeric", error.ErrorId);
        // Heavy-tailed positive values get a log scale.
        var popularity = Enumerable.Range(1, 1000).Select(i => (double)(int)(1e5 / i)).ToArray();
        Assert.True(PointColouring.Continuous(popularity, PreviewTheme.Light, "popularity").Scale!.IsLog);
        Assert.False(PointColouring.Continuous(Enumerable.Range(1, 1000).Select(i => (double)i).ToArray(), PreviewTheme.Light, "v").Scale!.IsLog);
    }

    [Fact]
    public void Metadata_joins_by_id_and_reports_bad_files()
    {
        using var dir = new Infrastructure.TempDirectory();
        var ids = EntityIds.FromIntegers(new long[] { 5, 7, 9 });
        var path = dir.File("meta.csv");
        File.WriteAllText(path, "entity,name,group\n7,Seven,b\n5,Five,a\n5,Again,z\n42,Unknown,q\n");
        // 5 is on two rows: an error naming the id and its lines, unless repeated ids are allowed (then the first row wins).
        var duplicate = Assert.Throws<EmbedPSException>(() => EntityAttributes.ReadCsv(path, "entity", ids, StageLog.Null));
        Assert.Equal(("MetadataDuplicateId", "5", 4L), (duplicate.ErrorId, duplicate.Value, duplicate.Row!.Value));
        var attributes = EntityAttributes.ReadCsv(path, "entity", ids, StageLog.Null, default, new MetadataJoinOptions { AllowDuplicateIds = true });
        Assert.Equal(2, attributes.MatchedCount);
        Assert.Equal(new[] { "Five", "Seven", null }, attributes.Column("NAME"));
        Assert.Equal(new[] { "a", "b", null }, attributes.Column("group"));
        var missing = Assert.Throws<EmbedPSException>(() => EntityAttributes.ReadCsv(path, "id", ids, StageLog.Null));
        Assert.Equal("MetadataIdColumnMissing", missing.ErrorId);
        Assert.Contains("entity, name, group", missing.Message);
        File.WriteAllText(path, "entity,name\n1,x\n");
        var none = Assert.Throws<EmbedPSException>(() => EntityAttributes.ReadCsv(path, "entity", ids, StageLog.Null));
        Assert.Equal("MetadataNoMatch", none.ErrorId);
        Assert.Contains(path, none.Message);
    }
}
