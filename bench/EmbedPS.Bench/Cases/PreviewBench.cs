using EmbedPS.Core.Common;
using EmbedPS.Core.Preview;
using ScottPlot;
using ProjectionStage = EmbedPS.Core.Projection.Projection;

namespace EmbedPS.Bench.Cases;

/// <summary>
/// Export-EmbeddingPreview's scatter (rasterised discs sized by popularity, coloured by group, legend) against the
/// straightforward ScottPlot figure: one ScatterPoints series per group (fixed marker size, which is less work than
/// per-point sizes), same image size and legend, both encoded to PNG in memory.
/// </summary>
public abstract class PreviewScatterBench : BenchCase
{
    private ProjectionStage? _projection;
    private EntityAttributes? _attributes;
    private string?[] _groups = Array.Empty<string?>();
    protected abstract int PointCount { get; }

    public override string Stage => "preview";
    public override string Dataset => $"{PointCount:N0} points in 12 Gaussian blobs, 1200×900 PNG";
    public override string? Baseline => "ScottPlot ScatterPoints, one series per group";

    public override void Prepare()
    {
        int n = PointCount;
        var random = new DeterministicRandom(2024);
        var x = new float[n];
        var y = new float[n];
        var popularity = new int[n];
        _groups = new string?[n];
        for (int i = 0; i < n; i++)
        {
            int g = i % 12;
            double angle = g * Math.PI / 6, u = 1 - random.NextDouble(), v = random.NextDouble(), r = Math.Sqrt(-2 * Math.Log(u));
            x[i] = (float)(8 * Math.Cos(angle) + r * Math.Cos(2 * Math.PI * v));
            y[i] = (float)(8 * Math.Sin(angle) + r * Math.Sin(2 * Math.PI * v));
            // Zipf-like popularity from 1 to about 10^5.
            popularity[i] = 1 + (int)(1e5 * Math.Pow(random.NextDouble(), 8));
            _groups[i] = "group " + g;
        }
        _projection = new ProjectionStage(EntityIds.FromIntegers(Enumerable.Range(0, n).Select(i => (long)i).ToArray()), popularity, x, y, "Umap");
        _attributes = new EntityAttributes(n);
        _attributes.Add("group", _groups);
        // Warm both paths (font loading, Skia, JIT) on a small figure so neither run pays one-off costs.
        using var warm = new Plot();
        warm.Add.ScatterPoints(new double[] { 1, 2 }, new double[] { 1, 2 });
        warm.GetImageBytes(200, 150, ImageFormat.Png);
        PreviewRenderer.RenderPng(new ProjectionStage(EntityIds.FromIntegers(new long[] { 1, 2 }), new[] { 1, 2 }, new[] { 0f, 1f }, new[] { 0f, 1f }, "Umap"),
            new PreviewOptions { Width = 300, Height = 200 }, StageLog.Null);
    }

    public override BenchOutcome RunCandidate()
    {
        var png = PreviewRenderer.RenderPng(_projection!, new PreviewOptions { Attributes = _attributes }, StageLog.Null);
        return new BenchOutcome { ["png bytes"] = png.Length };
    }

    public override BenchOutcome RunBaseline()
    {
        var p = _projection!;
        using var plot = new Plot();
        var palette = CategoricalPalette.For(PreviewThemeKind.Light);
        var byGroup = new Dictionary<string, (List<double> X, List<double> Y)>();
        for (int i = 0; i < p.EntityCount; i++)
        {
            var g = _groups[i]!;
            if (!byGroup.TryGetValue(g, out var lists)) byGroup[g] = lists = (new List<double>(), new List<double>());
            lists.X.Add(p.X[i]);
            lists.Y.Add(p.Y[i]);
        }
        int k = 0;
        foreach (var (group, (xs, ys)) in byGroup)
        {
            var series = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray(), palette[k++ % palette.Length].WithAlpha(0.5));
            series.MarkerSize = 2;
            series.LegendText = group;
        }
        plot.ShowLegend(Edge.Right);
        var png = plot.GetImageBytes(1200, 900, ImageFormat.Png);
        return new BenchOutcome { ["png bytes"] = png.Length };
    }

    public override void Cleanup()
    {
        _projection = null;
        _attributes = null;
        _groups = Array.Empty<string?>();
    }
}

public sealed class PreviewScatter100kBench : PreviewScatterBench
{
    protected override int PointCount => 100_000;
}

public sealed class PreviewScatter1MBench : PreviewScatterBench
{
    protected override int PointCount => 1_000_000;
}
