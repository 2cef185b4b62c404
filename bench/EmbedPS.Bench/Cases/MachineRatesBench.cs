using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using EmbedPS.Core.Common;

namespace EmbedPS.Bench.Cases;

/// <summary>
/// What this machine does per second for each kind of work the stages do — the denominators of the cost model in
/// docs/performance.md. Every rate is measured here, on all cores, best of three passes of about 0.2 s each:
/// streaming bandwidth (read; copy), random gathers from an array that fits L2 and from one far beyond L3 (the index
/// stream read sequentially, as a CSR column array is), the latency of one dependent load beyond L3, SIMD multiply-adds,
/// SIMD divisions and scalar exponentials. The table's time column is the time of the whole measurement, not a rate.
/// </summary>
public sealed class MachineRatesBench : BenchCase
{
    private const int Passes = 3;
    private static readonly int Threads = Environment.ProcessorCount;
    private float[] _big = Array.Empty<float>();
    private float[] _bigCopy = Array.Empty<float>();
    private float[] _small = Array.Empty<float>();
    private int[] _bigIndex = Array.Empty<int>();
    private int[] _smallIndex = Array.Empty<int>();
    private int[] _chain = Array.Empty<int>();

    public override string Stage => "machine";
    public override string Dataset => "rates per second, all cores (cost-model denominators)";

    public override void Prepare()
    {
        const int bigLength = 64 << 20;        // 256 MB of floats: 8× the L3
        const int smallLength = 64 << 10;      // 256 KB: fits one core's 512 KB L2
        const int indexLength = 16 << 20;
        var random = new DeterministicRandom(7);
        _big = new float[bigLength];
        _bigCopy = new float[bigLength];
        for (int i = 0; i < bigLength; i++) _big[i] = i & 1023;
        _small = new float[smallLength];
        for (int i = 0; i < smallLength; i++) _small[i] = i & 63;
        _bigIndex = new int[indexLength];
        _smallIndex = new int[indexLength];
        for (int i = 0; i < indexLength; i++)
        {
            _bigIndex[i] = random.NextInt(bigLength);
            _smallIndex[i] = random.NextInt(smallLength);
        }
        // One random cycle through 32 M slots (128 MB) for the dependent-load latency (Sattolo's shuffle).
        const int chainLength = 32 << 20;
        _chain = new int[chainLength];
        for (int i = 0; i < chainLength; i++) _chain[i] = i;
        for (int i = chainLength - 1; i > 0; i--)
        {
            int j = random.NextInt(i);
            (_chain[i], _chain[j]) = (_chain[j], _chain[i]);
        }
    }

    public override BenchOutcome RunCandidate()
    {
        double read = Best(() => Split(_big.Length, StreamRead));
        double copy = Best(() => Split(_big.Length, StreamCopy));
        double l2 = Best(() => Split(_smallIndex.Length, (from, to) => Gather(_small, _smallIndex, from, to)));
        double dram = Best(() => Split(_bigIndex.Length, (from, to) => Gather(_big, _bigIndex, from, to)));
        const int chaseSteps = 4 << 20;
        double chase = Best(() => Chase(chaseSteps));
        double fma = Best(() => Split(Threads, (from, to) => MultiplyAdd(to - from)));
        double div = Best(() => Split(Threads, (from, to) => Divide(to - from)));
        double exp = Best(() => Split(Threads, (from, to) => Exponentials(to - from)));
        var outcome = new BenchOutcome
        {
            ["stream_read_GBps"] = _big.Length * 4.0 / read / 1e9,
            ["stream_copy_GBps"] = _big.Length * 8.0 / copy / 1e9,
            ["gather_L2_Gps"] = _smallIndex.Length / l2 / 1e9,
            ["gather_DRAM_Gps"] = _bigIndex.Length / dram / 1e9,
            ["load_latency_ns"] = chase / chaseSteps * 1e9,
            ["simd_fma_GFLOPs"] = Threads * FmaFlopsPerThread / fma / 1e9,
            ["simd_div_Gps"] = Threads * DivisionsPerThread / div / 1e9,
            ["exp_Gps"] = Threads * ExponentialsPerThread / exp / 1e9,
        };
        return outcome;
    }

    public override void Cleanup()
    {
        _big = _bigCopy = _small = Array.Empty<float>();
        _bigIndex = _smallIndex = _chain = Array.Empty<int>();
    }

    private static double Best(Action pass)
    {
        pass(); // warm-up (JIT, page faults)
        double best = double.MaxValue;
        for (int i = 0; i < Passes; i++)
        {
            var clock = Stopwatch.StartNew();
            pass();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static void Split(int length, Action<int, int> work) =>
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads },
            t => work((int)((long)length * t / Threads), (int)((long)length * (t + 1) / Threads)));

    private static volatile float _sink;

    private void StreamRead(int from, int to)
    {
        var span = _big.AsSpan(from, to - from);
        var sum = Vector<float>.Zero;
        int i = 0;
        for (; i <= span.Length - Vector<float>.Count; i += Vector<float>.Count) sum += new Vector<float>(span[i..]);
        _sink = Vector.Sum(sum);
    }

    private void StreamCopy(int from, int to) => _big.AsSpan(from, to - from).CopyTo(_bigCopy.AsSpan(from, to - from));

    private static void Gather(float[] values, int[] index, int from, int to)
    {
        float sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
        int i = from;
        for (; i + 4 <= to; i += 4)
        {
            sum0 += values[index[i]];
            sum1 += values[index[i + 1]];
            sum2 += values[index[i + 2]];
            sum3 += values[index[i + 3]];
        }
        for (; i < to; i++) sum0 += values[index[i]];
        _sink = sum0 + sum1 + sum2 + sum3;
    }

    private void Chase(int steps)
    {
        int at = 0;
        for (int i = 0; i < steps; i++) at = _chain[at];
        _sink = at;
    }

    private const int FmaIterations = 1 << 24;
    private static readonly double FmaFlopsPerThread = 2.0 * 8 * Vector<float>.Count * FmaIterations;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MultiplyAdd(int threads)
    {
        // Eight independent accumulators hide the multiply-add latency; the loop is throughput-bound.
        var a0 = new Vector<float>(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
        var m = new Vector<float>(0.999999f);
        var c = new Vector<float>(1e-7f);
        for (int i = 0; i < FmaIterations; i++)
        {
            a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
            a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
        }
        _sink = Vector.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7) * threads;
    }

    private const int DivisionIterations = 1 << 22;
    private static readonly double DivisionsPerThread = 8.0 * Vector<float>.Count * DivisionIterations;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Divide(int threads)
    {
        // Eight independent chains, so the division unit's throughput, not its latency, is measured.
        var a0 = new Vector<float>(1f); var a1 = new Vector<float>(2f); var a2 = new Vector<float>(3f); var a3 = new Vector<float>(4f);
        var a4 = new Vector<float>(5f); var a5 = new Vector<float>(6f); var a6 = new Vector<float>(7f); var a7 = new Vector<float>(8f);
        var d = new Vector<float>(1.0000001f);
        for (int i = 0; i < DivisionIterations; i++)
        {
            a0 = d / a0; a1 = d / a1; a2 = d / a2; a3 = d / a3;
            a4 = d / a4; a5 = d / a5; a6 = d / a6; a7 = d / a7;
        }
        _sink = Vector.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7) * threads;
    }

    private const int ExponentialIterations = 1 << 22;
    private static readonly double ExponentialsPerThread = 4.0 * ExponentialIterations;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Exponentials(int threads)
    {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, x = -1e-3f;
        for (int i = 0; i < ExponentialIterations; i++)
        {
            x -= 1e-7f;
            s0 += MathF.Exp(x); s1 += MathF.Exp(x * 2); s2 += MathF.Exp(x * 3); s3 += MathF.Exp(x * 4);
        }
        _sink = (s0 + s1 + s2 + s3) * threads;
    }
}
