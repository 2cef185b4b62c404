using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EmbedPS.Core.Mde;

/// <summary>
/// The default, multi-threaded CPU evaluation of the average distortion and its gradient: one pass over vertices in
/// fixed blocks. Each vertex walks its incident edges (an adjacency of both directions, attractive entries first),
/// eight at a time: it gathers the neighbours' coordinates, computes the distances, then the penalty and the gradient
/// coefficient c = w·p′(d)/(p·d) with <see cref="Vector{T}"/> SIMD, and sums c·(x_i − x_j) into its own gradient row.
/// Every edge is thus evaluated from both ends — twice the penalty arithmetic, but the only random reads are the
/// neighbours' coordinates, there are no atomics, no per-thread gradient copies and no coefficient array; each edge's
/// distortion is counted half at each end. Block sums are kept in double and added in block order, so the result does
/// not depend on the number of threads. No allocation per evaluation beyond the Parallel.For bookkeeping.
/// <para>For dimensions up to 4 on AVX2 + FMA the pass is the packed kernel (<see cref="Segment{TPenalty}"/>): 16-byte rows,
/// incident lists padded to multiples of 8, the two default penalties specialised with inlined log/exp
/// (<see cref="FastMath"/>), and, for large graphs, the rows of the entries ahead prefetched.</para>
/// </summary>
public sealed class CpuMdeBackend : IMdeBackend
{
    private const int VertexBlock = 512;
    /// <summary>How far ahead (in incident entries, about three vertices) the packed kernel prefetches neighbours' rows.</summary>
    private const int PrefetchDistance = 128;
    /// <summary>
    /// From this many entities the packed kernel prefetches: the packed rows (16 bytes each) then outgrow what the caches
    /// keep of them, and the random repulsive pairs wait on memory (at 1M, prefetching halves the evaluation). Below it
    /// the rows are cache hits and the prefetch instructions only cost time (about 15 % at 70k).
    /// </summary>
    internal const int PrefetchFrom = 262_144;

    private readonly MdeProblem _problem;
    private readonly double[] _blockDistortion;
    private readonly ParallelOptions _options;
    private readonly int _vertexBlocks;
    private readonly float _inverseEdgeCount;
    private float[] _x = Array.Empty<float>();
    private float[] _gradient = Array.Empty<float>();
    private readonly Action<int> _vertexPass;

    // The packed path: coordinates copied to 4 floats per row, incident lists padded to multiples of 8.
    private readonly bool _packed;
    private readonly float[] _xp = Array.Empty<float>();
    private readonly int[] _packedOffsets = Array.Empty<int>();
    private readonly int[] _packedSplit = Array.Empty<int>();
    private readonly int[] _packedNeighbor = Array.Empty<int>();
    private readonly float[] _packedWeight = Array.Empty<float>();
    private readonly PenaltyCode _attractiveCode, _repulsiveCode;
    private readonly int _prefetch;
    private readonly Action<int> _packPass, _packedPass;

    private enum PenaltyCode { Generic, Log1pThreeHalves, LogUnit }

    /// <summary>Whether this machine runs the packed kernel (dimension ≤ 4 needs AVX2 and FMA).</summary>
    public static bool PackedKernelSupported => Avx2.IsSupported && Fma.IsSupported;

    public CpuMdeBackend(MdeProblem problem, int maxDegreeOfParallelism = -1) : this(problem, maxDegreeOfParallelism, null)
    {
    }

    /// <param name="problem">The problem.</param>
    /// <param name="maxDegreeOfParallelism">Threads (≤ 0: all cores).</param>
    /// <param name="prefetch">Whether the packed kernel prefetches neighbours' rows; null decides by size (<see cref="PrefetchFrom"/>).</param>
    internal CpuMdeBackend(MdeProblem problem, int maxDegreeOfParallelism, bool? prefetch)
    {
        _problem = problem;
        _vertexBlocks = (problem.EntityCount + VertexBlock - 1) / VertexBlock;
        _blockDistortion = new double[_vertexBlocks];
        _inverseEdgeCount = problem.EdgeCount == 0 ? 0f : 1f / problem.EdgeCount;
        int threads = maxDegreeOfParallelism <= 0 ? Environment.ProcessorCount : maxDegreeOfParallelism;
        _options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        DeviceName = $"CPU ({threads} threads)";
        _vertexPass = VertexBlockPass;
        _packPass = PackBlockPass;
        _packed = problem.Dimension <= 4 && PackedKernelSupported;
        _prefetch = prefetch ?? problem.EntityCount >= PrefetchFrom ? PrefetchDistance : 0;
        if (_packed)
        {
            _xp = new float[4 * problem.EntityCount];
            (_packedOffsets, _packedSplit, _packedNeighbor, _packedWeight) = PaddedIncidence(problem);
            _attractiveCode = Code(problem.Attractive);
            _repulsiveCode = Code(problem.Repulsive);
            _packedPass = PackedPass(_attractiveCode, _repulsiveCode);
        }
        else _packedPass = _vertexPass;
    }

    private static PenaltyCode Code(MdePenalty penalty) => penalty switch
    {
        { Kind: PenaltyKind.Log1p, Exponent: 1.5 } => PenaltyCode.Log1pThreeHalves,
        { Kind: PenaltyKind.Log, Exponent: 1.0 } => PenaltyCode.LogUnit,
        _ => PenaltyCode.Generic,
    };

    /// <summary>
    /// Incident lists of both directions (each vertex: its attractive entries, then its repulsive ones, each in edge
    /// order), each part padded to a multiple of 8 with entries that point at the vertex itself with weight 0.
    /// </summary>
    private static (int[] Offsets, int[] Split, int[] Neighbor, float[] Weight) PaddedIncidence(MdeProblem problem)
    {
        int n = problem.EntityCount, p = problem.EdgeCount, attractiveCount = problem.AttractiveCount;
        var source = problem.Source; var target = problem.Target; var weights = problem.Weights;
        var attractiveDegree = new int[n];
        var repulsiveDegree = new int[n];
        for (int k = 0; k < attractiveCount; k++) { attractiveDegree[source[k]]++; attractiveDegree[target[k]]++; }
        for (int k = attractiveCount; k < p; k++) { repulsiveDegree[source[k]]++; repulsiveDegree[target[k]]++; }
        var offsets = new int[n + 1];
        var split = new int[n];
        long total = 0;
        for (int i = 0; i < n; i++)
        {
            offsets[i] = checked((int)total);
            total += (attractiveDegree[i] + 7) & ~7;
            split[i] = checked((int)total);
            total += (repulsiveDegree[i] + 7) & ~7;
        }
        offsets[n] = checked((int)total);
        // The neighbour list runs PrefetchDistance entries past the end (zeros), so the kernel can read ahead blindly.
        var neighbor = new int[total + PrefetchDistance];
        var weight = new float[total];
        // Fill cursors: attractive entries from offsets[i], repulsive ones from split[i].
        var fillAttractive = new int[n];
        var fillRepulsive = new int[n];
        Array.Copy(offsets, fillAttractive, n);
        Array.Copy(split, fillRepulsive, n);
        for (int k = 0; k < p; k++)
        {
            var fill = k < attractiveCount ? fillAttractive : fillRepulsive;
            int i = source[k], j = target[k];
            float w = weights[k];
            neighbor[fill[i]] = j; weight[fill[i]++] = w;
            neighbor[fill[j]] = i; weight[fill[j]++] = w;
        }
        for (int i = 0; i < n; i++)
        {
            for (int e = fillAttractive[i]; e < split[i]; e++) neighbor[e] = i;
            for (int e = fillRepulsive[i]; e < offsets[i + 1]; e++) neighbor[e] = i;
        }
        return (offsets, split, neighbor, weight);
    }

    public string DeviceName { get; }

    public double Evaluate(float[] coordinates, float[] gradient)
    {
        int expected = _problem.EntityCount * _problem.Dimension;
        if (coordinates.Length != expected || gradient.Length != expected) throw new ArgumentException($"coordinates and gradient must hold {expected} values.");
        _x = coordinates;
        _gradient = gradient;
        try
        {
            if (_packed)
            {
                Parallel.For(0, _vertexBlocks, _options, _packPass);
                Parallel.For(0, _vertexBlocks, _options, _packedPass);
            }
            else Parallel.For(0, _vertexBlocks, _options, _vertexPass);
        }
        finally
        {
            _x = Array.Empty<float>();
            _gradient = Array.Empty<float>();
        }
        double total = 0;
        for (int b = 0; b < _vertexBlocks; b++) total += _blockDistortion[b];
        return _problem.EdgeCount == 0 ? 0 : total / _problem.EdgeCount;
    }

    private void VertexBlockPass(int block)
    {
        int width = Vector<float>.Count;
        int m = _problem.Dimension;
        int start = block * VertexBlock, end = Math.Min(_problem.EntityCount, start + VertexBlock);
        var x = _x;
        var g = _gradient;
        var offsets = _problem.IncidentOffsets;
        var split = _problem.IncidentAttractiveEnd;
        var neighbor = _problem.IncidentNeighbor;
        var weight = _problem.IncidentWeight;
        Span<float> difference = stackalloc float[m * width];
        Span<float> distance = stackalloc float[width];
        Span<float> weights = stackalloc float[width];
        Span<Vector<float>> accumulator = stackalloc Vector<float>[m];
        var invP = new Vector<float>(_inverseEdgeCount);
        double blockTotal = 0;
        for (int i = start; i < end; i++)
        {
            accumulator.Clear();
            int row = i * m;
            for (int group = 0; group < 2; group++)
            {
                int from = group == 0 ? offsets[i] : split[i];
                int to = group == 0 ? split[i] : offsets[i + 1];
                var penalty = group == 0 ? _problem.Attractive : _problem.Repulsive;
                for (int e = from; e < to; e += width)
                {
                    int count = Math.Min(width, to - e);
                    if (m == 3)
                    {
                        float xi0 = x[row], xi1 = x[row + 1], xi2 = x[row + 2];
                        for (int t = 0; t < count; t++)
                        {
                            int j = neighbor[e + t] * 3;
                            float d0 = xi0 - x[j], d1 = xi1 - x[j + 1], d2 = xi2 - x[j + 2];
                            difference[t] = d0; difference[width + t] = d1; difference[2 * width + t] = d2;
                            distance[t] = MathF.Sqrt(d0 * d0 + d1 * d1 + d2 * d2);
                            weights[t] = weight[e + t];
                        }
                    }
                    else
                    {
                        for (int t = 0; t < count; t++)
                        {
                            int j = neighbor[e + t] * m;
                            float squared = 0;
                            for (int a = 0; a < m; a++)
                            {
                                float diff = x[row + a] - x[j + a];
                                difference[a * width + t] = diff;
                                squared += diff * diff;
                            }
                            distance[t] = MathF.Sqrt(squared);
                            weights[t] = weight[e + t];
                        }
                    }
                    for (int t = count; t < width; t++) { distance[t] = 1f; weights[t] = 0f; }
                    var w = new Vector<float>(weights);
                    Penalty(penalty, new Vector<float>(distance), out var value, out var coefficientOverD);
                    blockTotal += 0.5 * WideSum(w * value);
                    // Padded lanes have weight 0, hence coefficient 0; their stale (finite) differences add nothing.
                    var c = w * coefficientOverD * invP;
                    for (int a = 0; a < m; a++) accumulator[a] += c * new Vector<float>(difference.Slice(a * width, width));
                }
            }
            // Lane sums are short (a vertex's edges / vector width); the lanes are added in double.
            for (int a = 0; a < m; a++) g[row + a] = (float)WideSum(accumulator[a]);
        }
        _blockDistortion[block] = blockTotal;
    }


    /// <summary>Copies a block of rows into the 4-float rows of the packed copy (unused axes 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackBlockPass(int block)
    {
        int m = _problem.Dimension;
        int start = block * VertexBlock, end = Math.Min(_problem.EntityCount, start + VertexBlock);
        var x = _x; var xp = _xp;
        if (m == 3)
        {
            for (int i = start; i < end; i++) { xp[4 * i] = x[3 * i]; xp[4 * i + 1] = x[3 * i + 1]; xp[4 * i + 2] = x[3 * i + 2]; xp[4 * i + 3] = 0; }
            return;
        }
        for (int i = start; i < end; i++)
            for (int a = 0; a < 4; a++) xp[4 * i + a] = a < m ? x[m * i + a] : 0f;
    }

    /// <summary>The packed pass for the problem's two penalties: a delegate over the specialised instantiation.</summary>
    private Action<int> PackedPass(PenaltyCode attractive, PenaltyCode repulsive) => (attractive, repulsive) switch
    {
        (PenaltyCode.Log1pThreeHalves, PenaltyCode.LogUnit) => block => PackedBlockPass(block, new Log1pThreeHalves(), new LogUnit()),
        (PenaltyCode.Log1pThreeHalves, _) => block => PackedBlockPass(block, new Log1pThreeHalves(), new GenericPenalty(_problem.Repulsive)),
        (_, PenaltyCode.LogUnit) => block => PackedBlockPass(block, new GenericPenalty(_problem.Attractive), new LogUnit()),
        _ => block => PackedBlockPass(block, new GenericPenalty(_problem.Attractive), new GenericPenalty(_problem.Repulsive)),
    };

    /// <summary>The packed kernel over one block of vertices (see <see cref="Segment{TPenalty}"/>).</summary>
    // Not inlined into the delegate: inlined there, it would exhaust the caller's inlining budget and leave Segment and the
    // log/exp as calls. Optimised at once (no tiering): it is the hot loop of every evaluation.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void PackedBlockPass<TAttractive, TRepulsive>(int block, TAttractive attractive, TRepulsive repulsive)
        where TAttractive : struct, IPenalty256 where TRepulsive : struct, IPenalty256
    {
        int m = _problem.Dimension;
        int start = block * VertexBlock, end = Math.Min(_problem.EntityCount, start + VertexBlock);
        ref float xp = ref MemoryMarshal.GetArrayDataReference(_xp);
        ref int neighbor = ref MemoryMarshal.GetArrayDataReference(_packedNeighbor);
        ref float weight = ref MemoryMarshal.GetArrayDataReference(_packedWeight);
        var offsets = _packedOffsets; var split = _packedSplit;
        var g = _gradient;
        var invP = Vector128.Create(_inverseEdgeCount);
        int prefetch = _prefetch;
        double blockTotal = 0;
        for (int i = start; i < end; i++)
        {
            var row = Vector128.LoadUnsafe(ref xp, (nuint)i * 4);
            var xi = Vector256.Create(row, row);
            var gradient = Vector256<float>.Zero;
            var sum = Vector256<float>.Zero;
            int from = offsets[i], middle = split[i], to = offsets[i + 1];
            Segment(attractive, ref xp, ref neighbor, ref weight, from, middle, xi, ref gradient, ref sum, prefetch);
            Segment(repulsive, ref xp, ref neighbor, ref weight, middle, to, xi, ref gradient, ref sum, prefetch);
            var total = (gradient.GetLower() + gradient.GetUpper()) * invP;
            int r = i * m;
            for (int a = 0; a < m; a++) g[r + a] = total.GetElement(a);
            blockTotal += 0.5 * WideSum(sum.AsVector());
        }
        _blockDistortion[block] = blockTotal;
    }

    // ---- The packed path (dimension ≤ 4, AVX2 + FMA) ----

    /// <summary>The penalty kinds the packed kernel specialises (others go through <see cref="GenericPenalty"/>).</summary>
    private interface IPenalty256
    {
        /// <summary>From squared distances: the penalty p(d) and the gradient coefficient p′(d)/d (0 at d = 0).</summary>
        void Evaluate(Vector256<float> squared, out Vector256<float> value, out Vector256<float> derivativeOverD);
    }

    /// <summary>log(1 + d^1.5), PyMDE's default attractive penalty: p′(d)/d = 1.5 / (√d (1 + d^1.5)).</summary>
    private readonly struct Log1pThreeHalves : IPenalty256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Evaluate(Vector256<float> squared, out Vector256<float> value, out Vector256<float> derivativeOverD)
        {
            var d = Avx.Sqrt(squared);
            var root = Avx.Sqrt(d);
            var onePlusT = Fma.MultiplyAdd(d, root, Vector256<float>.One);
            value = FastMath.Log(onePlusT); // 1 + t ≥ 1
            derivativeOverD = Avx.And(Avx.CompareGreaterThan(squared, Vector256<float>.Zero), Vector256.Create(1.5f) / (root * onePlusT));
        }
    }

    /// <summary>log(1 − e^{−d}), PyMDE's default repulsive penalty: p′(d)/d = e^{−d} / (d (1 − e^{−d})).</summary>
    private readonly struct LogUnit : IPenalty256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Evaluate(Vector256<float> squared, out Vector256<float> value, out Vector256<float> derivativeOverD)
        {
            var d = Avx.Sqrt(squared);
            var expNeg = FastMath.Exp(-d);
            var u = OneMinusExpNeg(d, expNeg);
            value = FastMath.LogOrMinusInfinity(u); // −∞ at d = 0
            derivativeOverD = Avx.And(Avx.CompareGreaterThan(squared, Vector256<float>.Zero), expNeg / (d * u));
        }
    }

    /// <summary>Any penalty, by kind and parameters (a switch per group of eight edges).</summary>
    private readonly struct GenericPenalty : IPenalty256
    {
        private readonly MdePenalty _penalty;
        public GenericPenalty(MdePenalty penalty) => _penalty = penalty;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Evaluate(Vector256<float> squared, out Vector256<float> value, out Vector256<float> derivativeOverD)
        {
            var d = Vector256.Sqrt(squared);
            var positive = Vector256.GreaterThan(squared, Vector256<float>.Zero);
            var one = Vector256<float>.One;
            float gamma = (float)_penalty.Exponent;
            switch (_penalty.Kind)
            {
                case PenaltyKind.Log1p:
                {
                    var t = Power(d, _penalty.Exponent);
                    var onePlusT = one + t;
                    value = FastMath.LogOrMinusInfinity(onePlusT);
                    derivativeOverD = Vector256.ConditionalSelect(positive, Vector256.Create(gamma) * t / (squared * onePlusT), Vector256<float>.Zero);
                    return;
                }
                case PenaltyKind.Log:
                {
                    var t = Power(d, _penalty.Exponent);
                    var expNeg = FastMath.Exp(-t);
                    var u = OneMinusExpNeg(t, expNeg);
                    value = FastMath.LogOrMinusInfinity(u);
                    derivativeOverD = Vector256.ConditionalSelect(positive, Vector256.Create(gamma) * t * expNeg / (squared * u), Vector256<float>.Zero);
                    return;
                }
                case PenaltyKind.Quadratic:
                    value = squared;
                    derivativeOverD = Vector256.Create(2f);
                    return;
                case PenaltyKind.Huber:
                {
                    var tau = Vector256.Create((float)_penalty.Threshold);
                    var half = Vector256.Create(0.5f);
                    var inside = Vector256.LessThan(d, tau);
                    value = Vector256.ConditionalSelect(inside, half * squared, tau * (d - half * tau));
                    derivativeOverD = Vector256.ConditionalSelect(inside, one, Vector256.ConditionalSelect(positive, tau / d, Vector256<float>.Zero));
                    return;
                }
                default: throw new ArgumentOutOfRangeException(nameof(_penalty));
            }
        }

        private static Vector256<float> Power(Vector256<float> d, double exponent)
        {
            if (exponent == 1.0) return d;
            if (exponent == 1.5) return d * Vector256.Sqrt(d);
            if (exponent == 2.0) return d * d;
            if (exponent == 0.5) return Vector256.Sqrt(d);
            var result = FastMath.Exp(Vector256.Create((float)exponent) * FastMath.LogOrMinusInfinity(d));
            return Vector256.ConditionalSelect(Vector256.GreaterThan(d, Vector256<float>.Zero), result, Vector256<float>.Zero);
        }
    }

    /// <summary>1 − e^{−t}, with its Taylor series where t &lt; 1e-3 (cancellation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> OneMinusExpNeg(Vector256<float> t, Vector256<float> expNeg)
    {
        var series = t * (Vector256<float>.One - t * (Vector256.Create(0.5f) - t * Vector256.Create(1f / 6f)));
        return Vector256.ConditionalSelect(Vector256.LessThan(t, Vector256.Create(1e-3f)), series, Vector256<float>.One - expNeg);
    }

    /// <summary>
    /// One vertex's segment of incident entries (a multiple of eight: padding entries point at the vertex itself with
    /// weight 0). Eight neighbours' packed rows are loaded as four 256-bit pairs r_k = (x_i − x_{j_k} | x_i − x_{j_k+4}),
    /// transposed to one vector per axis for the squared distances; the penalty gives the value and the coefficient c, and
    /// the gradient is summed in row form: acc += (c_k, c_k, c_k, c_k | c_{k+4}, …) · r_k, one accumulator for all axes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Segment<TPenalty>(TPenalty penalty, ref float xp, ref int neighbor, ref float weight, int from, int to, Vector256<float> xi,
        ref Vector256<float> gradient, ref Vector256<float> sum, int prefetch)
        where TPenalty : struct, IPenalty256
    {
        for (int e = from; e < to; e += 8)
        {
            ref int idx = ref Unsafe.Add(ref neighbor, e);
            if (prefetch > 0)
            {
                // The rows of the entries a few groups ahead (across vertex boundaries): the reads that miss the caches
                // (the random repulsive pairs, above all) are then in flight while this group computes. A prefetch is a
                // hint: an address gone stale after a GC move costs nothing.
                ref int ahead = ref Unsafe.Add(ref idx, prefetch);
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xp, (nuint)Unsafe.Add(ref ahead, 0) * 4)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xp, (nuint)Unsafe.Add(ref ahead, 1) * 4)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xp, (nuint)Unsafe.Add(ref ahead, 2) * 4)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xp, (nuint)Unsafe.Add(ref ahead, 3) * 4)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xp, (nuint)Unsafe.Add(ref ahead, 4) * 4)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xp, (nuint)Unsafe.Add(ref ahead, 5) * 4)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xp, (nuint)Unsafe.Add(ref ahead, 6) * 4)));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref xp, (nuint)Unsafe.Add(ref ahead, 7) * 4)));
            }
            var r0 = xi - Vector256.Create(Vector128.LoadUnsafe(ref xp, (nuint)Unsafe.Add(ref idx, 0) * 4), Vector128.LoadUnsafe(ref xp, (nuint)Unsafe.Add(ref idx, 4) * 4));
            var r1 = xi - Vector256.Create(Vector128.LoadUnsafe(ref xp, (nuint)Unsafe.Add(ref idx, 1) * 4), Vector128.LoadUnsafe(ref xp, (nuint)Unsafe.Add(ref idx, 5) * 4));
            var r2 = xi - Vector256.Create(Vector128.LoadUnsafe(ref xp, (nuint)Unsafe.Add(ref idx, 2) * 4), Vector128.LoadUnsafe(ref xp, (nuint)Unsafe.Add(ref idx, 6) * 4));
            var r3 = xi - Vector256.Create(Vector128.LoadUnsafe(ref xp, (nuint)Unsafe.Add(ref idx, 3) * 4), Vector128.LoadUnsafe(ref xp, (nuint)Unsafe.Add(ref idx, 7) * 4));
            // 4 × 4 transposes within each 128-bit half: lanes (j0 j1 j2 j3 | j4 j5 j6 j7) per axis.
            var t0 = Avx.UnpackLow(r0, r1);
            var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3);
            var t3 = Avx.UnpackHigh(r2, r3);
            var dx = Avx.Shuffle(t0, t2, 0x44);
            var dy = Avx.Shuffle(t0, t2, 0xEE);
            var dz = Avx.Shuffle(t1, t3, 0x44);
            var dw = Avx.Shuffle(t1, t3, 0xEE);
            var squared = Fma.MultiplyAdd(dx, dx, Fma.MultiplyAdd(dy, dy, Fma.MultiplyAdd(dz, dz, dw * dw)));
            penalty.Evaluate(squared, out var value, out var coefficient);
            var w = Vector256.LoadUnsafe(ref weight, (nuint)e);
            var c = w * coefficient;
            gradient = Fma.MultiplyAdd(Avx.Permute(c, 0x00), r0, gradient);
            gradient = Fma.MultiplyAdd(Avx.Permute(c, 0x55), r1, gradient);
            gradient = Fma.MultiplyAdd(Avx.Permute(c, 0xAA), r2, gradient);
            gradient = Fma.MultiplyAdd(Avx.Permute(c, 0xFF), r3, gradient);
            // Padding (weight 0) adds nothing, even where its penalty is infinite (log 0 at d = 0); a non-finite distance
            // (coordinates that overflowed) makes the sum NaN through d² − d².
            sum += Avx.AndNot(Avx.CompareEqual(w, Vector256<float>.Zero), w * value) + (squared - squared);
        }
    }

    /// <summary>p(d) and p′(d)/d for a vector of distances (unweighted). p′(d)/d is 0 at d = 0 (the difference is 0 there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Penalty(in MdePenalty penalty, Vector<float> d, out Vector<float> value, out Vector<float> derivativeOverD)
    {
        var one = Vector<float>.One;
        var half = new Vector<float>(0.5f);
        var positive = Vector.GreaterThan(d, Vector<float>.Zero);
        switch (penalty.Kind)
        {
            case PenaltyKind.Log1p:
            {
                var t = Power(d, penalty.Exponent);
                var onePlusT = one + t;
                value = Vector.Log(onePlusT);
                derivativeOverD = Vector.ConditionalSelect(positive, new Vector<float>((float)penalty.Exponent) * t / (d * d * onePlusT), Vector<float>.Zero);
                return;
            }
            case PenaltyKind.Log:
            {
                var t = Power(d, penalty.Exponent);
                var expNeg = Vector.Exp(-t);
                // 1 − e^{−t}, with its Taylor series where t is small, to avoid cancellation.
                var series = t * (one - t * (half - t * new Vector<float>(1f / 6f)));
                var u = Vector.ConditionalSelect(Vector.LessThan(t, new Vector<float>(1e-3f)), series, one - expNeg);
                value = Vector.Log(u);
                derivativeOverD = Vector.ConditionalSelect(positive, new Vector<float>((float)penalty.Exponent) * t * expNeg / (d * d * u), Vector<float>.Zero);
                return;
            }
            case PenaltyKind.Quadratic:
                value = d * d;
                derivativeOverD = new Vector<float>(2f);
                return;
            case PenaltyKind.Huber:
            {
                var tau = new Vector<float>((float)penalty.Threshold);
                var inside = Vector.LessThan(d, tau);
                value = Vector.ConditionalSelect(inside, half * d * d, tau * (d - half * tau));
                derivativeOverD = Vector.ConditionalSelect(inside, one, Vector.ConditionalSelect(positive, tau / d, Vector<float>.Zero));
                return;
            }
            default: throw new ArgumentOutOfRangeException(nameof(penalty));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double WideSum(Vector<float> v)
    {
        Vector.Widen(v, out var low, out var high);
        return Vector.Sum(low + high);
    }

    /// <summary>d^γ with exact shortcuts for the exponents the recipes use; 0 at d = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Power(Vector<float> d, double exponent)
    {
        if (exponent == 1.0) return d;
        if (exponent == 1.5) return d * Vector.SquareRoot(d);
        if (exponent == 2.0) return d * d;
        if (exponent == 0.5) return Vector.SquareRoot(d);
        var result = Vector.Exp(new Vector<float>((float)exponent) * Vector.Log(d));
        return Vector.ConditionalSelect(Vector.GreaterThan(d, Vector<float>.Zero), result, Vector<float>.Zero);
    }

    public void Dispose() { }
}
