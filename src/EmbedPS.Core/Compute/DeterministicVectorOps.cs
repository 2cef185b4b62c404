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
