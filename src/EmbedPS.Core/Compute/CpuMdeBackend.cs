using System.Numerics;
using System.Runtime.CompilerServices;
using EmbedPS.Core.Mde;

namespace EmbedPS.Core.Compute;

/// <summary>
/// The default, multi-threaded CPU evaluation of the average distortion and its gradient, in two passes:
/// <list type="number">
/// <item>over edges, in fixed blocks: the distance d_k of each edge, then (SIMD, <see cref="Vector{T}"/>) its distortion
/// w_k p(d_k) and the gradient coefficient c_k = w_k p′(d_k) / (p d_k); block sums of the distortion are kept in double and
/// added in block order;</item>
/// <item>over vertices, in fixed blocks: each vertex sums c_k (x_i − x_j) over its incident edges (an adjacency of both
/// directions), so each thread owns the gradient rows it writes — no atomics, no per-thread gradient copies.</item>
/// </list>
/// The result does not depend on the number of threads. All buffers are allocated once.
/// </summary>
public sealed class CpuMdeBackend : IMdeBackend
{
    private const int EdgeBlock = 8192;
    private const int VertexBlock = 1024;

    private readonly MdeProblem _problem;
    private readonly float[] _coefficient;
    private readonly double[] _blockDistortion;
    private readonly ParallelOptions _options;
    private readonly int _edgeBlocks, _vertexBlocks;
    private readonly float _inverseEdgeCount;
    private float[] _x = Array.Empty<float>();
    private float[] _gradient = Array.Empty<float>();
    private readonly Action<int> _edgePass;
    private readonly Action<int> _vertexPass;

    public CpuMdeBackend(MdeProblem problem, int maxDegreeOfParallelism = -1)
    {
        _problem = problem;
        _coefficient = new float[problem.EdgeCount];
        // Blocks never straddle the attractive/repulsive boundary, so each block has one penalty.
        _edgeBlocks = Blocks(problem.AttractiveCount, EdgeBlock) + Blocks(problem.RepulsiveCount, EdgeBlock);
        _blockDistortion = new double[_edgeBlocks];
        _vertexBlocks = Blocks(problem.EntityCount, VertexBlock);
        _inverseEdgeCount = problem.EdgeCount == 0 ? 0f : 1f / problem.EdgeCount;
        int threads = maxDegreeOfParallelism <= 0 ? Environment.ProcessorCount : maxDegreeOfParallelism;
        _options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        DeviceName = $"CPU ({threads} threads)";
        _edgePass = EdgeBlockPass;
        _vertexPass = VertexBlockPass;
    }

    public string DeviceName { get; }

    private static int Blocks(int count, int size) => (count + size - 1) / size;

    public double Evaluate(float[] coordinates, float[] gradient)
    {
        int expected = _problem.EntityCount * _problem.Dimension;
        if (coordinates.Length != expected || gradient.Length != expected) throw new ArgumentException($"coordinates and gradient must hold {expected} values.");
        _x = coordinates;
        _gradient = gradient;
        Parallel.For(0, _edgeBlocks, _options, _edgePass);
        Parallel.For(0, _vertexBlocks, _options, _vertexPass);
        double total = 0;
        for (int b = 0; b < _edgeBlocks; b++) total += _blockDistortion[b];
        _x = Array.Empty<float>();
        _gradient = Array.Empty<float>();
        return _problem.EdgeCount == 0 ? 0 : total / _problem.EdgeCount;
    }

    private void EdgeBlockPass(int block)
    {
        int attractiveBlocks = Blocks(_problem.AttractiveCount, EdgeBlock);
        int start, end;
        MdePenalty penalty;
        if (block < attractiveBlocks)
        {
            start = block * EdgeBlock; end = Math.Min(_problem.AttractiveCount, start + EdgeBlock); penalty = _problem.Attractive;
        }
        else
        {
            start = _problem.AttractiveCount + (block - attractiveBlocks) * EdgeBlock; end = Math.Min(_problem.EdgeCount, start + EdgeBlock); penalty = _problem.Repulsive;
        }
        var x = _x;
        int m = _problem.Dimension;
        var source = _problem.Source;
        var target = _problem.Target;
        var c = _coefficient;
        for (int k = start; k < end; k++)
        {
            int i = source[k] * m, j = target[k] * m;
            float squared = 0;
            for (int a = 0; a < m; a++)
            {
                float diff = x[i + a] - x[j + a];
                squared += diff * diff;
            }
            c[k] = MathF.Sqrt(squared);
        }
        _blockDistortion[block] = PenaltyBlock(penalty, c.AsSpan(start, end - start), _problem.Weights.AsSpan(start, end - start), _inverseEdgeCount);
    }

    /// <summary>
    /// Replaces each distance in <paramref name="distanceInCoefficientOut"/> by w·p′(d)/(p·d) and returns Σ w·p(d).
    /// SIMD over edges; the tail that does not fill a vector is done in scalar double arithmetic.
    /// </summary>
    internal static double PenaltyBlock(MdePenalty penalty, Span<float> distanceInCoefficientOut, ReadOnlySpan<float> weights, float inverseEdgeCount)
    {
        int width = Vector<float>.Count, length = distanceInCoefficientOut.Length;
        int vectorEnd = length - length % width;
        double total = 0;
        var gamma = new Vector<float>((float)penalty.Exponent);
        var tau = new Vector<float>((float)penalty.Threshold);
        var invP = new Vector<float>(inverseEdgeCount);
        var one = Vector<float>.One;
        var half = new Vector<float>(0.5f);
        for (int s = 0; s < vectorEnd; s += width)
        {
            var d = new Vector<float>(distanceInCoefficientOut.Slice(s, width));
            var w = new Vector<float>(weights.Slice(s, width));
            var positive = Vector.GreaterThan(d, Vector<float>.Zero);
            Vector<float> value, coefficient;
            switch (penalty.Kind)
            {
                case PenaltyKind.Log1p:
                {
                    var t = Power(d, penalty.Exponent);
                    var onePlusT = one + t;
                    value = Vector.Log(onePlusT);
                    coefficient = Vector.ConditionalSelect(positive, gamma * t / (d * d * onePlusT), Vector<float>.Zero);
                    break;
                }
                case PenaltyKind.Log:
                {
                    var t = Power(d, penalty.Exponent);
                    var expNeg = Vector.Exp(-t);
                    // 1 − e^{−t}; its Taylor series where t is small, to avoid cancellation.
                    var series = t * (one - t * (half - t * new Vector<float>(1f / 6f)));
                    var u = Vector.ConditionalSelect(Vector.LessThan(t, new Vector<float>(1e-3f)), series, one - expNeg);
                    value = Vector.Log(u);
                    coefficient = Vector.ConditionalSelect(positive, gamma * t * expNeg / (d * d * u), Vector<float>.Zero);
                    break;
                }
                case PenaltyKind.Quadratic:
                    value = d * d;
                    coefficient = new Vector<float>(2f);
                    break;
                case PenaltyKind.Huber:
                {
                    var inside = Vector.LessThan(d, tau);
                    value = Vector.ConditionalSelect(inside, half * d * d, tau * (d - half * tau));
                    coefficient = Vector.ConditionalSelect(inside, one, Vector.ConditionalSelect(positive, tau / d, Vector<float>.Zero));
                    break;
                }
                default: throw new ArgumentOutOfRangeException(nameof(penalty));
            }
            total += WideSum(w * value);
            (w * coefficient * invP).CopyTo(distanceInCoefficientOut.Slice(s, width));
        }
        for (int s = vectorEnd; s < length; s++)
        {
            double d = distanceInCoefficientOut[s], w = weights[s];
            total += w * penalty.Value(d);
            distanceInCoefficientOut[s] = d > 0 ? (float)(w * penalty.Derivative(d) / d * inverseEdgeCount) : (penalty.Kind == PenaltyKind.Quadratic ? (float)(2 * w * inverseEdgeCount) : 0f);
        }
        return total;
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

    private void VertexBlockPass(int block)
    {
        int start = block * VertexBlock, end = Math.Min(_problem.EntityCount, start + VertexBlock);
        var x = _x;
        var g = _gradient;
        var c = _coefficient;
        var offsets = _problem.IncidentOffsets;
        var neighbor = _problem.IncidentNeighbor;
        var edge = _problem.IncidentEdge;
        int m = _problem.Dimension;
        if (m == 3)
        {
            for (int i = start; i < end; i++)
            {
                double g0 = 0, g1 = 0, g2 = 0;
                float x0 = x[3 * i], x1 = x[3 * i + 1], x2 = x[3 * i + 2];
                for (int e = offsets[i]; e < offsets[i + 1]; e++)
                {
                    int j = 3 * neighbor[e];
                    float ck = c[edge[e]];
                    g0 += ck * (x0 - x[j]);
                    g1 += ck * (x1 - x[j + 1]);
                    g2 += ck * (x2 - x[j + 2]);
                }
                g[3 * i] = (float)g0; g[3 * i + 1] = (float)g1; g[3 * i + 2] = (float)g2;
            }
            return;
        }
        Span<double> accumulator = stackalloc double[m];
        for (int i = start; i < end; i++)
        {
            accumulator.Clear();
            int row = i * m;
            for (int e = offsets[i]; e < offsets[i + 1]; e++)
            {
                int j = neighbor[e] * m;
                float ck = c[edge[e]];
                for (int a = 0; a < m; a++) accumulator[a] += ck * (x[row + a] - x[j + a]);
            }
            for (int a = 0; a < m; a++) g[row + a] = (float)accumulator[a];
        }
    }

    public void Dispose() { }
}
