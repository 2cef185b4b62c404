using ScottPlot;
using SkiaSharp;

namespace EmbedPS.Core.Preview;

/// <summary>
/// A ScottPlot plottable that draws many points through <see cref="PointRasterizer"/> into a bitmap the size of the data
/// area (at the output resolution), then blits it: ScottPlot keeps the axes, ticks, legend and colorbar.
/// </summary>
public sealed class RasterScatter : IPlottable
{
    private readonly float[] _x, _y, _radius;
    private readonly uint[] _rgba;
    private readonly int[] _order;
    private readonly AxisLimits _limits;

    /// <param name="x">Point x coordinates in data units.</param>
    /// <param name="y">Point y coordinates in data units.</param>
    /// <param name="radius">Radii in pixels at 96 DPI (scaled with the plot's scale factor).</param>
    /// <param name="colors">Colour per point.</param>
    /// <param name="order">Indices in drawing order (first drawn first).</param>
    /// <param name="alpha">Opacity of every point.</param>
    /// <param name="cancellation">Stops the drawing.</param>
    public RasterScatter(float[] x, float[] y, float[] radius, Color[] colors, int[] order, float alpha, CancellationToken cancellation = default)
    {
        if (y.Length != x.Length || radius.Length != x.Length || colors.Length != x.Length || order.Length != x.Length)
            throw new ArgumentException("x, y, radius, colors and order must have one entry per point.");
        _x = x; _y = y; _radius = radius; _order = order;
        Alpha = alpha;
        Cancellation = cancellation;
        _rgba = new uint[colors.Length];
        for (int i = 0; i < colors.Length; i++)
        {
            var c = colors[i];
            _rgba[i] = c.R | ((uint)c.G << 8) | ((uint)c.B << 16) | ((uint)c.A << 24);
        }
        _limits = Bounds(x, y);
    }

    public float Alpha { get; }
    public CancellationToken Cancellation { get; }
    public bool IsVisible { get; set; } = true;
    public IAxes Axes { get; set; } = new ScottPlot.Axes();
    public IEnumerable<LegendItem> LegendItems => LegendItem.None;
    public int Count => _x.Length;

    public AxisLimits GetAxisLimits() => _limits;

    public void Render(RenderPack rp)
    {
        var rect = Axes.DataRect;
        float scale = rp.Canvas.TotalMatrix.ScaleX;
        if (scale <= 0) scale = 1;
        int width = Math.Max(1, (int)Math.Ceiling(rect.Width * scale));
        int height = Math.Max(1, (int)Math.Ceiling(rect.Height * scale));
        // Linear axes: pixel = offset + slope · value, from two probes of ScottPlot's own mapping.
        double x0 = Axes.GetPixelX(0), xSlope = Axes.GetPixelX(1) - x0;
        double y0 = Axes.GetPixelY(0), ySlope = Axes.GetPixelY(1) - y0;
        // Gathered in drawing order, so the rasteriser reads every array sequentially.
        int n = _order.Length;
        var px = new float[n];
        var py = new float[n];
        var radius = new float[n];
        var rgba = new uint[n];
        Parallel.For(0, (n + 65_535) / 65_536, chunk =>
        {
            for (int k = chunk * 65_536, end = Math.Min(n, k + 65_536); k < end; k++)
            {
                int i = _order[k];
                px[k] = (float)((x0 + xSlope * _x[i] - rect.Left) * scale);
                py[k] = (float)((y0 + ySlope * _y[i] - rect.Top) * scale);
                radius[k] = _radius[i] * scale;
                rgba[k] = _rgba[i];
            }
        });
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        bitmap.Erase(SKColors.Transparent);
        unsafe
        {
            var pixels = new Span<uint>((void*)bitmap.GetPixels(), width * height);
            PointRasterizer.Draw(pixels, width, height, px, py, radius, rgba, null, Alpha, Cancellation);
        }
        bitmap.NotifyPixelsChanged();
        rp.Canvas.DrawBitmap(bitmap, new SKRect(rect.Left, rect.Top, rect.Left + width / scale, rect.Top + height / scale));
    }

    private static AxisLimits Bounds(float[] x, float[] y)
    {
        double xMin = double.PositiveInfinity, xMax = double.NegativeInfinity, yMin = double.PositiveInfinity, yMax = double.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            if (!float.IsFinite(x[i]) || !float.IsFinite(y[i])) continue;
            xMin = Math.Min(xMin, x[i]); xMax = Math.Max(xMax, x[i]);
            yMin = Math.Min(yMin, y[i]); yMax = Math.Max(yMax, y[i]);
        }
        if (double.IsInfinity(xMin)) return new AxisLimits(-1, 1, -1, 1);
        if (xMax == xMin) { xMin -= 1; xMax += 1; }
        if (yMax == yMin) { yMin -= 1; yMax += 1; }
        return new AxisLimits(xMin, xMax, yMin, yMax);
    }
}
