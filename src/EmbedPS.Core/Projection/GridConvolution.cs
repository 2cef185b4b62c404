using System.Numerics;
using System.Runtime.InteropServices;

namespace EmbedPS.Core.Projection;

/// <summary>
/// FIt-SNE's convolution step: two complex N × N node grids (four real charges packed as A = q0 + i·q1, B = q2 + i·q3)
/// convolved linearly with one real, even kernel, through a zero-padded L × L circulant embedding (L = 2N).
/// <para>
/// The 2-D transforms are batched 1-D transforms on strips of <see cref="StripWidth"/> columns that fit in cache. The
/// transposes ride on the strips' copy-out, so each grid is read and written three times per convolution: (a) along y
/// for the N non-zero columns, written transposed; (b) along x for every column, multiplied by the kernel's spectrum and
/// transformed back while the strip is still in cache, written transposed; (c) back along y for the N needed columns,
/// keeping the N needed rows. Zero padding is never transformed in (a), and rows no caller reads are never written.
/// </para>
/// </summary>
internal sealed class GridConvolution
{
    /// <summary>Sequences per strip: 16 doubles × L elements × 2 ping-pong buffers × 2 parts stays within L2.</summary>
    public const int StripWidth = 16;

    private readonly Fft _fft;
    private readonly int _l, _n;
    // Intermediates of (a) and (b): _t[x·L + ky] (N rows, L columns), _u[ky·N + x] (L rows, N columns); per grid, re and im.
    private readonly double[][] _t, _u;
    private readonly double[] _spectrum; // kernel spectrum (real: the kernel is real and even), [kx·L + ky]
    private double[]? _kernelScratch;

    [ThreadStatic] private static double[][]? t_strip;

    public GridConvolution(int nodes)
    {
        _n = nodes; _l = 2 * nodes;
        _fft = new Fft(_l);
        _t = [new double[_n * _l], new double[_n * _l], new double[_n * _l], new double[_n * _l]];
        _u = [new double[_n * _l], new double[_n * _l], new double[_n * _l], new double[_n * _l]];
        _spectrum = new double[_l * _l];
    }

    /// <summary>Nodes per axis (N).</summary>
    public int Nodes => _n;

    /// <summary>Transform length per axis (L = 2N).</summary>
    public int Length => _l;

    /// <summary>
    /// Sets the kernel from its values on node offsets: <paramref name="kernel"/>(dx, dy) for |dx|, |dy| &lt; N, in node
    /// units; it must be real and even in each axis.
    /// </summary>
    public void SetKernel(Func<int, int, double> kernel)
    {
        int l = _l, n = _n, w = StripWidth;
        // The kernel is even in y, so its transform along y is real (and then even in x, so the spectrum is real too):
        // one real L × L intermediate, kept for the next call, instead of complex ones.
        var transposed = _kernelScratch ??= new double[l * l];
        // Along y for every column x, the strip filled straight from the kernel; written transposed: transposed[x·L + ky].
        ForStrips(l, (x0, width, strip) =>
        {
            var (re, im, sre, sim) = (strip[0], strip[1], strip[2], strip[3]);
            Array.Clear(re, 0, l * w); Array.Clear(im, 0, l * w);
            for (int row = 0; row < l; row++)
            {
                int dy = row < n ? row : row - l;
                for (int c = 0; c < width; c++)
                {
                    int dx = x0 + c < n ? x0 + c : x0 + c - l;
                    if (Math.Abs(dx) < n && Math.Abs(dy) < n) re[row * w + c] = kernel(dx, dy);
                }
            }
            bool swapped = _fft.TransformBlock(re, im, sre, sim, w, inverse: false);
            var rr = swapped ? sre : re;
            for (int c = 0; c < width; c++)
                for (int ky = 0; ky < l; ky++) transposed[(x0 + c) * l + ky] = rr[ky * w + c];
        });
        // Along x for every ky; keep the real part: _spectrum[kx·L + ky].
        ForStrips(l, (k0, width, strip) =>
        {
            var (re, im, sre, sim) = (strip[0], strip[1], strip[2], strip[3]);
            Array.Clear(re, 0, l * w); Array.Clear(im, 0, l * w);
            for (int x = 0; x < l; x++)
                for (int c = 0; c < width; c++) re[x * w + c] = transposed[x * l + k0 + c];
            bool swapped = _fft.TransformBlock(re, im, sre, sim, w, inverse: false);
            var rr = swapped ? sre : re;
            for (int kx = 0; kx < l; kx++)
                for (int c = 0; c < width; c++) _spectrum[kx * l + k0 + c] = rr[kx * w + c];
        });
    }

    /// <summary>
    /// Convolves the grids in place: <paramref name="grids"/> = [A.re, A.im, B.re, B.im], each N × N row-major
    /// (row = y node, column = x node). On return each holds Σ_(x',y') kernel(x − x', y − y')·charge(x', y').
    /// </summary>
    public void Convolve(double[][] grids)
    {
        int l = _l, n = _n, w = StripWidth;
        // (a) along y for the non-zero columns x < N; rows y ≥ N are zero padding. Written transposed: _t[x·L + ky].
        ForStrips(n, (x0, width, strip) =>
        {
            for (int g = 0; g < 2; g++)
            {
                var (re, im, sre, sim) = (strip[0], strip[1], strip[2], strip[3]);
                CopyRowsIn(grids[2 * g], grids[2 * g + 1], n, x0, width, n, re, im);
                Array.Clear(re, n * w, (l - n) * w); Array.Clear(im, n * w, (l - n) * w);
                bool swapped = _fft.TransformBlock(re, im, sre, sim, w, inverse: false);
                var (rr, ri) = swapped ? (sre, sim) : (re, im);
                CopyRowsOutTransposed(rr, ri, l, _t[2 * g], _t[2 * g + 1], l, x0, width);
            }
        });
        // (b) along x for every ky (rows x ≥ N are zero), times the spectrum, back along kx; keep x < N, transposed: _u[ky·N + x].
        ForStrips(l, (k0, width, strip) =>
        {
            for (int g = 0; g < 2; g++)
            {
                var (re, im, sre, sim) = (strip[0], strip[1], strip[2], strip[3]);
                CopyRowsIn(_t[2 * g], _t[2 * g + 1], l, k0, width, n, re, im);
                Array.Clear(re, n * w, (l - n) * w); Array.Clear(im, n * w, (l - n) * w);
                bool swapped = _fft.TransformBlock(re, im, sre, sim, w, inverse: false);
                var (fr, fi, gr2, gi2) = swapped ? (sre, sim, re, im) : (re, im, sre, sim);
                MultiplyBySpectrum(fr, fi, k0, width);
                swapped = _fft.TransformBlock(fr, fi, gr2, gi2, w, inverse: true);
                var (rr, ri) = swapped ? (gr2, gi2) : (fr, fi);
                CopyRowsOutTransposed(rr, ri, n, _u[2 * g], _u[2 * g + 1], n, k0, width);
            }
        });
        // (c) back along ky for the columns x < N; keep rows y < N, scaled by 1/L².
        double scale = 1.0 / ((double)l * l);
        ForStrips(n, (x0, width, strip) =>
        {
            for (int g = 0; g < 2; g++)
            {
                var (re, im, sre, sim) = (strip[0], strip[1], strip[2], strip[3]);
                CopyRowsIn(_u[2 * g], _u[2 * g + 1], n, x0, width, l, re, im);
                bool swapped = _fft.TransformBlock(re, im, sre, sim, w, inverse: true);
                var (rr, ri) = swapped ? (sre, sim) : (re, im);
                var (gr, gi) = (grids[2 * g], grids[2 * g + 1]);
                for (int y = 0; y < n; y++)
                    for (int c = 0; c < width; c++) { gr[y * n + x0 + c] = rr[y * w + c] * scale; gi[y * n + x0 + c] = ri[y * w + c] * scale; }
            }
        });
    }

    /// <summary>Copies columns [c0, c0 + width) of the first <paramref name="rows"/> rows of a row-major array into a strip (zero beyond width).</summary>
    private static unsafe void CopyRowsIn(double[] sourceRe, double[] sourceIm, int stride, int c0, int width, int rows, double[] re, double[] im)
    {
        const int w = StripWidth;
        if (width < w) { Array.Clear(re, 0, rows * w); Array.Clear(im, 0, rows * w); }
        int lanes = Vector<double>.Count, vectorWidth = width / lanes * lanes;
        fixed (double* fromRe = sourceRe, fromIm = sourceIm, toRe = re, toIm = im)
            for (int row = 0; row < rows; row++)
            {
                // 16 values per row: a call to Memmove each would cost more than the copy.
                double* ar = fromRe + (long)row * stride + c0, ai = fromIm + (long)row * stride + c0, br = toRe + row * w, bi = toIm + row * w;
                int c = 0;
                for (; c < vectorWidth; c += lanes) { Vector.Load(ar + c).Store(br + c); Vector.Load(ai + c).Store(bi + c); }
                for (; c < width; c++) { br[c] = ar[c]; bi[c] = ai[c]; }
            }
    }

    /// <summary>Writes the first <paramref name="rows"/> rows of a strip transposed: strip[row, c] → target[(c0 + c)·stride + row].</summary>
    private static unsafe void CopyRowsOutTransposed(double[] re, double[] im, int rows, double[] targetRe, double[] targetIm, int stride, int c0, int width)
    {
        const int w = StripWidth;
        fixed (double* sr = re, si = im, tr = targetRe, ti = targetIm)
        {
            // Row outer, column inner: the strip is read contiguously and each of the width target rows is written in order.
            for (int row = 0; row < rows; row++)
            {
                double* fromRe = sr + row * w, fromIm = si + row * w;
                double* toRe = tr + (long)c0 * stride + row, toIm = ti + (long)c0 * stride + row;
                for (int c = 0; c < width; c++) { toRe[(long)c * stride] = fromRe[c]; toIm[(long)c * stride] = fromIm[c]; }
            }
        }
    }

    private void MultiplyBySpectrum(double[] re, double[] im, int k0, int width)
    {
        const int w = StripWidth;
        for (int kx = 0; kx < _l; kx++)
        {
            var k = _spectrum.AsSpan(kx * _l + k0, width);
            var r = re.AsSpan(kx * w, width); var i = im.AsSpan(kx * w, width);
            if (width == w && Vector<double>.Count <= w)
            {
                var vk = MemoryMarshal.Cast<double, Vector<double>>(k);
                var vr = MemoryMarshal.Cast<double, Vector<double>>(r); var vi = MemoryMarshal.Cast<double, Vector<double>>(i);
                for (int v = 0; v < vk.Length; v++) { vr[v] *= vk[v]; vi[v] *= vk[v]; }
            }
            else
                for (int c = 0; c < width; c++) { r[c] *= k[c]; i[c] *= k[c]; }
        }
    }

    /// <summary>Runs <paramref name="body"/>(first column, columns in this strip, the thread's strip buffers) over strips of columns.</summary>
    private void ForStrips(int columns, Action<int, int, double[][]> body)
    {
        int strips = (columns + StripWidth - 1) / StripWidth;
        int size = _l * StripWidth;
        Parallel.For(0, strips, s =>
        {
            var strip = t_strip;
            if (strip is null || strip[0].Length < size)
                t_strip = strip = [new double[size], new double[size], new double[size], new double[size]];
            int c0 = s * StripWidth;
            body(c0, Math.Min(StripWidth, columns - c0), strip);
        });
    }
}
