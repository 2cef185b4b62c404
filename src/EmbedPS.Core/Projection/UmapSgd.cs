using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EmbedPS.Core.Common;

namespace EmbedPS.Core.Projection;

/// <summary>
/// The inner loop of UMAP's parallel SGD: the blocks of vertices active in one round (see <see cref="Umap"/> for the round
/// scheme), a worker's share of them.
/// <para>Each due edge sample is one pass of up to 8 terms: term 0 the attraction, terms 1… its negative samples (more than 7
/// negatives take further passes). The terms share the head position at the start of the pass instead of seeing each other's
/// updates, a difference of the order of the head's own step.</para>
/// <para>The attraction's opposite move of the tail (umap-learn's <c>move_other</c>) is recorded, not applied: other blocks of
/// the round may own the tail or move it too. <see cref="ApplyMoves"/> adds the recorded moves after the round in a fixed
/// order, so the result is the same for any thread count.</para>
/// <para>How a worker runs its blocks. (1) The due scan: 8 edges at a time, the schedules (structure of arrays) compared with
/// the epoch and advanced, the due edges packed into a list with their negative-sample counts — no branch per edge.
/// (2) The plan: each block's vertices are split into two halves, each drawing from its own random stream in vertex order
/// (as umap-learn's sweep does); every pass gets its terms' vertices and a place: a vertex's passes go to one of
/// <see cref="Lanes"/> lanes, in consecutive batches. The half-walks' generators run 4 at a time in the lanes of a vector.
/// (3) The fetch copies the terms' positions from the worker's copy of the positions (as of the round's start; no one writes
/// it during a round) into the batches. (4) The batches are run: lane j of a batch is one pass of the vertex in
/// lane j, each term evaluated for 8 lanes at once, in short phases (differences, logarithm, exponential, step) so that the
/// processor overlaps the terms' long latency chains. A vertex's position stays in its lane from pass to pass. Each vertex
/// still takes its passes in its own order with the same terms, summed in the same order, so the result does not depend on
/// how vertices are put into lanes or blocks shared among workers.</para>
/// </summary>
internal sealed class UmapSgd
{
    /// <summary>Vertices run side by side: two groups of 8 lanes.</summary>
    internal const int Lanes = 16;

    /// <summary>A worker plans and runs its blocks in parts of about this many passes (the part's batches stay in the L2 cache).</summary>
    private const int PartPasses = 1024;

    public required int Count { get; init; }
    public required float A { get; init; }
    public required float B { get; init; }
    public required float Gamma { get; init; }
    public required int Seed { get; init; }
    /// <summary>Vertices per block; block b holds vertices [b·BlockSize, min(Count, (b + 1)·BlockSize)).</summary>
    public required int BlockSize { get; init; }
    public int Blocks => (Count + BlockSize - 1) / BlockSize;
    /// <summary>Edge schedules in CSR order: vertex i's edges are [RowStart[i], RowStart[i + 1]).</summary>
    public required EdgeSchedule Edges { get; init; }
    public required int[] RowStart { get; init; }
    /// <summary>
    /// The positions, row-major n × 2, one copy per worker (the same values: each gets every round's new positions and tail
    /// moves in the same order), so that a worker reads positions that its own core wrote. During a round they are what
    /// everyone reads (umap-learn's positions as of the round's start): the round's own vertices' new positions go to
    /// <see cref="RoundPositions"/> and are published after the round.
    /// </summary>
    public required float[][] Copies { get; init; }
    /// <summary>The new positions of the running round's vertices (vertex v of a round starting at vertex s at 2(v − s)); 2 × the most vertices of a round.</summary>
    public required float[] RoundPositions { get; init; }
    /// <summary>
    /// The tail moves of the running round, each half-walk in the share that its own edges occupy among the round's edges (an
    /// edge is sampled at most once per epoch, so the share always has room): the most edges of a round.
    /// </summary>
    public required TailMove[] Moves { get; init; }

    /// <summary>A recorded tail move: the opposite of the head's attraction step.</summary>
    internal struct TailMove
    {
        public int Tail;
        public float X, Y;
    }

    /// <summary>Per block: where the first and the second half-walk's moves end in <see cref="Moves"/> (in its round's numbering).</summary>
    public required int[] MovesEnd { get; init; }

    /// <summary>The directed edges' heads, tails and sampling schedules, one array each (8 schedules are compared at once).</summary>
    internal sealed class EdgeSchedule
    {
        public required int[] Tail { get; init; }
        /// <summary>Each edge's head (the vertex whose CSR row holds it).</summary>
        public required int[] Head { get; init; }
        public required float[] EpochsPerSample { get; init; }
        public required float[] NextSample { get; init; }
        public required float[] EpochsPerNegative { get; init; }
        public required float[] NextNegative { get; init; }
    }

    /// <summary>The CSR edges' heads, tails (<paramref name="columns"/>, read only) and schedules (the next-sample arrays are advanced in place).</summary>
    public static EdgeSchedule Layout(int[] rowStart, int[] columns, float[] epochsPerSample, float[] nextSample, float[] epochsPerNegative, float[] nextNegative)
    {
        var heads = new int[columns.Length];
        for (int i = 0; i + 1 < rowStart.Length; i++) heads.AsSpan(rowStart[i], rowStart[i + 1] - rowStart[i]).Fill(i);
        return new EdgeSchedule
        {
            Tail = columns, Head = heads, EpochsPerSample = epochsPerSample, NextSample = nextSample,
            EpochsPerNegative = epochsPerNegative, NextNegative = nextNegative,
        };
    }

    /// <summary>The first vertex of the round whose first block is <paramref name="roundFirstBlock"/>, and its first edge.</summary>
    private (int Vertex, int Edge) RoundBase(int roundFirstBlock)
    {
        int vertex = roundFirstBlock * BlockSize;
        return (vertex, RowStart[vertex]);
    }

    /// <summary>
    /// After a round (whose first block is <paramref name="roundFirstBlock"/>): adds the tail moves of blocks [firstBlock,
    /// lastBlock) to copy <paramref name="copy"/> of the positions, in block order and, within a block, in the order they were
    /// made, so that every copy gets the same sums whoever adds them. The round's positions must have been published first.
    /// </summary>
    public void ApplyMoves(int copy, int roundFirstBlock, int firstBlock, int lastBlock)
    {
        int edgeBase = RoundBase(roundFirstBlock).Edge;
        for (int block = firstBlock; block < lastBlock; block++)
        {
            var (start, mid, _) = HalfWalks(block);
            ApplyRange(Copies[copy], RowStart[start] - edgeBase, MovesEnd[2 * block]);
            ApplyRange(Copies[copy], RowStart[mid] - edgeBase, MovesEnd[2 * block + 1]);
        }
    }

    /// <summary>Adds moves [from, to) to <paramref name="copy"/>: each x, y pair in one 8-byte read, add and write.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private unsafe void ApplyRange(float[] copy, int from, int to)
    {
        fixed (float* positions = copy)
        fixed (TailMove* moves = Moves)
        {
            double* pairs = (double*)positions;
            for (TailMove* move = moves + from, end = moves + to; move < end; move++)
            {
                double* pair = pairs + move->Tail;
                *pair = (Vector128.CreateScalarUnsafe(*pair).AsSingle() + Vector128.CreateScalarUnsafe(*(double*)&move->X).AsSingle()).AsDouble().ToScalar();
            }
        }
    }

    /// <summary>Publishes the new positions of vertices [start, end) of the round whose first block is <paramref name="roundFirstBlock"/>.</summary>
    public void Publish(int copy, int roundFirstBlock, int start, int end)
    {
        int vertexBase = RoundBase(roundFirstBlock).Vertex;
        if (end > start) Array.Copy(RoundPositions, 2 * (start - vertexBase), Copies[copy], 2 * start, 2 * (end - start));
    }

    /// <summary>Block <paramref name="block"/>'s two half-walks: vertices [start, mid) and [mid, end).</summary>
    private (int Start, int Mid, int End) HalfWalks(int block)
    {
        int start = block * BlockSize, end = Math.Min(Count, start + BlockSize);
        return (start, start + (end - start + 1) / 2, end);
    }

    /// <summary>
    /// Eight passes run side by side, lane j one pass of the vertex in lane j. Batch b of lane group g is <c>Batches[2b + g]</c>.
    /// </summary>
    private struct Batch
    {
        /// <summary>Term t's other points (t = 0 the tail when the pass attracts): x, y pairs, lane j's at pair <see cref="PairOf"/>[j] of XY[2t], XY[2t + 1].</summary>
        public Pairs XY;
        /// <summary>The positions of the vertices that start in this batch (lanes set in <see cref="Starts"/>).</summary>
        public Vector256<float> StartX, StartY;
        /// <summary>All bits set in the lanes whose vertex starts in this batch.</summary>
        public Vector256<int> Starts;
        public Vector256<int> Used;
        /// <summary>The index in <see cref="Moves"/> of the tail move, −1 when the pass has no attraction.</summary>
        public Vector256<int> MoveSlot;
        /// <summary>2 × the head vertex.</summary>
        public Vector256<int> Head;
        /// <summary>The tail moves, filled in by the run.</summary>
        public Vector256<float> MoveX, MoveY;
        /// <summary>Bit j: lane j's vertex takes its last pass in this batch.</summary>
        public int Ends;
    }

    [InlineArray(16)]
    private struct Pairs
    {
        private Vector256<float> _half;
    }

    /// <summary>
    /// Where lane j's x, y pair goes among a term's 8 pairs: splitting the two 4-pair vectors into x and y with one shuffle each
    /// puts pairs 0, 1, 4, 5 of the first and 0, 1, 4, 5 of the second vector… in lanes 0, 1, 2, 3, 4, 5, 6, 7 as below.
    /// </summary>
    private static ReadOnlySpan<int> PairOf => [0, 1, 4, 5, 2, 3, 6, 7];

    /// <summary>A worker's buffers, grown as needed.</summary>
    private sealed class Scratch
    {
        public int[] Due = new int[256], DueNegatives = new int[256];
        public int[] Draws = new int[256];
        public Batch[] Batches = new Batch[64];
        /// <summary>Per planned pass (and one empty pass after the last): its 8 term vertices; the terms used, its tail move's slot (−1: none), 2 × its head.</summary>
        public int[] Terms = new int[512], Used = new int[64], Slot = new int[64], Head = new int[64];
        /// <summary>The pass in each lane of each batch (16 a batch; an idle lane: the empty pass one past the last).</summary>
        public int[] PassAt = new int[1024];
        /// <summary>Per vertex run (a vertex's passes): its first pass (then one past the last run's), its lane and first batch.</summary>
        public int[] RunFirst = new int[65], RunLane = new int[64], RunBatch = new int[64];
        /// <summary>Per half-walk of the part: its first vertex, first due entry, first draw.</summary>
        public int[] WalkVertex = new int[64], WalkDue = new int[64], WalkDraw = new int[64];
        /// <summary>Four generators' draws, interleaved.</summary>
        public int[] Transposed = new int[1024];
    }

    [ThreadStatic] private static Scratch? t_scratch;

    /// <summary>
    /// Runs blocks [firstBlock, lastBlock) of a round for epoch <paramref name="epoch"/> at learning rate <paramref name="alpha"/>.
    /// The blocks must not share vertices with blocks other workers run at the same time (a round's blocks never do).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void RunBlocks(int copy, int roundFirstBlock, int firstBlock, int lastBlock, int epoch, float alpha)
    {
        var scratch = t_scratch ??= new Scratch();
        var positions = Copies[copy];
        var (vertexBase, edgeBase) = RoundBase(roundFirstBlock);
        // The round's new positions start as the old ones (a vertex without a due sample this epoch keeps its position).
        int firstVertex = firstBlock * BlockSize, endVertex = Math.Min(Count, lastBlock * BlockSize);
        if (endVertex > firstVertex) Array.Copy(positions, 2 * firstVertex, RoundPositions, 2 * (firstVertex - vertexBase), 2 * (endVertex - firstVertex));
        var constants = new PassConstants(A, B, Gamma, alpha);
        for (int block = firstBlock; block < lastBlock;)
        {
            // 1. Scan and draw a part's half-walks (all of them first, so the planner reads no freshly written memory).
            int partFirst = block, walks = 0, due = 0, drawn = 1;
            do
            {
                var (start, mid, end) = HalfWalks(block);
                Scan(scratch, walks++, start, mid, epoch, ref due, ref drawn);
                Scan(scratch, walks++, mid, end, epoch, ref due, ref drawn);
                block++;
            }
            while (block < lastBlock && due < PartPasses);
            scratch.WalkDue[walks] = due;
            scratch.WalkDraw[walks] = drawn;
            if (scratch.Draws.Length < drawn + 8) Array.Resize(ref scratch.Draws, Math.Max(2 * scratch.Draws.Length, drawn + 8));
            for (int walk = 0; walk < walks; walk += 4) DrawFour(scratch, partFirst, walk, Math.Min(4, walks - walk), epoch);
            // The planner reads draws 8 at a time, one before a sample's to 7 past: keep those valid vertex indices.
            scratch.Draws.AsSpan(drawn, 8).Clear();
            // 2. Plan: room for every pass in its own batch of every lane, and the planner's look-ahead.
            int most = due + drawn / 8 + 4;
            if (scratch.Batches.Length < 2 * most) scratch.Batches = new Batch[Math.Max(2 * scratch.Batches.Length, 2 * most)];
            if (scratch.Used.Length < most + 1)
            {
                int size = Math.Max(2 * scratch.Used.Length, most + 1);
                scratch.PassAt = new int[Lanes * size]; scratch.Used = new int[size]; scratch.Slot = new int[size];
                scratch.Head = new int[size]; scratch.Terms = new int[8 * size];
                scratch.RunFirst = new int[size + 1]; scratch.RunLane = new int[size]; scratch.RunBatch = new int[size];
            }
            int passes = Choose(scratch, partFirst, walks, edgeBase, out int runs);
            int batches = Schedule(scratch, runs, passes);
            // 3. Fetch the terms' positions, 4. run the batches, 5. hand over the tail moves.
            Fetch(scratch, positions, runs, batches);
            RunBatches(scratch, batches, vertexBase, constants);
            Deliver(scratch, batches);
        }
    }

    /// <summary>
    /// Scans half-walk <paramref name="walk"/> of the part (vertices [start, end)): appends its due samples to the due list and
    /// reserves room for its draws.
    /// </summary>
    private void Scan(Scratch scratch, int walk, int start, int end, int epoch, ref int due, ref int drawn)
    {
        int edgeStart = RowStart[start], edgeEnd = RowStart[end];
        if (scratch.WalkVertex.Length < walk + 2)
        {
            Array.Resize(ref scratch.WalkVertex, 2 * (walk + 2));
            Array.Resize(ref scratch.WalkDue, 2 * (walk + 2));
            Array.Resize(ref scratch.WalkDraw, 2 * (walk + 2));
        }
        if (scratch.Due.Length < due + edgeEnd - edgeStart + 8)
        {
            int size = Math.Max(2 * scratch.Due.Length, due + edgeEnd - edgeStart + 8);
            Array.Resize(ref scratch.Due, size); Array.Resize(ref scratch.DueNegatives, size);
        }
        scratch.WalkVertex[walk] = start; scratch.WalkDue[walk] = due; scratch.WalkDraw[walk] = drawn;
        due = ScanDue(scratch, edgeStart, edgeEnd, due, epoch, out int draws);
        drawn += draws;
    }

    private static readonly int[] s_packTable = BuildPackTable();

    /// <summary>For each 8-bit mask, the indices of its set bits in order (then zeros): the permutation that left-packs a vector.</summary>
    private static int[] BuildPackTable()
    {
        var table = new int[256 * 8];
        for (int mask = 0; mask < 256; mask++)
        {
            int k = 0;
            for (int lane = 0; lane < 8; lane++) if ((mask >> lane & 1) != 0) table[mask * 8 + k++] = lane;
        }
        return table;
    }

    /// <summary>
    /// Advances the schedules of edges [from, to) that are due at <paramref name="epoch"/> (umap-learn's <c>epoch_of_next_sample
    /// ≤ n</c>) and appends them, with their negative-sample counts, to the due list at <paramref name="write"/>; returns the
    /// list's new end. The same float operations as umap-learn's scalar update, 8 edges at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private int ScanDue(Scratch scratch, int from, int to, int write, int epoch, out int draws)
    {
        var edges = Edges;
        ref float nextSample = ref MemoryMarshal.GetArrayDataReference(edges.NextSample);
        ref float epochsPerSample = ref MemoryMarshal.GetArrayDataReference(edges.EpochsPerSample);
        ref float nextNegative = ref MemoryMarshal.GetArrayDataReference(edges.NextNegative);
        ref float epochsPerNegative = ref MemoryMarshal.GetArrayDataReference(edges.EpochsPerNegative);
        ref int due = ref MemoryMarshal.GetArrayDataReference(scratch.Due);
        ref int dueNegatives = ref MemoryMarshal.GetArrayDataReference(scratch.DueNegatives);
        ref int pack = ref MemoryMarshal.GetArrayDataReference(s_packTable);
        float now = epoch;
        var nowV = Vector256.Create(now);
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        int e = from;
        var drawn = Vector256<int>.Zero;
        draws = 0;
        if (Avx2.IsSupported)
        {
            for (; e + 8 <= to; e += 8)
            {
                var ns = Vector256.LoadUnsafe(ref nextSample, (nuint)e);
                var isDue = Vector256.LessThanOrEqual(ns, nowV);
                uint mask = isDue.ExtractMostSignificantBits();
                var eps = Vector256.LoadUnsafe(ref epochsPerSample, (nuint)e);
                var nn = Vector256.LoadUnsafe(ref nextNegative, (nuint)e);
                var epn = Vector256.LoadUnsafe(ref epochsPerNegative, (nuint)e);
                Vector256.ConditionalSelect(isDue, ns + eps, ns).StoreUnsafe(ref nextSample, (nuint)e);
                var negatives = Vector256.ConvertToInt32Native((nowV - nn) / epn);
                Vector256.ConditionalSelect(isDue, nn + Vector256.ConvertToSingle(negatives) * epn, nn).StoreUnsafe(ref nextNegative, (nuint)e);
                var permutation = Vector256.LoadUnsafe(ref pack, mask * 8);
                Avx2.PermuteVar8x32(Vector256.Create(e) + lanes, permutation).StoreUnsafe(ref due, (nuint)write);
                Avx2.PermuteVar8x32(negatives, permutation).StoreUnsafe(ref dueNegatives, (nuint)write);
                drawn += Vector256.Max(negatives, Vector256<int>.Zero) & isDue.AsInt32();
                write += System.Numerics.BitOperations.PopCount(mask);
            }
        }
        for (; e < to; e++)
        {
            ref float ns = ref Unsafe.Add(ref nextSample, e);
            if (ns > now) continue;
            ns += Unsafe.Add(ref epochsPerSample, e);
            ref float nn = ref Unsafe.Add(ref nextNegative, e);
            float epn = Unsafe.Add(ref epochsPerNegative, e);
            int negatives = (int)((now - nn) / epn);
            nn += negatives * epn;
            Unsafe.Add(ref due, write) = e;
            Unsafe.Add(ref dueNegatives, write) = negatives;
            draws += Math.Max(0, negatives);
            write++;
        }
        draws += Vector256.Sum(drawn);
        return write;
    }

    /// <summary>
    /// Draws the negative samples of the part's half-walks [firstWalk, firstWalk + count) (at most 4), each from its own stream
    /// (seed, epoch, block, half), into its stretch of the draw buffer: the 4 generators run in the 4 lanes of a vector (the
    /// same xoshiro256** steps and Lemire reduction as <see cref="DeterministicRandom.NextInt"/>, lane by lane), so a draw costs
    /// a quarter of the scalar steps. Lemire's rare rejection (a low product below the bound) is finished in scalar code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private unsafe void DrawFour(Scratch scratch, int partFirst, int firstWalk, int count, int epoch)
    {
        var states = stackalloc ulong[16];
        int* at = stackalloc int[4];
        int* length = stackalloc int[4];
        int most = 0;
        for (int k = 0; k < 4; k++)
        {
            int walk = firstWalk + Math.Min(k, count - 1);
            long stream = 1 + ((long)epoch * Blocks + partFirst + walk / 2) * 2 + (walk & 1);
            var random = new DeterministicRandom(Seed, stream);
            var state = Unsafe.As<DeterministicRandom, Xoshiro>(ref random);
            states[k] = state.S0; states[4 + k] = state.S1; states[8 + k] = state.S2; states[12 + k] = state.S3;
            at[k] = scratch.WalkDraw[walk];
            length[k] = k < count ? scratch.WalkDraw[walk + 1] - at[k] : 0;
            most = Math.Max(most, length[k]);
        }
        if (scratch.Transposed.Length < 4 * most) scratch.Transposed = new int[Math.Max(2 * scratch.Transposed.Length, 4 * most)];
        var s0 = Vector256.Load(states); var s1 = Vector256.Load(states + 4);
        var s2 = Vector256.Load(states + 8); var s3 = Vector256.Load(states + 12);
        uint n = (uint)Count;
        var bound = Vector256.Create((ulong)n);
        var low32 = Vector256.Create(0xFFFF_FFFFUL);
        var evenLanes = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
        fixed (int* transposed = scratch.Transposed)
        {
            for (int i = 0; i < most; i++)
            {
                // xoshiro256**: result = rotl(s1·5, 7)·9, then the state update.
                var times5 = s1 + (s1 << 2);
                var rotated = (times5 << 7) | (times5 >>> 57);
                var result = rotated + (rotated << 3);
                var t = s1 << 17;
                s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
                s3 = (s3 << 45) | (s3 >>> 19);
                // Lemire: m = (uint)result · n; the draw is m's high half unless m's low half is below n (then maybe redrawn).
                var m = Avx2.Multiply(result.AsUInt32(), bound.AsUInt32());
                if (Avx2.CompareGreaterThan(bound.AsInt64(), (m & low32).AsInt64()) != Vector256<long>.Zero)
                    (s0, s1, s2, s3, m) = Reject(s0, s1, s2, s3, m, n);
                Avx2.PermuteVar8x32((m >>> 32).AsInt32(), evenLanes).GetLower().Store(transposed + 4 * i);
            }
            int* draws = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(scratch.Draws));
            for (int k = 0; k < count; k++)
            {
                int* to = draws + at[k];
                int* from = transposed + k;
                int* end = to + length[k];
                for (; to < end; to++, from += 4) *to = *from;
            }
        }
    }

    /// <summary>Lemire's rejection for the lanes whose low product fell below the bound, in scalar code: redraws while below (2⁶⁴ mod n).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe (Vector256<ulong>, Vector256<ulong>, Vector256<ulong>, Vector256<ulong>, Vector256<ulong>) Reject(
        Vector256<ulong> s0, Vector256<ulong> s1, Vector256<ulong> s2, Vector256<ulong> s3, Vector256<ulong> m, uint n)
    {
        var lanes = stackalloc ulong[20];
        s0.Store(lanes); s1.Store(lanes + 4); s2.Store(lanes + 8); s3.Store(lanes + 12); m.Store(lanes + 16);
        uint threshold = (uint)(-(int)n) % n;
        for (int k = 0; k < 4; k++)
        {
            ulong product = lanes[16 + k];
            var state = new Xoshiro { S0 = lanes[k], S1 = lanes[4 + k], S2 = lanes[8 + k], S3 = lanes[12 + k] };
            while ((uint)product < threshold) product = (ulong)(uint)state.Next() * n;
            lanes[k] = state.S0; lanes[4 + k] = state.S1; lanes[8 + k] = state.S2; lanes[12 + k] = state.S3; lanes[16 + k] = product;
        }
        return (Vector256.Load(lanes), Vector256.Load(lanes + 4), Vector256.Load(lanes + 8), Vector256.Load(lanes + 12), Vector256.Load(lanes + 16));
    }

    /// <summary>The state of a <see cref="DeterministicRandom"/> (its four words, in order) and its xoshiro256** step.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Xoshiro
    {
        public ulong S0, S1, S2, S3;

        public ulong Next()
        {
            ulong result = ((S1 * 5) << 7 | (S1 * 5) >> 57) * 9;
            ulong t = S1 << 17;
            S2 ^= S0; S3 ^= S1; S1 ^= S2; S0 ^= S3;
            S2 ^= t;
            S3 = S3 << 45 | S3 >> 19;
            return result;
        }
    }

    /// <summary>
    /// Chooses the terms of the part's passes. The half-walks start at block <paramref name="firstBlock"/>'s; each due edge
    /// sample is the attraction then its negative samples, taken in order from its half-walk's draws (a draw of the head itself
    /// is skipped), at most 8 terms a pass. Per pass: its 8 term vertices (packed, unused terms repeating the first), the terms
    /// used, its tail move's slot (the move's tail written there now), 2 × its head; per vertex the run of its passes. Sets each
    /// half-walk's moves' end; returns the number of passes.
    /// <para>A sample with at most 7 negatives (nearly all) is one pass, chosen 8 terms at once: the candidates (the tail and
    /// the next 7 draws) as a vector, those that are this sample's and not the head kept, left-packed by a permutation.</para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private unsafe int Choose(Scratch scratch, int firstBlock, int walks, int edgeBase, out int runCount)
    {
        var laneIndex = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var firstLane = Vector256.Create(-1, 0, 0, 0, 0, 0, 0, 0);
        int passes = 0, runs = 0;
        fixed (int* tails = Edges.Tail, heads = Edges.Head, rowStart = RowStart)
        fixed (int* due = scratch.Due, dueNegatives = scratch.DueNegatives, draws = scratch.Draws, pack = s_packTable)
        fixed (int* terms = scratch.Terms, used = scratch.Used, slots = scratch.Slot, passHeads = scratch.Head, runFirst = scratch.RunFirst)
        fixed (int* walkVertex = scratch.WalkVertex, walkDue = scratch.WalkDue, walkDraw = scratch.WalkDraw)
        fixed (TailMove* moves = Moves)
        {
            for (int walk = 0; walk < walks; walk++)
            {
                int moveWrite = rowStart[walkVertex[walk]] - edgeBase, r = walkDraw[walk], last = -1;
                for (int d = walkDue[walk], dueEnd = walkDue[walk + 1]; d < dueEnd; d++)
                {
                    int e = due[d];
                    int negatives = Math.Max(0, dueNegatives[d]);
                    int head = heads[e], tail = tails[e];
                    // A new run wherever the head changes (written either way, counted only then).
                    runFirst[runs] = passes;
                    runs += (int)((uint)((head - last) | (last - head)) >> 31);
                    last = head;
                    moves[moveWrite].Tail = tail;
                    if (negatives <= 7)
                    {
                        var candidates = Vector256.ConditionalSelect(firstLane, Vector256.Create(tail), Vector256.Load(draws + r - 1));
                        var keep = Vector256.LessThanOrEqual(laneIndex, Vector256.Create(negatives))
                                   & (~Vector256.Equals(candidates, Vector256.Create(head)) | firstLane);
                        uint mask = keep.ExtractMostSignificantBits();
                        Avx2.PermuteVar8x32(candidates, Vector256.Load(pack + 8 * mask)).Store(terms + 8 * passes);
                        used[passes] = System.Numerics.BitOperations.PopCount(mask);
                        slots[passes] = moveWrite++;
                        passHeads[passes] = 2 * head;
                        passes++;
                        r += negatives;
                        continue;
                    }
                    // More than 7 negatives: the first pass takes draws until it has 8 terms, further passes up to 8 without the attraction.
                    int* term = terms + 8 * passes;
                    term[0] = tail;
                    int left = negatives, usedTerms = 1, slot = moveWrite++;
                    while (true)
                    {
                        while (usedTerms < 8 && left > 0)
                        {
                            int m = draws[r++];
                            left--;
                            if (m == head) continue;
                            term[usedTerms++] = m;
                        }
                        if (usedTerms > 0)
                        {
                            for (int t = usedTerms; t < 8; t++) term[t] = term[0];
                            used[passes] = usedTerms; slots[passes] = slot; passHeads[passes] = 2 * head;
                            passes++;
                        }
                        if (left == 0) break;
                        term = terms + 8 * passes;
                        slot = -1;
                        usedTerms = 0;
                    }
                }
                int block = firstBlock + walk / 2;
                MovesEnd[2 * block + (walk & 1)] = moveWrite;
            }
            runFirst[runs] = passes;
        }
        runCount = runs;
        return passes;
    }

    /// <summary>
    /// Puts each vertex run into the lane free first, in consecutive batches from there; writes the pass in each lane of each
    /// batch (idle lanes: the empty pass <paramref name="passes"/>, which this sets up) and returns the number of batches.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private unsafe int Schedule(Scratch scratch, int runs, int passes)
    {
        var laneIndex = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var upperIndex = laneIndex + Vector256.Create(8);
        var idle = Vector256.Create(passes);
        // The batch from which each lane is free (lanes 0–7, 8–15).
        Vector256<int> freeLow = default, freeHigh = default;
        int ready = 0;
        fixed (int* runFirst = scratch.RunFirst, runLane = scratch.RunLane, runBatch = scratch.RunBatch, passAt = scratch.PassAt)
        fixed (int* terms = scratch.Terms, used = scratch.Used, slots = scratch.Slot, heads = scratch.Head)
        {
            Vector256<int>.Zero.Store(terms + 8 * passes);
            used[passes] = 0; slots[passes] = -1; heads[passes] = 0;
            for (int v = 0; v < runs; v++)
            {
                var least = Vector256.Min(freeLow, freeHigh);
                least = Vector256.Min(least, Avx2.Permute2x128(least, least, 1));
                least = Vector256.Min(least, Avx2.Shuffle(least, 0b01_00_11_10));
                least = Vector256.Min(least, Avx2.Shuffle(least, 0b10_11_00_01));
                uint earliest = Vector256.Equals(freeLow, least).ExtractMostSignificantBits() | Vector256.Equals(freeHigh, least).ExtractMostSignificantBits() << 8;
                int lane = System.Numerics.BitOperations.TrailingZeroCount(earliest);
                int batch = least.ToScalar();
                int first = runFirst[v], length = runFirst[v + 1] - first;
                var laneV = Vector256.Create(lane);
                var until = Vector256.Create(batch + length);
                freeLow = Vector256.ConditionalSelect(Vector256.Equals(laneIndex, laneV), until, freeLow);
                freeHigh = Vector256.ConditionalSelect(Vector256.Equals(upperIndex, laneV), until, freeHigh);
                runLane[v] = lane; runBatch[v] = batch;
                for (; ready < batch + length; ready++) { idle.Store(passAt + Lanes * ready); idle.Store(passAt + Lanes * ready + 8); }
                int* at = passAt + Lanes * batch + lane;
                for (int k = 0; k < length; k++) at[Lanes * k] = first + k;
            }
        }
        var most = Vector256.Max(freeLow, freeHigh);
        most = Vector256.Max(most, Avx2.Permute2x128(most, most, 1));
        most = Vector256.Max(most, Avx2.Shuffle(most, 0b01_00_11_10));
        most = Vector256.Max(most, Avx2.Shuffle(most, 0b10_11_00_01));
        return most.ToScalar();
    }

    /// <summary>
    /// Fills the part's batches, one after the other (so each cache line of a batch is written at once): per lane group the
    /// lanes' terms used, move slots and heads (gathered), their 8 term positions (x, y pairs, one 8-byte read each from the
    /// round's copy), then each vertex's start position in its first batch and its end in its last.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private unsafe void Fetch(Scratch scratch, float[] positions, int runs, int count)
    {
        fixed (float* snapshot = positions)
        fixed (int* terms = scratch.Terms, passAt = scratch.PassAt, used = scratch.Used, slots = scratch.Slot, heads = scratch.Head, pairOf = PairOf)
        fixed (int* runFirst = scratch.RunFirst, runLane = scratch.RunLane, runBatch = scratch.RunBatch)
        fixed (Batch* batches = scratch.Batches)
        {
            long* pairs = (long*)snapshot;
            for (int b = 0; b < 2 * count; b++)
            {
                Batch* batch = batches + b;
                int* at = passAt + 8 * b;
                var pass = Vector256.Load(at);
                batch->Used = Avx2.GatherVector256(used, pass, 4);
                batch->MoveSlot = Avx2.GatherVector256(slots, pass, 4);
                batch->Head = Avx2.GatherVector256(heads, pass, 4);
                batch->Starts = Vector256<int>.Zero;
                batch->Ends = 0;
                long* xy = (long*)&batch->XY;
                for (int j = 0; j < 8; j++)
                {
                    int* term = terms + 8 * at[j];
                    long* lane = xy + pairOf[j];
                    // Term t's pairs are 8 pairs further on.
                    lane[0] = pairs[term[0]]; lane[8] = pairs[term[1]]; lane[16] = pairs[term[2]]; lane[24] = pairs[term[3]];
                    lane[32] = pairs[term[4]]; lane[40] = pairs[term[5]]; lane[48] = pairs[term[6]]; lane[56] = pairs[term[7]];
                }
            }
            for (int v = 0; v < runs; v++)
            {
                int lane = runLane[v], group = lane >> 3, slot = lane & 7, batch = runBatch[v];
                int head = heads[runFirst[v]];
                Batch* start = batches + 2 * batch + group;
                ((float*)&start->StartX)[slot] = snapshot[head];
                ((float*)&start->StartY)[slot] = snapshot[head + 1];
                ((int*)&start->Starts)[slot] = -1;
                batches[2 * (batch + runFirst[v + 1] - runFirst[v] - 1) + group].Ends |= 1 << slot;
            }
        }
    }

    /// <summary>
    /// Runs the planned batches in order, the two lane groups side by side. A lane keeps its vertex's position in registers
    /// from pass to pass; the vertex's start position is blended in from its first batch and written back after its last. The
    /// terms are evaluated in four short loops (differences and distances, b·log₂ D, the power, the clipped steps), each over
    /// every term of both groups: a term's whole chain (a logarithm, an exponential, two divisions) is too long for the
    /// processor to overlap many of them, a fourth of it is not. A pass's terms are summed in the order
    /// <see cref="Vector256.Sum{T}(Vector256{T})"/> of one pass per vector would (pairs, pairs of pairs, the two halves), so the
    /// layout is the same bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private unsafe void RunBatches(Scratch scratch, int count, int vertexBase, PassConstants k)
    {
        Vector256<float>* dxs = stackalloc Vector256<float>[16];
        Vector256<float>* dys = stackalloc Vector256<float>[16];
        Vector256<float>* dists = stackalloc Vector256<float>[16];
        Vector256<float>* actives = stackalloc Vector256<float>[16];
        Vector256<float>* powers = stackalloc Vector256<float>[16];
        Vector256<float>* gxs = stackalloc Vector256<float>[16];
        Vector256<float>* gys = stackalloc Vector256<float>[16];
        float* keep = stackalloc float[32];
        fixed (float* roundPositions = RoundPositions)
        fixed (Batch* batches = scratch.Batches)
        {
            Vector256<float> xa = default, ya = default, xb = default, yb = default;
            for (int b = 0; b < count; b++)
            {
                Batch* first = batches + 2 * b;
                Batch* second = first + 1;
                xa = FastMath.Select(first->Starts.AsSingle(), first->StartX, xa);
                ya = FastMath.Select(first->Starts.AsSingle(), first->StartY, ya);
                xb = FastMath.Select(second->Starts.AsSingle(), second->StartX, xb);
                yb = FastMath.Select(second->Starts.AsSingle(), second->StartY, yb);
                var usedA = first->Used;
                var usedB = second->Used;
                var mostUsed = Vector256.Max(usedA, usedB);
                mostUsed = Vector256.Max(mostUsed, Avx2.Permute2x128(mostUsed, mostUsed, 1));
                mostUsed = Vector256.Max(mostUsed, Avx2.Shuffle(mostUsed, 0b01_00_11_10));
                int terms = Vector256.Max(mostUsed, Avx2.Shuffle(mostUsed, 0b10_11_00_01)).ToScalar();
                float* pa = (float*)&first->XY, pb = (float*)&second->XY;
                // 1. Differences and squared distances; a term is active when used and at a positive distance.
                for (int t = 0; t < terms; t++)
                {
                    var lowA = Vector256.Load(pa + 16 * t); var highA = Vector256.Load(pa + 16 * t + 8);
                    var lowB = Vector256.Load(pb + 16 * t); var highB = Vector256.Load(pb + 16 * t + 8);
                    var dxA = xa - Avx.Shuffle(lowA, highA, 0b10_00_10_00);
                    var dyA = ya - Avx.Shuffle(lowA, highA, 0b11_01_11_01);
                    var dxB = xb - Avx.Shuffle(lowB, highB, 0b10_00_10_00);
                    var dyB = yb - Avx.Shuffle(lowB, highB, 0b11_01_11_01);
                    var distA = Vector256.FusedMultiplyAdd(dxA, dxA, dyA * dyA);
                    var distB = Vector256.FusedMultiplyAdd(dxB, dxB, dyB * dyB);
                    var term = Vector256.Create(t);
                    var activeA = Vector256.GreaterThan(usedA, term).AsSingle() & Vector256.GreaterThan(distA, Vector256<float>.Zero);
                    var activeB = Vector256.GreaterThan(usedB, term).AsSingle() & Vector256.GreaterThan(distB, Vector256<float>.Zero);
                    dxs[2 * t] = dxA; dxs[2 * t + 1] = dxB;
                    dys[2 * t] = dyA; dys[2 * t + 1] = dyB;
                    actives[2 * t] = activeA; actives[2 * t + 1] = activeB;
                    dists[2 * t] = FastMath.Select(activeA, distA, Vector256<float>.One);
                    dists[2 * t + 1] = FastMath.Select(activeB, distB, Vector256<float>.One);
                }
                // 2. b·log₂ D.
                for (int t = 0; t < 2 * terms; t += 2)
                {
                    powers[t] = k.B * FastMath.Log2(dists[t]);
                    powers[t + 1] = k.B * FastMath.Log2(dists[t + 1]);
                }
                // 3. D^b.
                for (int t = 0; t < 2 * terms; t += 2)
                {
                    powers[t] = FastMath.Exp2(powers[t]);
                    powers[t + 1] = FastMath.Exp2(powers[t + 1]);
                }
                // 4. The clipped steps. Attraction (term 0 of an attracting pass): −2ab·D^(b−1)/(1 + a·D^b); repulsion:
                // 2γb/((0.001 + D)(1 + a·D^b)). Clipped with the processor's min and max: the same as IEEE's for the finite
                // values of active terms.
                for (int t = 0; t < 2 * terms; t++)
                {
                    var power = powers[t];
                    var dist = dists[t];
                    var q = Vector256.FusedMultiplyAdd(k.A, power, Vector256<float>.One);
                    Vector256<float> coefficient;
                    if (t < 2)
                    {
                        var attraction = Vector256.GreaterThanOrEqual(t == 0 ? first->MoveSlot : second->MoveSlot, Vector256<int>.Zero).AsSingle();
                        var numerator = FastMath.Select(attraction, k.AttractNumerator * power, k.RepelNumerator);
                        var denominator = FastMath.Select(attraction, dist, dist + Vector256.Create(0.001f)) * q;
                        coefficient = numerator / denominator;
                    }
                    else coefficient = k.RepelNumerator / ((dist + Vector256.Create(0.001f)) * q);
                    var active = actives[t];
                    gxs[t] = k.Step * Vector256.MinNative(Vector256.MaxNative(coefficient * dxs[t], Vector256.Create(-4f)), Vector256.Create(4f)) & active;
                    gys[t] = k.Step * Vector256.MinNative(Vector256.MaxNative(coefficient * dys[t], Vector256.Create(-4f)), Vector256.Create(4f)) & active;
                }
                for (int t = 2 * terms; t < 16; t++) { gxs[t] = Vector256<float>.Zero; gys[t] = Vector256<float>.Zero; }
                xa += ((gxs[0] + gxs[2]) + (gxs[4] + gxs[6])) + ((gxs[8] + gxs[10]) + (gxs[12] + gxs[14]));
                ya += ((gys[0] + gys[2]) + (gys[4] + gys[6])) + ((gys[8] + gys[10]) + (gys[12] + gys[14]));
                xb += ((gxs[1] + gxs[3]) + (gxs[5] + gxs[7])) + ((gxs[9] + gxs[11]) + (gxs[13] + gxs[15]));
                yb += ((gys[1] + gys[3]) + (gys[5] + gys[7])) + ((gys[9] + gys[11]) + (gys[13] + gys[15]));
                first->MoveX = -gxs[0]; first->MoveY = -gys[0];
                second->MoveX = -gxs[1]; second->MoveY = -gys[1];
                // The positions of vertices whose last pass this was, back.
                if ((first->Ends | second->Ends) != 0)
                {
                    xa.Store(keep); ya.Store(keep + 8); xb.Store(keep + 16); yb.Store(keep + 24);
                    WriteBack(first, roundPositions - 2 * vertexBase, keep);
                    WriteBack(second, roundPositions - 2 * vertexBase, keep + 16);
                }
            }
        }
    }

    /// <summary>The positions of a lane group's ending vertices to <see cref="RoundPositions"/> (<paramref name="current"/>: where vertex 0's would be).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void WriteBack(Batch* batch, float* current, float* position)
    {
        int* head = (int*)&batch->Head;
        for (int ends = batch->Ends; ends != 0; ends &= ends - 1)
        {
            int j = System.Numerics.BitOperations.TrailingZeroCount(ends);
            current[head[j]] = position[j]; current[head[j] + 1] = position[8 + j];
        }
    }

    /// <summary>The tail moves of the run batches to their slots in <see cref="Moves"/> (whose tails the planner wrote).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private unsafe void Deliver(Scratch scratch, int count)
    {
        fixed (TailMove* moves = Moves)
        fixed (Batch* batches = scratch.Batches)
        {
            for (int b = 0; b < 2 * count; b++)
            {
                Batch* batch = batches + b;
                int* slot = (int*)&batch->MoveSlot;
                float* moveX = (float*)&batch->MoveX, moveY = (float*)&batch->MoveY;
                for (int j = 0; j < 8; j++)
                {
                    int s = slot[j];
                    if (s >= 0) { moves[s].X = moveX[j]; moves[s].Y = moveY[j]; }
                }
            }
        }
    }

    private readonly struct PassConstants(float a, float b, float gamma, float alpha)
    {
        public readonly Vector256<float> A = Vector256.Create(a), B = Vector256.Create(b);
        public readonly Vector256<float> AttractNumerator = Vector256.Create(-2f * a * b), RepelNumerator = Vector256.Create(2f * gamma * b);
        public readonly Vector256<float> Step = Vector256.Create(alpha);
        public readonly Vector256<float> FirstLane = Vector256.Create(-1, 0, 0, 0, 0, 0, 0, 0).AsSingle();
    }
}
