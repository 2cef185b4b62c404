namespace EmbedPS.Core.Projection;

/// <summary>
/// In-place iterative radix-2 complex FFT (Cooley–Tukey, decimation in time) on split real/imaginary arrays,
/// with precomputed bit reversal and twiddles, plus the 2-D transforms FIt-SNE's convolution needs.
/// </summary>
public sealed class Fft
{
    private readonly int _length, _log2;
    private readonly int[] _reverse;
    private readonly double[] _cos, _sin;

    public Fft(int length)
    {
        if (length < 2 || (length & (length - 1)) != 0) throw new ArgumentException("FFT length must be a power of two ≥ 2.", nameof(length));
        _length = length;
        _log2 = System.Numerics.BitOperations.Log2((uint)length);
        _reverse = new int[length];
        for (int i = 0; i < length; i++)
        {
            int r = 0;
            for (int b = 0; b < _log2; b++) if ((i & (1 << b)) != 0) r |= 1 << (_log2 - 1 - b);
            _reverse[i] = r;
        }
        _cos = new double[length / 2];
        _sin = new double[length / 2];
        for (int i = 0; i < length / 2; i++)
        {
            _cos[i] = Math.Cos(2 * Math.PI * i / length);
            _sin[i] = -Math.Sin(2 * Math.PI * i / length);
        }
    }

    public int Length => _length;

    /// <summary>Forward (e^{−2πikn/N}) or unnormalised inverse transform of re/im[offset .. offset+N).</summary>
    public void Transform(Span<double> re, Span<double> im, bool inverse)
    {
        int n = _length;
        for (int i = 0; i < n; i++)
        {
            int j = _reverse[i];
            if (j > i) { (re[i], re[j]) = (re[j], re[i]); (im[i], im[j]) = (im[j], im[i]); }
        }
        double sign = inverse ? -1 : 1;
        for (int size = 2; size <= n; size <<= 1)
        {
            int half = size >> 1, step = n / size;
            for (int start = 0; start < n; start += size)
            {
                for (int k = 0, t = 0; k < half; k++, t += step)
                {
                    double wr = _cos[t], wi = sign * _sin[t];
                    int a = start + k, b = a + half;
                    double xr = re[b] * wr - im[b] * wi;
                    double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr; im[b] = im[a] - xi;
                    re[a] += xr; im[a] += xi;
                }
            }
        }
    }

    /// <summary>
    /// 2-D transform of an L × L row-major array. Only rows [0, <paramref name="nonZeroRows"/>) are transformed in the first
    /// pass (the others are zero); the result is left transposed (frequency index (kx, ky) at [kx·L + ky]).
    /// </summary>
    public void Forward2DTransposed(double[] re, double[] im, int nonZeroRows, double[] scratchRe, double[] scratchIm)
    {
        int l = _length;
        Parallel.For(0, nonZeroRows, r => Transform(re.AsSpan(r * l, l), im.AsSpan(r * l, l), false));
        Transpose(re, im, scratchRe, scratchIm, l);
        Parallel.For(0, l, r => Transform(scratchRe.AsSpan(r * l, l), scratchIm.AsSpan(r * l, l), false));
        Array.Copy(scratchRe, re, re.Length);
        Array.Copy(scratchIm, im, im.Length);
    }

    /// <summary>
    /// Inverse of <see cref="Forward2DTransposed"/> (normalised by 1/L²): input transposed spectrum, output row-major;
    /// only rows [0, <paramref name="neededRows"/>) of the output are computed.
    /// </summary>
    public void Inverse2DFromTransposed(double[] re, double[] im, int neededRows, double[] scratchRe, double[] scratchIm)
    {
        int l = _length;
        Parallel.For(0, l, r => Transform(re.AsSpan(r * l, l), im.AsSpan(r * l, l), true));
        Transpose(re, im, scratchRe, scratchIm, l);
        double scale = 1.0 / ((double)l * l);
        Parallel.For(0, neededRows, r =>
        {
            var sr = scratchRe.AsSpan(r * l, l); var si = scratchIm.AsSpan(r * l, l);
            Transform(sr, si, true);
            for (int c = 0; c < l; c++) { re[r * l + c] = sr[c] * scale; im[r * l + c] = si[c] * scale; }
        });
    }

    private static void Transpose(double[] re, double[] im, double[] outRe, double[] outIm, int l)
    {
        const int tile = 32;
        int tiles = (l + tile - 1) / tile;
        Parallel.For(0, tiles, tr =>
        {
            for (int tc = 0; tc < tiles; tc++)
                for (int r = tr * tile; r < Math.Min(l, (tr + 1) * tile); r++)
                    for (int c = tc * tile; c < Math.Min(l, (tc + 1) * tile); c++)
                    {
                        outRe[c * l + r] = re[r * l + c];
                        outIm[c * l + r] = im[r * l + c];
                    }
        });
    }
}
