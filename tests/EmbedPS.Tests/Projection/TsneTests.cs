using EmbedPS.Core.Common;
using EmbedPS.Core.Projection;

namespace EmbedPS.Tests.Projections;

[Trait("Category", "Unit")]
public class TsneTests
{
    private static (float[] Y, SparseAffinity P) TinyProblem(int n, int seed, double scale)
    {
        var (data, _) = ProjectionTestData.Blobs(n, 3, 2, seed);
        var knn = LowDimensionalKnn.Search(data, n, 3, n - 1);
        var p = Tsne.Affinities(knn, (n - 1) / 3.0);
        var rng = new DeterministicRandom(seed, 99);
        var y = new float[2 * n];
        for (int t = 0; t < y.Length; t++) y[t] = (float)(rng.NextGaussian() * scale);
        return (y, p);
    }

    /// <summary>Exact KL(P‖Q) over all pairs, in double.</summary>
    private static double ExactKl(double[] y, SparseAffinity p)
    {
        int n = p.Count;
        double z = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i != j) z += 1 / (1 + Sq(y[2 * i] - y[2 * j]) + Sq(y[2 * i + 1] - y[2 * j + 1]));
        double kl = 0;
        for (int i = 0; i < n; i++)
            for (int e = p.RowOffsets[i]; e < p.RowOffsets[i + 1]; e++)
            {
                int j = p.Columns[e];
                double q = 1 / (1 + Sq(y[2 * i] - y[2 * j]) + Sq(y[2 * i + 1] - y[2 * j + 1])) / z;
                kl += p.Values[e] * Math.Log(p.Values[e] / q);
            }
        return kl;
    }

    private static double Sq(double v) => v * v;

    [Fact]
    public void Affinities_have_the_requested_perplexity_and_sum_to_one()
    {
        var (data, _) = ProjectionTestData.Blobs(300, 3, 3, seed: 4);
        var knn = LowDimensionalKnn.Search(data, 300, 3, 90);
        var p = Tsne.Affinities(knn, 30);
        Assert.Equal(1.0, p.Values.Sum(v => (double)v), 4);
        for (int i = 0; i < 300; i++)
            for (int e = p.RowOffsets[i]; e < p.RowOffsets[i + 1]; e++)
            {
                int j = p.Columns[e];
                int back = Array.IndexOf(p.Columns, i, p.RowOffsets[j], p.RowOffsets[j + 1] - p.RowOffsets[j]);
                Assert.True(back >= 0);
                Assert.Equal(p.Values[e], p.Values[back]);
            }
    }

    [Fact]
    public void Exact_gradient_matches_finite_differences_of_KL()
    {
        const int n = 9;
        var (y, p) = TinyProblem(n, 3, 1.5);
        var gradient = new float[2 * n];
        Tsne.Gradient(y, p, 1f, gradient, new TsneRepulsionComputer(n, TsneRepulsion.Exact, new TsneOptions()));
        var yd = y.Select(v => (double)v).ToArray();
        for (int t = 0; t < 2 * n; t++)
        {
            double h = 1e-5, keep = yd[t];
            yd[t] = keep + h; double plus = ExactKl(yd, p);
            yd[t] = keep - h; double minus = ExactKl(yd, p);
            yd[t] = keep;
            double numeric = (plus - minus) / (2 * h);
            // openTSNE's gradient is ¼ of ∂KL/∂y.
            Assert.Equal(numeric, 4 * gradient[t], 4);
        }
    }

    [Theory]
    [InlineData(TsneRepulsion.BarnesHut, 0.03)]
    // FIt-SNE's defaults (3 nodes per box, boxes about one unit wide) give a few per cent; a finer grid converges as h³.
    [InlineData(TsneRepulsion.Fft, 0.05)]
    public void ApproximateRepulsionIsCloseToExact(TsneRepulsion method, double tolerance)
    {
        var (zRatio, error) = RepulsionError(method, 50);
        Assert.InRange(zRatio, 1 - tolerance, 1 + tolerance);
        Assert.True(error < tolerance, $"{method}: relative error {error:G3}");
    }

    [Fact]
    public void Auto_repulsion_picks_the_fft_for_large_or_compact_layouts_and_barnes_hut_for_small_spread_ones()
    {
        // 70,000 compact points (50 boxes, early exaggeration): FFT; spread over 300 units (a 1,800-long transform): the tree.
        Assert.True(TsneRepulsionComputer.PrefersFft(70_000, 150));
        Assert.False(TsneRepulsionComputer.PrefersFft(70_000, 900));
        // 2,000 points: the tree even on the smallest grid.
        Assert.False(TsneRepulsionComputer.PrefersFft(2_000, 150));
        // And a run switches: compact during early exaggeration (FFT), spread afterwards (Barnes–Hut) on a small input.
        var (data, _) = ProjectionTestData.Blobs(30_000, 3, 5, 4);
        var log = new RecordingStageLog();
        Tsne.Run(data, 30_000, 3, new TsneOptions { Repulsion = TsneRepulsion.Auto, Iterations = 90, Seed = 2 }, log, default, out _);
        var line = Assert.Single(log.Verbose, v => v.Contains("repulsion by FFT interpolation in"));
        var counts = System.Text.RegularExpressions.Regex.Matches(line, @"\d+").Select(m => int.Parse(m.Value)).ToArray();
        Assert.True(counts[0] > 0 && counts[1] > 0, line);
    }

    [Fact]
    public void Fft_repulsion_converges_as_the_grid_refines()
    {
        // About 70 boxes (one per unit of span) at the default; 150 boxes halve the box width, so the error should fall by
        // roughly (½)³ (Lagrange interpolation with 3 nodes per box).
        var (_, coarse) = RepulsionError(TsneRepulsion.Fft, 50);
        var (zRatio, fine) = RepulsionError(TsneRepulsion.Fft, 150);
        Assert.True(fine < coarse / 4 && fine < 0.01, $"relative error {coarse:G3} with ~70 boxes, {fine:G3} with 150");
        Assert.True(Math.Abs(zRatio - 1) < 0.002, $"Z ratio {zRatio:G6}");
    }

    private static (double ZRatio, double RelativeError) RepulsionError(TsneRepulsion method, int minIntervals)
    {
        const int n = 400;
        var (y, _) = TinyProblem(n, 8, 12);
        var exact = new float[2 * n];
        var approx = new float[2 * n];
        double zExact = new TsneRepulsionComputer(n, TsneRepulsion.Exact, new TsneOptions()).Compute(y, exact);
        double zApprox = new TsneRepulsionComputer(n, method, new TsneOptions { MinIntervals = minIntervals }).Compute(y, approx);
        double diff = 0, norm = 0;
        for (int t = 0; t < 2 * n; t++) { diff += Sq(approx[t] - exact[t]); norm += Sq(exact[t]); }
        return (zApprox / zExact, Math.Sqrt(diff / norm));
    }

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(TsneRepulsion.BarnesHut)]
    [InlineData(TsneRepulsion.Fft)]
    public void Planted_clusters_come_out_separated(TsneRepulsion method)
    {
        var (data, labels) = ProjectionTestData.Blobs(1000, 3, 10, seed: 1);
        var xy = Tsne.Run(data, 1000, 3, new TsneOptions { Repulsion = method, Iterations = 300, Seed = 5 }, null, default, out var kl);
        Assert.True(ProjectionTestData.LabelAccuracy(xy, labels) > 0.95);
        Assert.InRange(kl, 0.01, 5);
    }

    [Fact]
    public void Same_seed_gives_the_same_layout()
    {
        var (data, _) = ProjectionTestData.Blobs(500, 3, 4, seed: 6);
        var options = new TsneOptions { Iterations = 120, Seed = 9 };
        Assert.Equal(Tsne.Run(data, 500, 3, options), Tsne.Run(data, 500, 3, options));
    }
}
