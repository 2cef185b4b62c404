using System.Numerics;
using System.Runtime.InteropServices;

namespace EmbedPS.Core.Projection;

/// <summary>
/// Radix-2 complex FFT (iterative Cooley–Tukey, decimation in time) on split real/imaginary double arrays, and the
/// 2-D transforms of FIt-SNE's convolution on an L × L row-major grid. Row transforms are scalar with per-stage
/// contiguous twiddles; column transforms run the same butterflies on whole rows at once (SIMD across columns,
/// parallel over column strips), so no transposition is needed.
/// </summary>
public sealed class Fft
{
    private readonly int _length;
    private readonly int[] _reverse;
    // Twiddles of stage s (butterfly span 2^s) at [2^(s−1) − 1 .. 2^s − 1): e^{−2πik/2^s}, k < 2^(s−1).
    private readonly double[] _cos, _sin;

    public Fft(int length)
    {
        if (length < 2 || (length & (length - 1)) != 0) throw new ArgumentException("FFT length must be a power of two ≥ 2.", nameof(length));
        _length = length;
        int log2 = System.Numerics.BitOperations.Log2((uint)length);
        _reverse = new int[length];
        for (int i = 0; i < length; i++)
        {
            int r = 0;
            for (int b = 0; b < log2; b++) if ((i & (1 << b)) != 0) r |= 1 << (log2 - 1 - b);
            _reverse[i] = r;
        }
        _cos = new double[length];
        _sin = new double[length];
        for (int size = 2; size <= length; size <<= 1)
        {
            int half = size >> 1;
            for (int k = 0; k < half; k++)
            {
                _cos[half - 1 + k] = Math.Cos(2 * Math.PI * k / size);
                _sin[half - 1 + k] = -Math.Sin(2 * Math.PI * k / size);
            }
        }
    }

    public int Length => _length;

    /// <summary>Forward (e^{−2πikn/N}) or unnormalised inverse transform of one contiguous sequence.</summary>
    public unsafe void Transform(Span<double> reSpan, Span<double> imSpan, bool inverse)
    {
        int n = _length;
        if (reSpan.Length < n || imSpan.Length < n) throw new ArgumentException("Spans shorter than the FFT length.");
        fixed (double* re = reSpan, im = imSpan, cosTable = _cos, sinTable = _sin)
        fixed (int* reverse = _reverse)
        {
            for (int i = 0; i < n; i++)
            {
                int j = reverse[i];
                if (j > i) { (re[i], re[j]) = (re[j], re[i]); (im[i], im[j]) = (im[j], im[i]); }
            }
            double sign = inverse ? -1 : 1;
            for (int size = 2; size <= n; size <<= 1)
            {
                int half = size >> 1;
                double* wc = cosTable + half - 1, ws = sinTable + half - 1;
                for (int start = 0; start < n; start += size)
                {
                    double* ar = re + start, ai = im + start, br = ar + half, bi = ai + half;
                    for (int k = 0; k < half; k++)
                    {
                        double wr = wc[k], wi = sign * ws[k];
                        double xr = br[k] * wr - bi[k] * wi;
                        double xi = br[k] * wi + bi[k] * wr;
                        br[k] = ar[k] - xr; bi[k] = ai[k] - xi;
                        ar[k] += xr; ai[k] += xi;
                    }
                }
            }
        }
    }

    /// <summary>Transforms every column of an L × L row-major array (SIMD across columns, parallel over strips of columns).</summary>
    public void TransformColumns(double[] re, double[] im, bool inverse)
    {
        int l = _length;
        const int strip = 64;
        int strips = (l + strip - 1) / strip;
        Parallel.For(0, strips, s => TransformColumnStrip(re, im, inverse, s * strip, Math.Min(l, (s + 1) * strip)));
    }

    private void TransformColumnStrip(double[] re, double[] im, bool inverse, int c0, int c1)
    {
        int l = _length, width = c1 - c0;
        for (int i = 0; i < l; i++)
        {
            int j = _reverse[i];
            if (j <= i) continue;
            var ra = re.AsSpan(i * l + c0, width); var rb = re.AsSpan(j * l + c0, width);
            var ia = im.AsSpan(i * l + c0, width); var ib = im.AsSpan(j * l + c0, width);
            for (int c = 0; c < width; c++) { (ra[c], rb[c]) = (rb[c], ra[c]); (ia[c], ib[c]) = (ib[c], ia[c]); }
        }
        double sign = inverse ? -1 : 1;
        int lanes = Vector<double>.Count;
        int vectorWidth = width / lanes * lanes;
        for (int size = 2; size <= l; size <<= 1)
        {
            int half = size >> 1;
            for (int start = 0; start < l; start += size)
            {
                for (int k = 0; k < half; k++)
                {
                    double wr = _cos[half - 1 + k], wi = sign * _sin[half - 1 + k];
                    int a = (start + k) * l + c0, b = (start + k + half) * l + c0;
                    var ar = MemoryMarshal.Cast<double, Vector<double>>(re.AsSpan(a, vectorWidth));
                    var ai = MemoryMarshal.Cast<double, Vector<double>>(im.AsSpan(a, vectorWidth));
                    var br = MemoryMarshal.Cast<double, Vector<double>>(re.AsSpan(b, vectorWidth));
                    var bi = MemoryMarshal.Cast<double, Vector<double>>(im.AsSpan(b, vectorWidth));
                    var vwr = new Vector<double>(wr); var vwi = new Vector<double>(wi);
                    for (int v = 0; v < ar.Length; v++)
                    {
                        var xr = br[v] * vwr - bi[v] * vwi;
                        var xi = br[v] * vwi + bi[v] * vwr;
                        br[v] = ar[v] - xr; bi[v] = ai[v] - xi;
                        ar[v] += xr; ai[v] += xi;
                    }
                    for (int c = vectorWidth; c < width; c++)
                    {
                        double xr = re[b + c] * wr - im[b + c] * wi;
                        double xi = re[b + c] * wi + im[b + c] * wr;
                        re[b + c] = re[a + c] - xr; im[b + c] = im[a + c] - xi;
                        re[a + c] += xr; im[a + c] += xi;
                    }
                }
            }
        }
    }

    /// <summary>2-D forward transform of an L × L row-major array whose rows ≥ <paramref name="nonZeroRows"/> are zero.</summary>
    public void Forward2D(double[] re, double[] im, int nonZeroRows)
    {
        int l = _length;
        Parallel.For(0, nonZeroRows, r => Transform(re.AsSpan(r * l, l), im.AsSpan(r * l, l), false));
        TransformColumns(re, im, false);
    }

    /// <summary>2-D inverse transform normalised by 1/L²; only rows [0, <paramref name="neededRows"/>) of the result are valid.</summary>
    public void Inverse2D(double[] re, double[] im, int neededRows)
    {
        int l = _length;
        TransformColumns(re, im, true);
        double scale = 1.0 / ((double)l * l);
        Parallel.For(0, neededRows, r =>
        {
            var sr = re.AsSpan(r * l, l); var si = im.AsSpan(r * l, l);
            Transform(sr, si, true);
            for (int c = 0; c < l; c++) { sr[c] *= scale; si[c] *= scale; }
        });
    }
}
