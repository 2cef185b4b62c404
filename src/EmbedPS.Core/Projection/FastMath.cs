using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EmbedPS.Core.Projection;

/// <summary>
/// x^b for UMAP's SGD kernels, where MathF.Pow dominates the run time: log2 from the float's exponent bits and an
/// atanh series on the mantissa (in [√½, √2)), exp2 from a Taylor polynomial around ½ and exponent bits.
/// Relative error below 1e-5 (float rounding of b·log2 x dominates; tested against Math.Pow over x in [1e-20, 1e20], |b| ≤ 2) — far below SGD noise.
/// The <see cref="Vector256{T}"/> overloads do the same operations lane by lane (8 powers at once, branch-free), with the
/// polynomials in fused multiply-adds (exact in software too, so the result does not depend on FMA hardware).
/// </summary>
public static class FastMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Pow(float x, float b) => Exp2(b * Log2(x));

    /// <summary>log2 of a positive, finite, normal float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log2(float x)
    {
        int bits = BitConverter.SingleToInt32Bits(x);
        int exponent = ((bits >> 23) & 0xFF) - 127;
        float m = BitConverter.Int32BitsToSingle((bits & 0x7FFFFF) | 0x3F800000); // [1, 2)
        if (m > 1.41421356f) { m *= 0.5f; exponent++; }                       // [√½, √2)
        float t = (m - 1f) / (m + 1f), t2 = t * t;
        // ln m = 2·atanh t = 2t(1 + t²/3 + t⁴/5 + t⁶/7 + t⁸/9); |t| ≤ 0.1716.
        float ln = 2f * t * (1f + t2 * (1f / 3f + t2 * (1f / 5f + t2 * (1f / 7f + t2 * (1f / 9f)))));
        return exponent + ln * 1.44269504f;
    }

    /// <summary>2^y, saturating to 0 below 2^−126 and to 2^127 above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp2(float y)
    {
        if (y < -126f) return 0f;
        if (y > 127f) y = 127f;
        float floor = MathF.Floor(y);
        float f = (y - floor - 0.5f) * 0.693147181f; // (frac − ½)·ln 2, in [−0.347, 0.347)
        // e^f by Taylor to degree 6 (error < 3e-8), times √2 for the ½ shift.
        float p = 1f + f * (1f + f * (0.5f + f * (1f / 6f + f * (1f / 24f + f * (1f / 120f + f * (1f / 720f))))));
        int n = (int)floor;
        float scale = BitConverter.Int32BitsToSingle((n + 127) << 23);
        return p * 1.41421356f * scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Pow(Vector256<float> x, Vector256<float> b) => Exp2(b * Log2(x));

    /// <summary>log2 of 8 positive, finite, normal floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log2(Vector256<float> x)
    {
        var bits = x.AsInt32();
        var exponent = ((bits >>> 23) & Vector256.Create(0xFF)) - Vector256.Create(127);
        var m = ((bits & Vector256.Create(0x7FFFFF)) | Vector256.Create(0x3F800000)).AsSingle(); // [1, 2)
        var high = Vector256.GreaterThan(m, Vector256.Create(1.41421356f));
        m = Select(high, m * 0.5f, m);                                                          // [√½, √2)
        exponent -= high.AsInt32();                                                             // mask lanes are −1
        var t = (m - Vector256<float>.One) / (m + Vector256<float>.One);
        var t2 = t * t;
        var series = Vector256.Create(1f / 9f);
        series = Vector256.FusedMultiplyAdd(t2, series, Vector256.Create(1f / 7f));
        series = Vector256.FusedMultiplyAdd(t2, series, Vector256.Create(1f / 5f));
        series = Vector256.FusedMultiplyAdd(t2, series, Vector256.Create(1f / 3f));
        series = Vector256.FusedMultiplyAdd(t2, series, Vector256<float>.One);
        var ln = 2f * t * series;
        return Vector256.FusedMultiplyAdd(ln, Vector256.Create(1.44269504f), Vector256.ConvertToSingle(exponent));
    }

    /// <summary>Per lane: <paramref name="whenTrue"/> where <paramref name="mask"/> (a comparison result, all bits or none) is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> whenTrue, Vector256<float> whenFalse) =>
        Avx.IsSupported ? Avx.BlendVariable(whenFalse, whenTrue, mask) : Vector256.ConditionalSelect(mask, whenTrue, whenFalse);

    /// <summary>2^y lane by lane, 0 below 2^−126 and saturating at 2^127.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp2(Vector256<float> y)
    {
        var underflow = Vector256.LessThan(y, Vector256.Create(-126f));
        y = Vector256.Min(Vector256.Max(y, Vector256.Create(-126f)), Vector256.Create(127f));
        var floor = Vector256.Floor(y);
        var f = (y - floor - Vector256.Create(0.5f)) * 0.693147181f;
        var p = Vector256.Create(1f / 720f);
        p = Vector256.FusedMultiplyAdd(f, p, Vector256.Create(1f / 120f));
        p = Vector256.FusedMultiplyAdd(f, p, Vector256.Create(1f / 24f));
        p = Vector256.FusedMultiplyAdd(f, p, Vector256.Create(1f / 6f));
        p = Vector256.FusedMultiplyAdd(f, p, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(f, p, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(f, p, Vector256<float>.One);
        // floor is in [−126, 127], so the native (unsaturated) conversion is exact.
        var scale = ((Vector256.ConvertToInt32Native(floor) + Vector256.Create(127)) << 23).AsSingle();
        return Vector256.AndNot(p * 1.41421356f * scale, underflow.AsSingle());
    }
}
