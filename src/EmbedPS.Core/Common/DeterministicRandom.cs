using System.Runtime.CompilerServices;

namespace EmbedPS.Core.Common;

/// <summary>
/// A small, fast, seedable generator (xoshiro256**, Blackman and Vigna) whose streams are derived from
/// (seed, stream index) with SplitMix64. Parallel code gives each work item its own stream, so results
/// do not depend on the number of threads or their scheduling.
/// </summary>
public struct DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public DeterministicRandom(long seed, long stream = 0)
    {
        ulong x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)stream * 0xD1B54A32D192ED03UL ^ 0x632BE59BD9B4E019UL);
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = unchecked(x += 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = unchecked(BitOperations.RotateLeft(_s1 * 5, 7) * 9);
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1U << 24));

    /// <summary>Uniform integer in [0, n) without modulo bias (Lemire's method).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong m = (ulong)(uint)NextUInt64() * (ulong)n;
        uint low = (uint)m;
        if (low < (uint)n)
        {
            uint threshold = (uint)(-n) % (uint)n;
            while (low < threshold)
            {
                m = (ulong)(uint)NextUInt64() * (ulong)n;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>Standard normal (Box–Muller; one value per call for simplicity).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

internal static class BitOperations
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
