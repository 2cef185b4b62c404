using System.Numerics;

namespace EmbedPS.Core.Projection;

/// <summary>
/// Mixed-radix (4, 2, 3, 5) complex FFT of any length whose prime factors are 2, 3 and 5, applied to many sequences at
/// once: a block holds <c>width</c> sequences element-major (element i of sequence c at <c>i·width + c</c>, real and
/// imaginary parts in separate arrays). Stockham autosort stages (out of place, no bit reversal), so every butterfly
/// reads and writes runs of <c>stride·width</c> contiguous values: SIMD across the sequences, no gather. FIt-SNE's grid
/// is sized to the embedding's span; allowing 3 and 5 as factors keeps that grid at most ~1.2× the size the span asks
/// for, where powers of two alone cost up to 4× the cells (openTSNE picks FFTW-friendly sizes for the same reason).
/// </summary>
public sealed class Fft
{
    private readonly int _length;
    private readonly Stage[] _stages;

    private sealed record Stage(int Radix, int Span, int Stride, double[] Cos, double[] Sin);

    public Fft(int length)
    {
        if (!IsSupportedLength(length)) throw new ArgumentException($"FFT length must be ≥ 2 with no prime factor other than 2, 3 and 5; got {length}.", nameof(length));
        _length = length;
        var radices = new List<int>();
        int rest = length;
        while (rest % 4 == 0) { radices.Add(4); rest /= 4; }
        while (rest % 2 == 0) { radices.Add(2); rest /= 2; }
        while (rest % 3 == 0) { radices.Add(3); rest /= 3; }
        while (rest % 5 == 0) { radices.Add(5); rest /= 5; }
        var stages = new List<Stage>();
        int span = length, stride = 1;
        foreach (int radix in radices)
        {
            // Twiddles of this stage: e^{−2πi·p·k/span} for p < span/radix, k = 1 … radix−1, at [p·(radix−1) + k − 1].
            int m = span / radix;
            var cos = new double[m * (radix - 1)];
            var sin = new double[m * (radix - 1)];
            for (int p = 0; p < m; p++)
                for (int k = 1; k < radix; k++)
                {
                    double angle = -2 * Math.PI * ((long)p * k % span) / span;
                    cos[p * (radix - 1) + k - 1] = Math.Cos(angle);
                    sin[p * (radix - 1) + k - 1] = Math.Sin(angle);
                }
            stages.Add(new Stage(radix, span, stride, cos, sin));
            span = m; stride *= radix;
        }
        _stages = stages.ToArray();
    }

    public int Length => _length;

    /// <summary>Whether <paramref name="n"/> ≥ 2 has no prime factor other than 2, 3 and 5.</summary>
    public static bool IsSupportedLength(int n)
    {
        if (n < 2) return false;
        foreach (int f in new[] { 2, 3, 5 }) while (n % f == 0) n /= f;
        return n == 1;
    }

    /// <summary>The smallest supported length ≥ <paramref name="n"/>.</summary>
    public static int NextSupportedLength(int n)
    {
        n = Math.Max(n, 2);
        while (!IsSupportedLength(n)) n++;
        return n;
    }

    /// <summary>
    /// Transforms the <paramref name="width"/> sequences of a block of Length·width values. The stages alternate between
    /// the block and the scratch arrays (each at least as long); returns true when the result ended in the scratch arrays.
    /// </summary>
    public unsafe bool TransformBlock(double[] re, double[] im, double[] scratchRe, double[] scratchIm, int width, bool inverse)
    {
        int total = _length * width;
        if (re.Length < total || im.Length < total || scratchRe.Length < total || scratchIm.Length < total)
            throw new ArgumentException("Block or scratch shorter than Length × width.");
        fixed (double* r0 = re, i0 = im, r1 = scratchRe, i1 = scratchIm)
        {
            double* xr = r0, xi = i0, yr = r1, yi = i1;
            foreach (var stage in _stages)
            {
                RunStage(stage, xr, xi, yr, yi, width, inverse ? -1 : 1);
                double* swap = xr; xr = yr; yr = swap;
                swap = xi; xi = yi; yi = swap;
            }
            return xr == r1;
        }
    }

    // One Stockham stage: for each p < m = span/radix, the radix inputs x[(p + j·m)·run + t] (run = stride·width) go through
    // a radix-point DFT, and output k, multiplied by the twiddle e^{∓2πi·p·k/span}, lands at y[(radix·p + k)·run + t].
    private static unsafe void RunStage(Stage stage, double* xr, double* xi, double* yr, double* yi, int width, int sign)
    {
        int radix = stage.Radix, m = stage.Span / radix, run = stage.Stride * width;
        int lanes = Vector<double>.Count, vectorRun = run / lanes * lanes;
        fixed (double* cosTable = stage.Cos, sinTable = stage.Sin)
        {
            for (int p = 0; p < m; p++)
            {
                double* wc = cosTable + p * (radix - 1), ws = sinTable + p * (radix - 1);
                long inBase = (long)p * run, outBase = (long)radix * p * run, inStep = (long)m * run;
                switch (radix)
                {
                    case 2: Radix2(xr + inBase, xi + inBase, inStep, yr + outBase, yi + outBase, run, vectorRun, wc[0], sign * ws[0]); break;
                    case 3: Radix3(xr + inBase, xi + inBase, inStep, yr + outBase, yi + outBase, run, vectorRun, wc, ws, sign); break;
                    case 4: Radix4(xr + inBase, xi + inBase, inStep, yr + outBase, yi + outBase, run, vectorRun, wc, ws, sign); break;
                    default: Radix5(xr + inBase, xi + inBase, inStep, yr + outBase, yi + outBase, run, vectorRun, wc, ws, sign); break;
                }
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Twiddle(ref Vector<double> re, ref Vector<double> im, double c, double s)
    {
        var vc = new Vector<double>(c); var vs = new Vector<double>(s);
        var r = re * vc - im * vs;
        im = re * vs + im * vc;
        re = r;
    }

    private static unsafe void Radix2(double* xr, double* xi, long step, double* yr, double* yi, int run, int vectorRun, double c, double s)
    {
        int t = 0;
        for (; t < vectorRun; t += Vector<double>.Count)
        {
            var ar = Vector.Load(xr + t); var ai = Vector.Load(xi + t);
            var br = Vector.Load(xr + step + t); var bi = Vector.Load(xi + step + t);
            (ar + br).Store(yr + t); (ai + bi).Store(yi + t);
            var dr = ar - br; var di = ai - bi;
            Twiddle(ref dr, ref di, c, s);
            dr.Store(yr + run + t); di.Store(yi + run + t);
        }
        for (; t < run; t++)
        {
            double ar = xr[t], ai = xi[t], br = xr[step + t], bi = xi[step + t];
            yr[t] = ar + br; yi[t] = ai + bi;
            double dr = ar - br, di = ai - bi;
            yr[run + t] = dr * c - di * s; yi[run + t] = dr * s + di * c;
        }
    }

    private static unsafe void Radix4(double* xr, double* xi, long step, double* yr, double* yi, int run, int vectorRun, double* wc, double* ws, int sign)
    {
        double c1 = wc[0], s1 = sign * ws[0], c2 = wc[1], s2 = sign * ws[1], c3 = wc[2], s3 = sign * ws[2];
        var vsign = new Vector<double>(sign);
        int t = 0;
        for (; t < vectorRun; t += Vector<double>.Count)
        {
            var a0r = Vector.Load(xr + t); var a0i = Vector.Load(xi + t);
            var a1r = Vector.Load(xr + step + t); var a1i = Vector.Load(xi + step + t);
            var a2r = Vector.Load(xr + 2 * step + t); var a2i = Vector.Load(xi + 2 * step + t);
            var a3r = Vector.Load(xr + 3 * step + t); var a3i = Vector.Load(xi + 3 * step + t);
            var t0r = a0r + a2r; var t0i = a0i + a2i; var t1r = a0r - a2r; var t1i = a0i - a2i;
            var t2r = a1r + a3r; var t2i = a1i + a3i; var t3r = (a1r - a3r) * vsign; var t3i = (a1i - a3i) * vsign;
            (t0r + t2r).Store(yr + t); (t0i + t2i).Store(yi + t);
            // X1 = t1 − i·σ·t3, X3 = t1 + i·σ·t3, X2 = t0 − t2 (σ = +1 forward, −1 inverse)
            var x1r = t1r + t3i; var x1i = t1i - t3r; Twiddle(ref x1r, ref x1i, c1, s1);
            var x2r = t0r - t2r; var x2i = t0i - t2i; Twiddle(ref x2r, ref x2i, c2, s2);
            var x3r = t1r - t3i; var x3i = t1i + t3r; Twiddle(ref x3r, ref x3i, c3, s3);
            x1r.Store(yr + run + t); x1i.Store(yi + run + t);
            x2r.Store(yr + 2 * run + t); x2i.Store(yi + 2 * run + t);
            x3r.Store(yr + 3 * run + t); x3i.Store(yi + 3 * run + t);
        }
        for (; t < run; t++)
        {
            double a0r = xr[t], a0i = xi[t], a1r = xr[step + t], a1i = xi[step + t];
            double a2r = xr[2 * step + t], a2i = xi[2 * step + t], a3r = xr[3 * step + t], a3i = xi[3 * step + t];
            double t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
            double t2r = a1r + a3r, t2i = a1i + a3i, t3r = (a1r - a3r) * sign, t3i = (a1i - a3i) * sign;
            yr[t] = t0r + t2r; yi[t] = t0i + t2i;
            double x1r = t1r + t3i, x1i = t1i - t3r, x2r = t0r - t2r, x2i = t0i - t2i, x3r = t1r - t3i, x3i = t1i + t3r;
            yr[run + t] = x1r * c1 - x1i * s1; yi[run + t] = x1r * s1 + x1i * c1;
            yr[2 * run + t] = x2r * c2 - x2i * s2; yi[2 * run + t] = x2r * s2 + x2i * c2;
            yr[3 * run + t] = x3r * c3 - x3i * s3; yi[3 * run + t] = x3r * s3 + x3i * c3;
        }
    }

    private static unsafe void Radix3(double* xr, double* xi, long step, double* yr, double* yi, int run, int vectorRun, double* wc, double* ws, int sign)
    {
        double c1 = wc[0], s1 = sign * ws[0], c2 = wc[1], s2 = sign * ws[1];
        double h = sign * Math.Sqrt(3) / 2;
        var vh = new Vector<double>(h); var half = new Vector<double>(0.5);
        int t = 0;
        for (; t < vectorRun; t += Vector<double>.Count)
        {
            var a0r = Vector.Load(xr + t); var a0i = Vector.Load(xi + t);
            var a1r = Vector.Load(xr + step + t); var a1i = Vector.Load(xi + step + t);
            var a2r = Vector.Load(xr + 2 * step + t); var a2i = Vector.Load(xi + 2 * step + t);
            var sr = a1r + a2r; var si = a1i + a2i;
            (a0r + sr).Store(yr + t); (a0i + si).Store(yi + t);
            var tr = a0r - sr * half; var ti = a0i - si * half;
            var ur = (a1r - a2r) * vh; var ui = (a1i - a2i) * vh;
            // X1 = T − i·U, X2 = T + i·U (U carries the direction's sign)
            var x1r = tr + ui; var x1i = ti - ur; Twiddle(ref x1r, ref x1i, c1, s1);
            var x2r = tr - ui; var x2i = ti + ur; Twiddle(ref x2r, ref x2i, c2, s2);
            x1r.Store(yr + run + t); x1i.Store(yi + run + t);
            x2r.Store(yr + 2 * run + t); x2i.Store(yi + 2 * run + t);
        }
        for (; t < run; t++)
        {
            double a0r = xr[t], a0i = xi[t], a1r = xr[step + t], a1i = xi[step + t], a2r = xr[2 * step + t], a2i = xi[2 * step + t];
            double sr = a1r + a2r, si = a1i + a2i;
            yr[t] = a0r + sr; yi[t] = a0i + si;
            double tr = a0r - 0.5 * sr, ti = a0i - 0.5 * si, ur = (a1r - a2r) * h, ui = (a1i - a2i) * h;
            double x1r = tr + ui, x1i = ti - ur, x2r = tr - ui, x2i = ti + ur;
            yr[run + t] = x1r * c1 - x1i * s1; yi[run + t] = x1r * s1 + x1i * c1;
            yr[2 * run + t] = x2r * c2 - x2i * s2; yi[2 * run + t] = x2r * s2 + x2i * c2;
        }
    }

    private static unsafe void Radix5(double* xr, double* xi, long step, double* yr, double* yi, int run, int vectorRun, double* wc, double* ws, int sign)
    {
        double cos1 = Math.Cos(2 * Math.PI / 5), cos2 = Math.Cos(4 * Math.PI / 5);
        double sin1 = sign * Math.Sin(2 * Math.PI / 5), sin2 = sign * Math.Sin(4 * Math.PI / 5);
        var vc1 = new Vector<double>(cos1); var vc2 = new Vector<double>(cos2);
        var vs1 = new Vector<double>(sin1); var vs2 = new Vector<double>(sin2);
        int t = 0;
        for (; t < vectorRun; t += Vector<double>.Count)
        {
            var a0r = Vector.Load(xr + t); var a0i = Vector.Load(xi + t);
            var a1r = Vector.Load(xr + step + t); var a1i = Vector.Load(xi + step + t);
            var a2r = Vector.Load(xr + 2 * step + t); var a2i = Vector.Load(xi + 2 * step + t);
            var a3r = Vector.Load(xr + 3 * step + t); var a3i = Vector.Load(xi + 3 * step + t);
            var a4r = Vector.Load(xr + 4 * step + t); var a4i = Vector.Load(xi + 4 * step + t);
            var b1r = a1r + a4r; var b1i = a1i + a4i; var d1r = a1r - a4r; var d1i = a1i - a4i;
            var b2r = a2r + a3r; var b2i = a2i + a3i; var d2r = a2r - a3r; var d2i = a2i - a3i;
            (a0r + b1r + b2r).Store(yr + t); (a0i + b1i + b2i).Store(yi + t);
            // X1,4 = T1 ∓ i·U1 with T1 = a0 + c1·b1 + c2·b2, U1 = s1·d1 + s2·d2; X2,3 = T2 ∓ i·U2 with T2 = a0 + c2·b1 + c1·b2, U2 = s2·d1 − s1·d2.
            var t1r = a0r + b1r * vc1 + b2r * vc2; var t1i = a0i + b1i * vc1 + b2i * vc2;
            var u1r = d1r * vs1 + d2r * vs2; var u1i = d1i * vs1 + d2i * vs2;
            var t2r = a0r + b1r * vc2 + b2r * vc1; var t2i = a0i + b1i * vc2 + b2i * vc1;
            var u2r = d1r * vs2 - d2r * vs1; var u2i = d1i * vs2 - d2i * vs1;
            var x1r = t1r + u1i; var x1i = t1i - u1r; Twiddle(ref x1r, ref x1i, wc[0], sign * ws[0]);
            var x2r = t2r + u2i; var x2i = t2i - u2r; Twiddle(ref x2r, ref x2i, wc[1], sign * ws[1]);
            var x3r = t2r - u2i; var x3i = t2i + u2r; Twiddle(ref x3r, ref x3i, wc[2], sign * ws[2]);
            var x4r = t1r - u1i; var x4i = t1i + u1r; Twiddle(ref x4r, ref x4i, wc[3], sign * ws[3]);
            x1r.Store(yr + run + t); x1i.Store(yi + run + t);
            x2r.Store(yr + 2 * run + t); x2i.Store(yi + 2 * run + t);
            x3r.Store(yr + 3 * run + t); x3i.Store(yi + 3 * run + t);
            x4r.Store(yr + 4 * run + t); x4i.Store(yi + 4 * run + t);
        }
        for (; t < run; t++)
        {
            double a0r = xr[t], a0i = xi[t];
            double b1r = xr[step + t] + xr[4 * step + t], b1i = xi[step + t] + xi[4 * step + t];
            double d1r = xr[step + t] - xr[4 * step + t], d1i = xi[step + t] - xi[4 * step + t];
            double b2r = xr[2 * step + t] + xr[3 * step + t], b2i = xi[2 * step + t] + xi[3 * step + t];
            double d2r = xr[2 * step + t] - xr[3 * step + t], d2i = xi[2 * step + t] - xi[3 * step + t];
            yr[t] = a0r + b1r + b2r; yi[t] = a0i + b1i + b2i;
            double t1r = a0r + b1r * cos1 + b2r * cos2, t1i = a0i + b1i * cos1 + b2i * cos2;
            double u1r = d1r * sin1 + d2r * sin2, u1i = d1i * sin1 + d2i * sin2;
            double t2r = a0r + b1r * cos2 + b2r * cos1, t2i = a0i + b1i * cos2 + b2i * cos1;
            double u2r = d1r * sin2 - d2r * sin1, u2i = d1i * sin2 - d2i * sin1;
            Store(yr, yi, run + t, t1r + u1i, t1i - u1r, wc[0], sign * ws[0]);
            Store(yr, yi, 2 * run + t, t2r + u2i, t2i - u2r, wc[1], sign * ws[1]);
            Store(yr, yi, 3 * run + t, t2r - u2i, t2i + u2r, wc[2], sign * ws[2]);
            Store(yr, yi, 4 * run + t, t1r - u1i, t1i + u1r, wc[3], sign * ws[3]);
        }
    }

    private static unsafe void Store(double* yr, double* yi, long at, double re, double im, double c, double s)
    {
        yr[at] = re * c - im * s;
        yi[at] = re * s + im * c;
    }
}
