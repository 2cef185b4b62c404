using EmbedPS.Core.Projection;
using EmbedPS.Core.Quality;

namespace EmbedPS.Tests.Projections;

[Trait("Category", "Unit")]
public class UmapTests
{
    [Theory]
    // umap-learn's find_ab_params values (scipy curve_fit): (0.1, 1) → 1.5769, 0.8951; (0.001, 1) → 1.9290, 0.7915.
    [InlineData(1.0, 0.1, 1.5769, 0.8951)]
    [InlineData(1.0, 0.001, 1.9290, 0.7915)]
    public void FitABMatchesUmapLearn(double spread, double minDistance, double expectedA, double expectedB)
    {
        var (a, b) = UmapCurve.FitAB(spread, minDistance);
        Assert.InRange(a, expectedA - 0.003, expectedA + 0.003);
        Assert.InRange(b, expectedB - 0.001, expectedB + 0.001);
    }

    [Fact]
    public void Fast_pow_matches_math_pow()
    {
        var rng = new EmbedPS.Core.Common.DeterministicRandom(1);
        double worst = 0;
        for (int t = 0; t < 200_000; t++)
        {
            float x = (float)Math.Pow(10, rng.NextDouble() * 40 - 20);
            float b = (float)(rng.NextDouble() * 4 - 2);
            double exact = Math.Pow(x, b);
            if (exact < 1e-37 || exact > 1e37) continue;
            worst = Math.Max(worst, Math.Abs(FastMath.Pow(x, b) - exact) / exact);
        }
        Assert.True(worst < 1e-5, $"worst relative error {worst:G3}");
        Assert.Equal(1f, FastMath.Pow(1f, 0.8950f), 6);
        Assert.Equal(0.25f, FastMath.Pow(16f, -0.5f), 6);
    }

    [Fact]
    public void Vector_fast_pow_matches_math_pow_in_every_lane()
    {
        // The SGD kernel's 8-lane power: every lane against Math.Pow, including the lanes' own b and the 2^−126 underflow.
        var rng = new EmbedPS.Core.Common.DeterministicRandom(2);
        var x = new float[8]; var b = new float[8];
        double worst = 0;
        for (int t = 0; t < 20_000; t++)
        {
            for (int l = 0; l < 8; l++) { x[l] = (float)Math.Pow(10, rng.NextDouble() * 40 - 20); b[l] = (float)(rng.NextDouble() * 4 - 2); }
            var result = FastMath.Pow(System.Runtime.Intrinsics.Vector256.Create<float>(x), System.Runtime.Intrinsics.Vector256.Create<float>(b));
            for (int l = 0; l < 8; l++)
            {
                double exact = Math.Pow(x[l], b[l]);
                if (exact < 1e-37 || exact > 1e37) continue;
                worst = Math.Max(worst, Math.Abs(result[l] - exact) / exact);
                Assert.Equal(FastMath.Pow(x[l], b[l]), result[l], 2e-5f * (float)exact); // each within 1e-5 of exact
            }
        }
        Assert.True(worst < 1e-5, $"worst relative error {worst:G3}");
        var tiny = FastMath.Pow(System.Runtime.Intrinsics.Vector256.Create(1e-30f), System.Runtime.Intrinsics.Vector256.Create(5f));
        Assert.Equal(0f, tiny[3]); // 2^−498 underflows to 0, not to garbage exponent bits
    }

    [Fact]
    public void Fuzzy_set_memberships_follow_smooth_kNN_distances()
    {
        // Points on a line 0, 1, 2, 4, 8: with k = 3 (2 others) every row has ρ = nearest distance, so its nearest gets 1.
        var data = new float[] { 0, 1, 2, 4, 8 };
        var knn = LowDimensionalKnn.Search(data, 5, 1, 2);
        var graph = Umap.FuzzySimplicialSet(knn, 2, new UmapOptions { Neighbors = 3 });
        float Weight(int i, int j)
        {
            for (int e = graph.RowOffsets[i]; e < graph.RowOffsets[i + 1]; e++) if (graph.Columns[e] == j) return graph.Values[e];
            return 0;
        }
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++) Assert.Equal(Weight(i, j), Weight(j, i)); // symmetric
        Assert.Equal(1f, Weight(0, 1), 5);
        // Point 4 (at 8): neighbours 4 (d 4, ρ) and 2 (d 6); σ solves 1 + exp(−2/σ) = log2 3 → v = log2 3 − 1.
        double v42 = Math.Log2(3) - 1;
        // Point 2 (at 2): neighbours 1 (d 1, ρ) and 0 (d 2), so 2 has no directed edge to 4: union = v42.
        Assert.Equal(v42, Weight(4, 2), 4);
        Assert.Equal(0f, Weight(0, 4));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Planted_clusters_come_out_separated()
    {
        var (data, labels) = ProjectionTestData.Blobs(1500, 3, 10, seed: 1);
        var xy = Umap.Run(data, 1500, 3, new UmapOptions { Seed = 3 });
        Assert.True(ProjectionTestData.LabelAccuracy(xy, labels) > 0.95);
        Assert.All(xy, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Same_seed_gives_the_same_layout_on_any_thread_count()
    {
        var (data, _) = ProjectionTestData.Blobs(700, 3, 5, seed: 2);
        var one = Umap.Run(data, 700, 3, new UmapOptions { Seed = 11, Epochs = 60, MaxDegreeOfParallelism = 1 });
        var four = Umap.Run(data, 700, 3, new UmapOptions { Seed = 11, Epochs = 60, MaxDegreeOfParallelism = 4 });
        var other = Umap.Run(data, 700, 3, new UmapOptions { Seed = 12, Epochs = 60, MaxDegreeOfParallelism = 4 });
        Assert.Equal(one, four);
        Assert.NotEqual(one, other);
    }

    [Theory]
    // Odd block sizes: blocks split into two half-walks of unequal length, a last block of one vertex.
    [InlineData(7, 301)]
    [InlineData(1, 50)]
    [InlineData(256, 513)]
    public void EveryVertexMovesAndAnyBlockSplitIsDeterministic(int blockSize, int count)
    {
        var (data, _) = ProjectionTestData.Blobs(count, 3, 3, seed: 6);
        var start = new float[2 * count];
        var rng = new EmbedPS.Core.Common.DeterministicRandom(9);
        for (int t = 0; t < start.Length; t++) start[t] = (float)rng.NextDouble() * 10;
        var options = new UmapOptions { Seed = 5, Epochs = 20, BlockSize = blockSize, InitialCoordinates = start, KeepInitialScale = true };
        var one = Umap.Run(data, count, 3, options with { MaxDegreeOfParallelism = 1 });
        var three = Umap.Run(data, count, 3, options with { MaxDegreeOfParallelism = 3 });
        Assert.Equal(one, three);
        // Two workers cut the rounds into other parts and keep two copies of the positions: the same sums in the same order.
        var two = Umap.Run(data, count, 3, options with { MaxDegreeOfParallelism = 2 });
        Assert.Equal(one, two);
        // Every vertex has edges (kNN graph), so every vertex must have been moved by its own owner.
        for (int i = 0; i < count; i++)
            Assert.True(one[2 * i] != start[2 * i] || one[2 * i + 1] != start[2 * i + 1], $"vertex {i} never moved");
        Assert.All(one, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Cancellation_stops_every_worker_of_the_SGD()
    {
        // The SGD's worker team checks the token once an epoch; every worker must leave (no hang at a phase boundary) and the
        // cancellation must surface as such, not as a worker's secondary failure.
        var (data, _) = ProjectionTestData.Blobs(3000, 3, 5, seed: 3);
        using var source = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Umap.Run(data, 3000, 3, new UmapOptions { Seed = 1, Epochs = 20_000, MaxDegreeOfParallelism = 3 }, cancellation: source.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Attraction_moves_head_and_tail_so_without_repulsion_the_centroid_stays(bool sequential)
    {
        // umap-learn's move_other: each attraction step moves the tail by the opposite of the head's step, so with the
        // repulsion switched off the sum of the positions cannot change (up to float rounding). An owner-only update (the
        // head taking a double step in place of the tail's move) breaks this by far more than the tolerance.
        var (data, _) = ProjectionTestData.Blobs(600, 3, 4, seed: 8);
        var options = new UmapOptions { Seed = 3, Epochs = 30, RepulsionStrength = 0, Sequential = sequential };
        var start = Umap.Run(data, 600, 3, options with { Epochs = 1, LearningRate = 0 });
        var end = Umap.Run(data, 600, 3, options);
        for (int axis = 0; axis < 2; axis++)
        {
            double before = 0, after = 0;
            for (int i = 0; i < 600; i++) { before += start[2 * i + axis]; after += end[2 * i + axis]; }
            Assert.True(Math.Abs(after - before) / 600 < 1e-4, $"axis {axis}: mean {before / 600:F6} → {after / 600:F6}");
        }
        // …and the attraction did move the points (the blobs contract).
        Assert.True(start.Zip(end).Max(p => Math.Abs(p.First - p.Second)) > 0.5f);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Parallel_scheme_keeps_the_quality_of_the_sequential_reference()
    {
        // Overlapping blobs, so that recall and label accuracy are not saturated.
        var (data, labels) = ProjectionTestData.Blobs(2000, 3, 8, seed: 4, spread: 3);
        var points = new PointSet(EmbedPS.Core.Common.EntityIds.FromIntegers(Enumerable.Range(1, 2000).Select(i => (long)i).ToArray()), data, 3);
        double Recall(float[] xy) => EmbeddingQuality.NeighborRecall(points with { Coordinates = xy, Dimension = 2 }, points, 10);
        var parallel = Umap.Run(data, 2000, 3, new UmapOptions { Seed = 1, Epochs = 200 });
        var sequential = Umap.Run(data, 2000, 3, new UmapOptions { Seed = 1, Epochs = 200, Sequential = true });
        Assert.True(Recall(parallel) > Recall(sequential) - 0.02, $"recall parallel {Recall(parallel):F4}, sequential {Recall(sequential):F4}");
        Assert.True(ProjectionTestData.LabelAccuracy(parallel, labels) > ProjectionTestData.LabelAccuracy(sequential, labels) - 0.02);
    }

    [Fact]
    public void Initial_coordinates_are_used()
    {
        // With no epochs of movement the result is the given start mapped to [0, 10] per axis.
        var (data, _) = ProjectionTestData.Blobs(200, 3, 2, seed: 5);
        var start = new float[400];
        for (int i = 0; i < 200; i++) { start[2 * i] = i; start[2 * i + 1] = -i; }
        var xy = Umap.Run(data, 200, 3, new UmapOptions { Epochs = 1, InitialCoordinates = start });
        Assert.Equal(0f, xy[0], 4);
        Assert.Equal(10f, xy[2 * 199], 4);
        Assert.Equal(10f, xy[1], 4);
    }
}
