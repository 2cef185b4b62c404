using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EmbedPS.Core.Preview;

/// <summary>
/// Draws anti-aliased discs into a premultiplied RGBA8888 pixel buffer, in a given order, alpha-blended ("over").
/// ScottPlot draws one marker per call through Skia, which is slow for a million points; this writes pixels directly.
/// The image is cut into horizontal bands drawn in parallel; each band draws every disc touching it in the global order,
/// so the result is the same whatever the thread count.
/// </summary>
public static class PointRasterizer
{
    private const int BandHeight = 16;

    /// <param name="pixels">width × height premultiplied RGBA8888 pixels (R in the lowest byte), blended over.</param>
    /// <param name="width">Width of the buffer in pixels.</param>
    /// <param name="height">Height of the buffer in pixels.</param>
    /// <param name="x">Disc centres in pixels (0 = left edge of the buffer).</param>
    /// <param name="y">Disc centres in pixels (0 = top edge).</param>
    /// <param name="radius">Disc radii in pixels; below half a pixel a disc becomes one pixel dimmed by its area.</param>
    /// <param name="rgba">Straight RGB colour per disc (R lowest byte); its alpha byte scales <paramref name="alpha"/>.</param>
    /// <param name="order">Indices in drawing order (first drawn first, ends up underneath); null draws in index order
    /// (fastest: pass the discs already gathered in drawing order).</param>
    /// <param name="alpha">Opacity of every disc.</param>
    /// <param name="cancellation">Stops between bands.</param>
    public static void Draw(Span<uint> pixels, int width, int height, float[] x, float[] y, float[] radius, uint[] rgba, int[]? order,
        float alpha, CancellationToken cancellation = default)
    {
        if (pixels.Length < (long)width * height) throw new ArgumentException("The pixel buffer is smaller than width × height.");
        int bands = (height + BandHeight - 1) / BandHeight;
        if (bands == 0 || width == 0) return;
        // Bucket the discs by band (a disc spanning several bands goes into each), keeping the drawing order.
        var counts = new int[bands + 1];
        int discs = order?.Length ?? x.Length;
        for (int k = 0; k < discs; k++)
        {
            int i = order is null ? k : order[k];
            if (!Bands(y[i], radius[i], height, out int first, out int last) || !InsideX(x[i], radius[i], width)) continue;
            for (int b = first; b <= last; b++) counts[b + 1]++;
        }
        for (int b = 0; b < bands; b++) counts[b + 1] += counts[b];
        var bucket = new int[counts[bands]];
        var fill = counts.AsSpan(0, bands).ToArray();
        for (int k = 0; k < discs; k++)
        {
            int i = order is null ? k : order[k];
            if (!Bands(y[i], radius[i], height, out int first, out int last) || !InsideX(x[i], radius[i], width)) continue;
            for (int b = first; b <= last; b++) bucket[fill[b]++] = i;
        }
        unsafe
        {
            fixed (uint* basePtr = pixels)
            {
                nint address = (nint)basePtr;
                Parallel.For(0, bands, new ParallelOptions { CancellationToken = cancellation }, band =>
                {
                    int y0 = band * BandHeight, y1 = Math.Min(height, y0 + BandHeight);
                    var span = new Span<uint>((uint*)address, width * height);
                    for (int k = counts[band]; k < counts[band + 1]; k++)
                    {
                        int i = bucket[k];
                        DrawDisc(span, width, y0, y1, x[i], y[i], radius[i], rgba[i], alpha);
                    }
                });
            }
        }
    }

    private static bool InsideX(float cx, float r, int width) => cx + r + 1 >= 0 && cx - r - 1 < width;

    private static bool Bands(float cy, float r, int height, out int first, out int last)
    {
        float reach = Math.Max(r, 0.5f) + 0.5f;
        int top = (int)MathF.Floor(cy - reach), bottom = (int)MathF.Floor(cy + reach);
        first = last = 0;
        if (!float.IsFinite(cy) || bottom < 0 || top >= height) return false;
        first = Math.Max(0, top) / BandHeight;
        last = Math.Min(height - 1, bottom) / BandHeight;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DrawDisc(Span<uint> pixels, int width, int y0, int y1, float cx, float cy, float r, uint rgba, float alpha)
    {
        if (!float.IsFinite(cx)) return;
        // Tiny discs: one pixel's worth of coverage scaled by the disc's area, so sub-pixel points still show density.
        float opacity = alpha * ((rgba >> 24) / 255f);
        if (r < 0.5f) { opacity *= (r * r) / 0.25f; r = 0.5f; }
        float reach = r + 0.5f;
        int xa = Math.Max(0, (int)MathF.Floor(cx - reach)), xb = Math.Min(width - 1, (int)MathF.Floor(cx + reach));
        int ya = Math.Max(y0, (int)MathF.Floor(cy - reach)), yb = Math.Min(y1 - 1, (int)MathF.Floor(cy + reach));
        uint red = rgba & 0xFF, green = (rgba >> 8) & 0xFF, blue = (rgba >> 16) & 0xFF;
        float outer = r + 0.5f, inner = r - 0.5f;
        float outer2 = outer * outer, inner2 = inner > 0 ? inner * inner : -1f;
        ref uint origin = ref MemoryMarshal.GetReference(pixels);
        for (int py = ya; py <= yb; py++)
        {
            float dy = py + 0.5f - cy;
            float dy2 = dy * dy;
            int row = py * width;
            for (int px = xa; px <= xb; px++)
            {
                float dx = px + 0.5f - cx;
                float d2 = dx * dx + dy2;
                if (d2 >= outer2) continue;
                // Coverage of a pixel by the disc edge, linear over one pixel: clamp(r + 0.5 − distance, 0, 1);
                // the square root is only needed on the rim.
                float coverage = d2 <= inner2 ? 1f : Math.Min(1f, outer - MathF.Sqrt(d2));
                uint a = (uint)(coverage * opacity * 256f + 0.5f);
                if (a == 0) continue;
                if (a > 256) a = 256;
                uint inv = 256 - a;
                ref uint dst = ref Unsafe.Add(ref origin, row + px);
                uint d = dst;
                uint outR = (red * a + (d & 0xFF) * inv) >> 8;
                uint outG = (green * a + ((d >> 8) & 0xFF) * inv) >> 8;
                uint outB = (blue * a + ((d >> 16) & 0xFF) * inv) >> 8;
                uint outA = (255 * a + (d >> 24) * inv) >> 8;
                dst = outR | (outG << 8) | (outB << 16) | (outA << 24);
            }
        }
    }
}
