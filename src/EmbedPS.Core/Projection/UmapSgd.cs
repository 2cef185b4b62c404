using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Projection;

/// <summary>
/// The inner loop of UMAP's parallel SGD: one block of the vertices active in one round (see <see cref="Umap"/> for the round
/// scheme).
/// <para>Each due edge sample is evaluated in one 8-lane pass: lane 0 the attraction, lanes 1… its negative samples (more than 7
/// negatives take further passes). The lanes share the head position at the start of the pass instead of seeing each other's
/// updates, a difference of the order of the head's own step. In umap-learn's order each sample is a chain of six dependent
/// power and division evaluations whose latency, not arithmetic, bounds the run time.</para>
/// <para>The attraction's opposite move of the tail (umap-learn's <c>move_other</c>) is recorded, not applied: other blocks of
/// the round may own the tail or move it too. <see cref="ApplyMoves"/> adds the recorded moves after the round in a fixed
/// order, so the result is the same for any thread count.</para>
/// <para>The block's vertices are split into two halves walked side by side (two independent dependency chains, each with
/// its own random stream), so the processor overlaps one half's pass with the other's.</para>
/// </summary>
internal sealed class UmapSgd
{
    public required int Count { get; init; }
    public required float A { get; init; }
    public required float B { get; init; }
    public required float Gamma { get; init; }
    public required int Seed { get; init; }
    /// <summary>Vertices per block; block b holds vertices [b·BlockSize, min(Count, (b + 1)·BlockSize)).</summary>
    public required int BlockSize { get; init; }
    public int Blocks => (Count + BlockSize - 1) / BlockSize;
    /// <summary>Edge schedules in CSR order: vertex i's edges are [RowStart[i], RowStart[i + 1]).</summary>
    public required EdgeSample[] Edges { get; init; }
    public required int[] RowStart { get; init; }
    public required float[] Current { get; init; }
    public required float[] Snapshot { get; init; }
    /// <summary>
    /// The tail moves of the block being run, each half-walk in the share of this edge-sized array that its own edges occupy
    /// (an edge is sampled at most once per epoch, so the share always has room).
    /// </summary>
    public required TailMove[] Moves { get; init; }

    /// <summary>A recorded tail move: the opposite of the head's attraction step.</summary>
    internal struct TailMove
    {
        public int Tail;
        public float X, Y;
    }

    /// <summary>Per block: where the first and the second half-walk's moves end in <see cref="Moves"/>.</summary>
    public required int[] MovesEnd { get; init; }

    /// <summary>One directed edge's tail and sampling schedule, kept together so a due check touches one cache line.</summary>
    internal struct EdgeSample
    {
        public int Tail;
        public float EpochsPerSample, NextSample, EpochsPerNegative, NextNegative;
    }

    /// <summary>Packs each CSR edge's tail and sampling schedule together.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static EdgeSample[] Layout(int[] columns, float[] epochsPerSample, float[] epochsPerNegative)
    {
        var edges = new EdgeSample[columns.Length];
        for (int e = 0; e < edges.Length; e++)
            edges[e] = new EdgeSample
            {
                Tail = columns[e], EpochsPerSample = epochsPerSample[e], NextSample = epochsPerSample[e],
                EpochsPerNegative = epochsPerNegative[e], NextNegative = epochsPerNegative[e],
            };
        return edges;
    }

    /// <summary>
    /// After a round: adds the tail moves of blocks [firstBlock, lastBlock) whose tail lies in [tailStart, tailEnd) to the
    /// positions and to the copy others read, in block order and, within a block, in the order they were made. Each tail's
    /// moves are summed in that order however the tail range is split, so the result does not depend on the thread count.
    /// </summary>
    public void ApplyMoves(int firstBlock, int lastBlock, int tailStart, int tailEnd)
    {
        for (int block = firstBlock; block < lastBlock; block++)
        {
            var (start, mid, _) = HalfWalks(block);
            ApplyRange(RowStart[start], MovesEnd[2 * block], tailStart, tailEnd);
            ApplyRange(RowStart[mid], MovesEnd[2 * block + 1], tailStart, tailEnd);
        }
    }

    /// <summary>The tail moves recorded by blocks [firstBlock, lastBlock) in their last run.</summary>
    public int MovesMade(int firstBlock, int lastBlock)
    {
        int made = 0;
        for (int block = firstBlock; block < lastBlock; block++)
        {
            var (start, mid, _) = HalfWalks(block);
            made += MovesEnd[2 * block] - RowStart[start] + MovesEnd[2 * block + 1] - RowStart[mid];
        }
        return made;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ApplyRange(int from, int to, int tailStart, int tailEnd)
    {
        ref float current = ref MemoryMarshal.GetArrayDataReference(Current);
        ref float snapshot = ref MemoryMarshal.GetArrayDataReference(Snapshot);
        var moves = Moves.AsSpan(from, to - from);
        foreach (ref var move in moves)
        {
            int tail = move.Tail;
            if ((uint)(tail - tailStart) >= (uint)(tailEnd - tailStart)) continue;
            ref float x = ref Unsafe.Add(ref current, 2 * tail);
            ref float y = ref Unsafe.Add(ref current, 2 * tail + 1);
            x += move.X; y += move.Y;
            Unsafe.Add(ref snapshot, 2 * tail) = x; Unsafe.Add(ref snapshot, 2 * tail + 1) = y;
        }
    }

    /// <summary>Publishes the new positions of vertices [start, end) (a finished round's) to the copy others read.</summary>
    public void Publish(int start, int end)
    {
        if (end > start) Array.Copy(Current, 2 * start, Snapshot, 2 * start, 2 * (end - start));
    }

    /// <summary>Where one half-block walk stands: its vertex (and position), its edge, the sample being worked off.</summary>
    private struct Cursor
    {
        public int Vertex, End, Edge, EdgeEnd, NegativesLeft, Tail, MoveWrite;
        public bool AttractionPending, Loaded;
        public float X, Y;
        public DeterministicRandom Random;
    }

    /// <summary>Block <paramref name="block"/>'s two half-walks: vertices [start, mid) and [mid, end).</summary>
    private (int Start, int Mid, int End) HalfWalks(int block)
    {
        int start = block * BlockSize, end = Math.Min(Count, start + BlockSize);
        return (start, start + (end - start + 1) / 2, end);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void RunBlock(int block, int epoch, float alpha)
    {
        var (start, mid, end) = HalfWalks(block);
        long stream = 1 + ((long)epoch * Blocks + block) * 2;
        var first = new Cursor { Vertex = start - 1, End = mid, MoveWrite = RowStart[start], Random = new DeterministicRandom(Seed, stream) };
        var second = new Cursor { Vertex = mid - 1, End = end, MoveWrite = RowStart[mid], Random = new DeterministicRandom(Seed, stream + 1) };
        Span<float> firstX = stackalloc float[8], firstY = stackalloc float[8], secondX = stackalloc float[8], secondY = stackalloc float[8];
        var constants = new PassConstants(A, B, Gamma, alpha);
        while (true)
        {
            int usedFirst = Fill(ref first, firstX, firstY, epoch, out bool attractFirst);
            int usedSecond = Fill(ref second, secondX, secondY, epoch, out bool attractSecond);
            if (usedFirst == 0 && usedSecond == 0) break;
            // Two independent passes in straight-line code: the out-of-order core overlaps their latency chains.
            if (usedFirst > 0)
            {
                Pass(ref first.X, ref first.Y, firstX, firstY, usedFirst, attractFirst, constants, out float tailX, out float tailY);
                if (attractFirst) Moves[first.MoveWrite++] = new TailMove { Tail = first.Tail, X = tailX, Y = tailY };
            }
            if (usedSecond > 0)
            {
                Pass(ref second.X, ref second.Y, secondX, secondY, usedSecond, attractSecond, constants, out float tailX, out float tailY);
                if (attractSecond) Moves[second.MoveWrite++] = new TailMove { Tail = second.Tail, X = tailX, Y = tailY };
            }
        }
        MovesEnd[2 * block] = first.MoveWrite;
        MovesEnd[2 * block + 1] = second.MoveWrite;
    }

    /// <summary>
    /// Loads the next pass of this walk into the lane buffers (the tail in lane 0 when the attraction is due, then up to 8
    /// negative samples) and returns the lanes used; 0 when the walk is done. Writes a finished vertex back.
    /// <para>The cursor is worked on in a local copy (its random state then stays in registers instead of going through memory
    /// at every draw) and the arrays are read without bounds checks: the indices come from the CSR graph and the generator.</para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Fill(ref Cursor cursor, Span<float> otherX, Span<float> otherY, int epoch, out bool attract)
    {
        attract = false;
        var c = cursor;
        ref float current = ref MemoryMarshal.GetArrayDataReference(Current);
        ref float snapshot = ref MemoryMarshal.GetArrayDataReference(Snapshot);
        ref EdgeSample edges = ref MemoryMarshal.GetArrayDataReference(Edges);
        ref int rowStart = ref MemoryMarshal.GetArrayDataReference(RowStart);
        ref float laneX = ref MemoryMarshal.GetReference(otherX);
        ref float laneY = ref MemoryMarshal.GetReference(otherY);
        int count = Count;
        while (true)
        {
            if (!c.AttractionPending && c.NegativesLeft == 0)
            {
                // Advance to the next due edge, moving on to the next vertex when the current one is done.
                c.Edge++;
                while (c.Edge >= c.EdgeEnd)
                {
                    if (c.Loaded) { Unsafe.Add(ref current, 2 * c.Vertex) = c.X; Unsafe.Add(ref current, 2 * c.Vertex + 1) = c.Y; c.Loaded = false; }
                    if (++c.Vertex >= c.End) { cursor = c; return 0; }
                    c.X = Unsafe.Add(ref current, 2 * c.Vertex); c.Y = Unsafe.Add(ref current, 2 * c.Vertex + 1); c.Loaded = true;
                    c.Edge = Unsafe.Add(ref rowStart, c.Vertex); c.EdgeEnd = Unsafe.Add(ref rowStart, c.Vertex + 1);
                }
                ref var edge = ref Unsafe.Add(ref edges, c.Edge);
                if (edge.NextSample > epoch) continue;
                edge.NextSample += edge.EpochsPerSample;
                int negatives = (int)((epoch - edge.NextNegative) / edge.EpochsPerNegative);
                edge.NextNegative += negatives * edge.EpochsPerNegative;
                c.NegativesLeft = Math.Max(0, negatives);
                c.Tail = edge.Tail;
                c.AttractionPending = true;
            }
            int used = 0;
            if (c.AttractionPending)
            {
                laneX = Unsafe.Add(ref snapshot, 2 * c.Tail); laneY = Unsafe.Add(ref snapshot, 2 * c.Tail + 1);
                used = 1; attract = true; c.AttractionPending = false;
            }
            while (used < 8 && c.NegativesLeft > 0)
            {
                int m = c.Random.NextInt(count);
                c.NegativesLeft--;
                if (m == c.Vertex) continue;
                Unsafe.Add(ref laneX, used) = Unsafe.Add(ref snapshot, 2 * m); Unsafe.Add(ref laneY, used) = Unsafe.Add(ref snapshot, 2 * m + 1); used++;
            }
            if (used > 0) { cursor = c; return used; }
        }
    }

    private readonly struct PassConstants(float a, float b, float gamma, float alpha)
    {
        public readonly Vector256<float> A = Vector256.Create(a), B = Vector256.Create(b);
        public readonly Vector256<float> AttractNumerator = Vector256.Create(-2f * a * b), RepelNumerator = Vector256.Create(2f * gamma * b);
        public readonly Vector256<float> Step = Vector256.Create(alpha);
        public readonly Vector256<float> FirstLane = Vector256.Create(-1, 0, 0, 0, 0, 0, 0, 0).AsSingle();
    }

    private static readonly Vector256<int> s_laneIndex = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);

    /// <summary>
    /// Applies one pass: the attraction in lane 0 when <paramref name="attract"/> (its opposite, the tail's move, returned in
    /// <paramref name="tailX"/>, <paramref name="tailY"/>), repulsion in the other used lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pass(ref float x, ref float y, Span<float> otherX, Span<float> otherY, int used, bool attract, in PassConstants k,
        out float tailX, out float tailY)
    {
        var attraction = attract ? k.FirstLane : Vector256<float>.Zero;
        var dx = Vector256.Create(x) - Vector256.Create<float>(otherX);
        var dy = Vector256.Create(y) - Vector256.Create<float>(otherY);
        var dist = Vector256.FusedMultiplyAdd(dx, dx, dy * dy);
        var active = Vector256.LessThan(s_laneIndex, Vector256.Create(used)).AsSingle() & Vector256.GreaterThan(dist, Vector256<float>.Zero);
        dist = Vector256.ConditionalSelect(active, dist, Vector256<float>.One);
        var powB = FastMath.Pow(dist, k.B);
        var q = Vector256.FusedMultiplyAdd(k.A, powB, Vector256<float>.One);
        // Attraction: −2ab·D^(b−1)/(1 + a·D^b); repulsion: 2γb/((0.001 + D)(1 + a·D^b)); each lane clipped at ±4.
        var numerator = Vector256.ConditionalSelect(attraction, k.AttractNumerator * powB, k.RepelNumerator);
        var denominator = Vector256.ConditionalSelect(attraction, dist, dist + Vector256.Create(0.001f)) * q;
        var coefficient = numerator / denominator;
        var gx = k.Step * Vector256.Min(Vector256.Max(coefficient * dx, Vector256.Create(-4f)), Vector256.Create(4f)) & active;
        var gy = k.Step * Vector256.Min(Vector256.Max(coefficient * dy, Vector256.Create(-4f)), Vector256.Create(4f)) & active;
        tailX = -gx.ToScalar();
        tailY = -gy.ToScalar();
        x += Vector256.Sum(gx);
        y += Vector256.Sum(gy);
    }
}
