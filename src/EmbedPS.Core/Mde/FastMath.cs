using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EmbedPS.Core.Mde;

/// <summary>
/// Single-precision log and exp on <see cref="Vector256{T}"/> for the MDE edge kernel (AVX2 + FMA): the Cephes
/// polynomials (logf: degree 9 on [√½ − 1, √2 − 1]; expf: Cody–Waite reduction, degree 5), evaluated in Estrin form so
/// that their dependency chains stay short, within a few ulp over the range the penalties use.
/// <c>System.Numerics.Vector.Log/Exp</c> are calls that widen to double; these are about 20 inlined vector instructions.
/// Non-finite inputs are not handled here (the kernel flags a non-finite distance itself): callers that need −∞ at 0
/// use <see cref="LogOrMinusInfinity"/>.
/// </summary>
internal static class FastMath
{
    /// <summary>ln x for normal, finite x &gt; 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log(Vector256<float> x)
    {
        var bits = x.AsInt32();
        var exponent = Avx2.ShiftRightArithmetic(bits, 23) - Vector256.Create(126);
        var mantissa = ((bits & Vector256.Create(unchecked((int)0x807fffff))) | Vector256.Create(0x3f000000)).AsSingle(); // [0.5, 1)
        var small = Avx.CompareLessThan(mantissa, Vector256.Create(0.707106781186547524f));
        exponent += small.AsInt32(); // −1 where the mantissa is doubled
        var e = Avx.ConvertToVector256Single(exponent);
        var f = mantissa - Vector256<float>.One + (mantissa & small); // [√½ − 1, √2 − 1)
        var z = f * f;
        var z2 = z * z;
        // Cephes logf: f − z/2 + f·z·P(f), P of degree 8 (coefficients from the constant term up), in Estrin form.
        var p01 = Fma.MultiplyAdd(Vector256.Create(-2.4999993993e-1f), f, Vector256.Create(3.3333331174e-1f));
        var p23 = Fma.MultiplyAdd(Vector256.Create(-1.6668057665e-1f), f, Vector256.Create(2.0000714765e-1f));
        var p45 = Fma.MultiplyAdd(Vector256.Create(-1.2420140846e-1f), f, Vector256.Create(1.4249322787e-1f));
        var p67 = Fma.MultiplyAdd(Vector256.Create(-1.1514610310e-1f), f, Vector256.Create(1.1676998740e-1f));
        var p03 = Fma.MultiplyAdd(p23, z, p01);
        var p47 = Fma.MultiplyAdd(p67, z, p45);
        var p48 = Fma.MultiplyAdd(Vector256.Create(7.0376836292e-2f), z2, p47);
        var p = Fma.MultiplyAdd(p48, z2, p03);
        var y = p * f * z;
        y = Fma.MultiplyAdd(e, Vector256.Create(-2.12194440e-4f), y);
        y = Fma.MultiplyAdd(z, Vector256.Create(-0.5f), y);
        return Fma.MultiplyAdd(e, Vector256.Create(0.693359375f), f + y);
    }

    /// <summary>ln x for finite x ≥ 0: −∞ where x is 0 (or below the normal range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LogOrMinusInfinity(Vector256<float> x) =>
        Avx.BlendVariable(Log(x), Vector256.Create(float.NegativeInfinity), Avx.CompareLessThan(x, Vector256.Create(1.17549435e-38f)));

    /// <summary>eˣ for finite x, clamped to [−87.3, 88.3] (about 1e-38 below, about 2e38 above).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Avx.Min(Avx.Max(x, Vector256.Create(-87.3f)), Vector256.Create(88.3f));
        var n = Avx.RoundToNearestInteger(x * Vector256.Create(1.44269504088896341f));
        var r = Fma.MultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Fma.MultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var z = r * r;
        // Cephes expf: 1 + r + r²·Q(r), Q of degree 5, in Estrin form.
        var q01 = Fma.MultiplyAdd(Vector256.Create(1.6666665459e-1f), r, Vector256.Create(5.0000001201e-1f));
        var q23 = Fma.MultiplyAdd(Vector256.Create(8.3334519073e-3f), r, Vector256.Create(4.1665795894e-2f));
        var q45 = Fma.MultiplyAdd(Vector256.Create(1.9875691500e-4f), r, Vector256.Create(1.3981999507e-3f));
        var q = Fma.MultiplyAdd(Fma.MultiplyAdd(q45, z, q23), z, q01);
        var y = Fma.MultiplyAdd(q, z, r + Vector256<float>.One);
        var scale = Avx2.ShiftLeftLogical(Avx.ConvertToVector256Int32(n) + Vector256.Create(127), 23).AsSingle();
        return y * scale;
    }
}
