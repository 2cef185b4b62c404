using System.Numerics;
using System.Runtime.InteropServices;

namespace EmbedPS.Core.Compute;

/// <summary>
/// Dense float-vector kernels for the optimisers (dot products, axpy, norms) that give the same bits whatever
/// the number of threads: work is cut into fixed-size chunks, each chunk's partial sum is kept in double, and the
/// partials are added in chunk order.
/// </summary>
public sealed class DeterministicVectorOps
{
    /// <summary>Elements per chunk: large enough that a chunk is worth a task, fixed so results never depend on threads.</summary>
    public const int ChunkSize = 1 << 15;

    private readonly ParallelOptions _options;
    private double[] _partials = Array.Empty<double>();

    public DeterministicVectorOps(int maxDegreeOfParallelism = -1)
    {
        _options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism <= 0 ? -1 : maxDegreeOfParallelism };
    }

    public ParallelOptions Options => _options;

    private static int Chunks(int length) => (length + ChunkSize - 1) / ChunkSize;

    private double[] Partials(int chunks)
    {
        if (_partials.Length < chunks) _partials = new double[chunks];
        return _partials;
    }

    private static double SumInOrder(double[] partials, int chunks)
    {
        double total = 0;
        for (int c = 0; c < chunks; c++) total += partials[c];
        return total;
    }

    /// <summary>Σ a·b, float inputs, double partial sums per chunk.</summary>
    public double Dot(float[] a, float[] b)
    {
        int length = a.Length, chunks = Chunks(length);
        var partials = Partials(chunks);
        if (chunks == 1) return DotRange(a, b, 0, length);
        Parallel.For(0, chunks, _options, c =>
        {
            int start = c * ChunkSize;
            partials[c] = DotRange(a, b, start, Math.Min(length, start + ChunkSize));
        });
        return SumInOrder(partials, chunks);
    }

    /// <summary>Σ |a|.</summary>
    public double SumAbs(float[] a)
    {
        int length = a.Length, chunks = Chunks(length);
        var partials = Partials(chunks);
        for (int c = 0; c < chunks; c++)
        {
            int start = c * ChunkSize, end = Math.Min(length, start + ChunkSize);
            double s = 0;
            for (int i = start; i < end; i++) s += Math.Abs(a[i]);
            partials[c] = s;
        }
        return SumInOrder(partials, chunks);
    }

    public double Norm(float[] a) => Math.Sqrt(Dot(a, a));

    /// <summary>y ← y + alpha·x.</summary>
    public void Axpy(double alpha, float[] x, float[] y)
    {
        int length = x.Length, chunks = Chunks(length);
        float a = (float)alpha;
        if (chunks == 1) { AxpyRange(a, x, y, 0, length); return; }
        Parallel.For(0, chunks, _options, c =>
        {
            int start = c * ChunkSize;
            AxpyRange(a, x, y, start, Math.Min(length, start + ChunkSize));
        });
    }

    /// <summary>result ← x + alpha·d.</summary>
    public void AddScaled(float[] x, double alpha, float[] d, float[] result)
    {
        int length = x.Length, chunks = Chunks(length);
        float a = (float)alpha;
        if (chunks == 1) { AddScaledRange(x, a, d, result, 0, length); return; }
        Parallel.For(0, chunks, _options, c =>
        {
            int start = c * ChunkSize;
            AddScaledRange(x, a, d, result, start, Math.Min(length, start + ChunkSize));
        });
    }

    /// <summary>
    /// One pass of the L-BFGS two-loop recursion: y ← (y + alpha·x)·scale (x may be null: y ← y·scale), then Σ dotWith·y
    /// over the updated y (0 when dotWith is null). Each element is rounded as <see cref="Axpy"/> then <see cref="Scale"/>
    /// would round it, and the sum as <see cref="Dot"/> would add it: one pass instead of two or three.
    /// </summary>
    public double UpdateThenDot(float[] y, double alpha, float[]? x, double scale, float[]? dotWith)
    {
        int length = y.Length, chunks = Chunks(length);
        var partials = Partials(chunks);
        float a = (float)alpha, f = (float)scale;
        if (chunks == 1) return UpdateThenDotRange(y, a, x, f, dotWith, 0, length);
        Parallel.For(0, chunks, _options, c =>
        {
            int start = c * ChunkSize;
            partials[c] = UpdateThenDotRange(y, a, x, f, dotWith, start, Math.Min(length, start + ChunkSize));
        });
        return SumInOrder(partials, chunks);
    }

    /// <summary>y ← −x, then Σ dotWith·y.</summary>
    public double NegateThenDot(float[] x, float[] y, float[]? dotWith)
    {
        int length = x.Length, chunks = Chunks(length);
        var partials = Partials(chunks);
        if (chunks == 1) return NegateThenDotRange(x, y, dotWith, 0, length);
        Parallel.For(0, chunks, _options, c =>
        {
            int start = c * ChunkSize;
            partials[c] = NegateThenDotRange(x, y, dotWith, start, Math.Min(length, start + ChunkSize));
        });
        return SumInOrder(partials, chunks);
    }

    /// <summary>
    /// An L-BFGS curvature pair in one pass: s ← (float)(step·d), y ← g − gPrevious, returning (Σ s·y, Σ y·y) with double
    /// partial sums per chunk.
    /// </summary>
    public (double SY, double YY) CurvaturePair(double step, float[] d, float[] g, float[] gPrevious, float[] s, float[] y)
    {
        int length = d.Length, chunks = Chunks(length);
        var partials = Partials(2 * chunks);
        Parallel.For(0, chunks, _options, c =>
        {
            int start = c * ChunkSize;
            (partials[c], partials[chunks + c]) = CurvaturePairRange(step, d, g, gPrevious, s, y, start, Math.Min(length, start + ChunkSize));
        });
        double sy = 0, yy = 0;
        for (int c = 0; c < chunks; c++) { sy += partials[c]; yy += partials[chunks + c]; }
        return (sy, yy);
    }

    /// <summary>max |a|.</summary>
    public static double MaxAbs(float[] a)
    {
        var v = MemoryMarshal.Cast<float, Vector<float>>(a.AsSpan());
        var max = Vector<float>.Zero;
        for (int i = 0; i < v.Length; i++) max = Vector.Max(max, Vector.Abs(v[i]));
        float result = 0;
        for (int k = 0; k < Vector<float>.Count; k++) result = Math.Max(result, max[k]);
        for (int i = v.Length * Vector<float>.Count; i < a.Length; i++) result = Math.Max(result, Math.Abs(a[i]));
        return result;
    }

    /// <summary>x ← alpha·x.</summary>
    public static void Scale(float[] x, double alpha)
    {
        float a = (float)alpha;
        var v = MemoryMarshal.Cast<float, Vector<float>>(x.AsSpan());
        for (int i = 0; i < v.Length; i++) v[i] *= a;
        for (int i = v.Length * Vector<float>.Count; i < x.Length; i++) x[i] *= a;
    }

    private static double DotRange(float[] a, float[] b, int start, int end)
    {
        var va = MemoryMarshal.Cast<float, Vector<float>>(a.AsSpan(start, end - start));
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b.AsSpan(start, end - start));
        double total = 0;
        // Float lanes are flushed into the double total every 64 vectors to bound rounding.
        int v = 0;
        while (v < va.Length)
        {
            var sum = Vector<float>.Zero;
            int stop = Math.Min(va.Length, v + 64);
            for (; v < stop; v++) sum += va[v] * vb[v];
            total += SumWide(sum);
        }
        for (int i = start + va.Length * Vector<float>.Count; i < end; i++) total += (double)a[i] * b[i];
        return total;
    }

    private static double UpdateThenDotRange(float[] y, float a, float[]? x, float f, float[]? dotWith, int start, int end)
    {
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y.AsSpan(start, end - start));
        int vectors = vy.Length, tail = start + vectors * Vector<float>.Count;
        if (x is not null)
        {
            var vx = MemoryMarshal.Cast<float, Vector<float>>(x.AsSpan(start, end - start));
            if (f != 1f)
            {
                for (int i = 0; i < vectors; i++) vy[i] = (vy[i] + a * vx[i]) * f;
                for (int i = tail; i < end; i++) y[i] = (y[i] + a * x[i]) * f;
            }
            else
            {
                for (int i = 0; i < vectors; i++) vy[i] += a * vx[i];
                for (int i = tail; i < end; i++) y[i] += a * x[i];
            }
        }
        else if (f != 1f)
        {
            for (int i = 0; i < vectors; i++) vy[i] *= f;
            for (int i = tail; i < end; i++) y[i] *= f;
        }
        return dotWith is null ? 0 : DotRange(dotWith, y, start, end);
    }

    private static double NegateThenDotRange(float[] x, float[] y, float[]? dotWith, int start, int end)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x.AsSpan(start, end - start));
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y.AsSpan(start, end - start));
        for (int i = 0; i < vx.Length; i++) vy[i] = -vx[i];
        for (int i = start + vx.Length * Vector<float>.Count; i < end; i++) y[i] = -x[i];
        return dotWith is null ? 0 : DotRange(dotWith, y, start, end);
    }

    private static (double, double) CurvaturePairRange(double step, float[] d, float[] g, float[] gPrevious, float[] s, float[] y, int start, int end)
    {
        int width = Vector<float>.Count;
        var vd = MemoryMarshal.Cast<float, Vector<float>>(d.AsSpan(start, end - start));
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g.AsSpan(start, end - start));
        var vp = MemoryMarshal.Cast<float, Vector<float>>(gPrevious.AsSpan(start, end - start));
        var vs = MemoryMarshal.Cast<float, Vector<float>>(s.AsSpan(start, end - start));
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y.AsSpan(start, end - start));
        var t = new Vector<double>(step);
        double sy = 0, yy = 0;
        int v = 0;
        while (v < vd.Length)
        {
            var sySum = Vector<double>.Zero; var yySum = Vector<double>.Zero;
            int stop = Math.Min(vd.Length, v + 64);
            for (; v < stop; v++)
            {
                // s = (float)(step·d) in double, like the scalar definition; y = g − gPrevious in float.
                Vector.Widen(vd[v], out var dLow, out var dHigh);
                var sv = Vector.Narrow(t * dLow, t * dHigh);
                var yv = vg[v] - vp[v];
                vs[v] = sv; vy[v] = yv;
                Vector.Widen(sv, out var sLow, out var sHigh);
                Vector.Widen(yv, out var yLow, out var yHigh);
                sySum += sLow * yLow + sHigh * yHigh;
                yySum += yLow * yLow + yHigh * yHigh;
            }
            sy += Vector.Sum(sySum); yy += Vector.Sum(yySum);
        }
        for (int i = start + vd.Length * width; i < end; i++)
        {
            float sv = (float)(step * d[i]), yv = g[i] - gPrevious[i];
            s[i] = sv; y[i] = yv;
            sy += (double)sv * yv; yy += (double)yv * yv;
        }
        return (sy, yy);
    }

    private static double SumWide(Vector<float> sum)
    {
        Vector.Widen(sum, out var low, out var high);
        return Vector.Sum(low + high);
    }

    private static void AxpyRange(float a, float[] x, float[] y, int start, int end)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x.AsSpan(start, end - start));
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y.AsSpan(start, end - start));
        for (int i = 0; i < vx.Length; i++) vy[i] += a * vx[i];
        for (int i = start + vx.Length * Vector<float>.Count; i < end; i++) y[i] += a * x[i];
    }

    private static void AddScaledRange(float[] x, float a, float[] d, float[] result, int start, int end)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x.AsSpan(start, end - start));
        var vd = MemoryMarshal.Cast<float, Vector<float>>(d.AsSpan(start, end - start));
        var vr = MemoryMarshal.Cast<float, Vector<float>>(result.AsSpan(start, end - start));
        for (int i = 0; i < vx.Length; i++) vr[i] = vx[i] + a * vd[i];
        for (int i = start + vx.Length * Vector<float>.Count; i < end; i++) result[i] = x[i] + a * d[i];
    }
}
