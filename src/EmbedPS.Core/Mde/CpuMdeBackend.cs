using System.Numerics;
using System.Runtime.CompilerServices;

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
/// </summary>
public sealed class CpuMdeBackend : IMdeBackend
{
    private const int VertexBlock = 512;

    private readonly MdeProblem _problem;
    private readonly double[] _blockDistortion;
    private readonly ParallelOptions _options;
    private readonly int _vertexBlocks;
    private readonly float _inverseEdgeCount;
    private float[] _x = Array.Empty<float>();
    private float[] _gradient = Array.Empty<float>();
    private readonly Action<int> _vertexPass;

    public CpuMdeBackend(MdeProblem problem, int maxDegreeOfParallelism = -1)
    {
        _problem = problem;
        _vertexBlocks = (problem.EntityCount + VertexBlock - 1) / VertexBlock;
        _blockDistortion = new double[_vertexBlocks];
        _inverseEdgeCount = problem.EdgeCount == 0 ? 0f : 1f / problem.EdgeCount;
        int threads = maxDegreeOfParallelism <= 0 ? Environment.ProcessorCount : maxDegreeOfParallelism;
        _options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        DeviceName = $"CPU ({threads} threads)";
        _vertexPass = VertexBlockPass;
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
            Parallel.For(0, _vertexBlocks, _options, _vertexPass);
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
