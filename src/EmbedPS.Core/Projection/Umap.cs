using System.Diagnostics;
using System.Runtime.CompilerServices;
using EmbedPS.Core.Common;
using EmbedPS.Core.Knn;

namespace EmbedPS.Core.Projection;

/// <summary>UMAP settings; defaults are umap-learn's.</summary>
public sealed record UmapOptions
{
    /// <summary>n_neighbors, counting the point itself as umap-learn does (15 → 14 other points).</summary>
    public int Neighbors { get; init; } = ProjectionSettings.Neighbors.Default;
    public double MinDistance { get; init; } = ProjectionSettings.MinDistance.Default;
    public double Spread { get; init; } = ProjectionSettings.Spread.Default;
    /// <summary>0 → umap-learn's rule: 500 for ≤ 10,000 points, else 200.</summary>
    public int Epochs { get; init; }
    public double LearningRate { get; init; } = 1.0;
    public int NegativeSampleRate { get; init; } = ProjectionSettings.NegativeSampleRate.Default;
    public double RepulsionStrength { get; init; } = 1.0;
    public double LocalConnectivity { get; init; } = 1.0;
    /// <summary>1 = fuzzy union (default), 0 = fuzzy intersection.</summary>
    public double SetOperationMixRatio { get; init; } = 1.0;
    public int Seed { get; init; } = ProjectionSettings.Seed.Default;
    /// <summary>Row-major n × 2 start coordinates (overrides the PCA initialisation); rescaled to [0, 10] like any init.</summary>
    public float[]? InitialCoordinates { get; init; }
    /// <summary>
    /// Use <see cref="InitialCoordinates"/> as they are, without umap-learn's per-axis rescaling to [0, 10]: for refining an
    /// earlier UMAP layout (already at UMAP's own scale) so that it stays where it was.
    /// </summary>
    public bool KeepInitialScale { get; init; }
    /// <summary>
    /// Vertices per SGD work item; 0 = automatic (256, smaller for small inputs so that a round still has 64 blocks to share
    /// out). It depends only on the input size, so the result does not depend on the thread count.
    /// </summary>
    public int BlockSize { get; init; }
    /// <summary>
    /// Run umap-learn's own sequential SGD instead (one thread, updates applied immediately to head and tail, one random
    /// stream): the reference behaviour, used as the bench baseline and to check the parallel scheme's quality.
    /// </summary>
    public bool Sequential { get; init; }
    /// <summary>
    /// Rounds per epoch of the parallel SGD: the vertices are cut into this many runs of blocks, updated one run after the
    /// other (as umap-learn's sweep goes through the vertices in order), so positions read from the vertices being updated
    /// at the same time are at most 1/rounds of an epoch old.
    /// </summary>
    public int RoundsPerEpoch { get; init; } = 16;
    /// <summary>Limit on worker threads (-1 = all cores); the output is the same for any value.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
}

/// <summary>
/// UMAP to 2-D after umap-learn (McInnes, Healy &amp; Melville 2018; lmcinnes/umap <c>umap_.py</c> and <c>layouts.py</c>):
/// smooth kNN distances (ρ, σ by bisection), fuzzy union of the directed memberships, a/b fitted from min_dist
/// and spread, the epochs-per-sample schedule with negative sampling, gradient clipping at 4 and linear
/// learning-rate decay.
/// <para>Initialisation: PCA of the input scaled so that max |coordinate| = 10 plus N(0, 1e-4²) noise (umap-learn's
/// <c>init='pca'</c>), instead of its default spectral layout — the input here is an MDE embedding whose principal
/// axes already carry the global structure, and PCA avoids the eigensolver stalls users report with spectral init.
/// Every init is then mapped to [0, 10] per axis as umap-learn does.</para>
/// <para>Deterministic parallel SGD: umap-learn's sweep, vertex after vertex, cut into <see cref="UmapOptions.RoundsPerEpoch"/>
/// rounds (16) of whole blocks of vertices. In a round the blocks run in parallel, each with its own random stream (seed,
/// epoch, block); a block's vertices take all their due edge samples with their negatives, as in umap-learn, and only the
/// block writes their positions. Positions of other vertices are read as they were at the round's start (each worker keeps
/// its own copy, brought up to date after every round), so only the vertices of the same round are seen up to 1/16 of an
/// epoch late. umap-learn's <c>move_other</c> (the tail moves by the opposite of the head's attraction step) is kept: the
/// move is recorded and added after the round, each tail's moves in a fixed order (block, then the order they were made),
/// so the output is identical for any thread count. One team of worker threads runs the whole fit; a round's blocks are
/// cut into parts that any worker may take (<see cref="PhasedWork"/>).</para>
/// <para>Why this shape: on Fashion-MNIST 70k, dropping <c>move_other</c> (each owner taking a double step instead) cost
/// about 0.01 of 10-NN accuracy against the sequential sweep even with live reads, and so did dealing each vertex's edges
/// over several rounds instead of taking them together; 4 rounds gave 0.613, 16 give the sequential sweep's 0.615.
/// The kernel is <see cref="UmapSgd"/> (the due samples planned first, then 16 vertices' passes run side by side in
/// vector lanes).</para>
/// </summary>
public static class Umap
{
    public static int DefaultEpochs(int count) => count <= 10_000 ? 500 : 200;

    /// <summary>
    /// 256 vertices per block, fewer (down to 16) when that leaves a round fewer than 64 blocks. (Each block draws from its
    /// own two random streams, so the block size is part of the result; it depends only on the input size.)
    /// </summary>
    internal static int AutomaticBlockSize(int count, int rounds) => Math.Clamp(count / (rounds * 64), 16, 256);

    /// <summary>
    /// About this many vertices to a part of a round's SGD work (in multiples of the worker count): enough for the kernel to
    /// keep its 16 lanes busy, few enough to share the round out.
    /// </summary>
    private const int PartVertices = 128;

    /// <summary>
    /// Runs UMAP on row-major n × d input; <paramref name="knn"/> may be supplied (self excluded, ≥ Neighbors − 1 columns), and
    /// <paramref name="graph"/>, the fuzzy simplicial set of that kNN (a sweep computes both once per -Neighbors: <see cref="UmapGraphCache"/>).
    /// </summary>
    public static float[] Run(float[] data, int count, int dimension, UmapOptions options, IStageLog? log = null, CancellationToken cancellation = default,
        KnnResult? knn = null, SparseAffinity? graph = null)
    {
        log ??= StageLog.Null;
        Validate(count, options);
        var clock = Stopwatch.StartNew();
        int others = Math.Min(options.Neighbors - 1, count - 1);
        if (graph is null)
        {
            knn ??= LowDimensionalKnn.Search(data, count, dimension, others, log, cancellation);
            log.Verbose($"UMAP: {others} nearest neighbours of {count:N0} points in {dimension}-D ({clock.Elapsed.TotalSeconds:F2} s).");
            graph = FuzzySimplicialSet(knn, others, options);
            log.Verbose($"UMAP: fuzzy simplicial set with {graph.NonZeroCount:N0} directed edges ({clock.Elapsed.TotalSeconds:F2} s).");
        }
        else log.Verbose($"UMAP: the fuzzy simplicial set of the {others} nearest neighbours ({graph.NonZeroCount:N0} directed edges) is reused from an earlier combination of the sweep.");
        cancellation.ThrowIfCancellationRequested();
        var (a, b) = UmapCurve.FitAB(options.Spread, options.MinDistance);
        log.Verbose($"UMAP: a = {a:F4}, b = {b:F4} (min_dist {options.MinDistance}, spread {options.Spread}).");
        var init = Initialize(data, count, dimension, options, cancellation);
        log.Verbose($"UMAP: initial layout ({clock.Elapsed.TotalSeconds:F2} s).");
        int epochs = options.Epochs > 0 ? options.Epochs : DefaultEpochs(count);
        var result = OptimizeLayout(init, count, graph, epochs, (float)a, (float)b, options, log, cancellation);
        log.Verbose($"UMAP: {epochs} epochs done ({clock.Elapsed.TotalSeconds:F2} s).");
        return result;
    }

    internal static void Validate(int count, UmapOptions options)
    {
        if (count < 3) throw new EmbedPSException("TooFewEntities", EmbedPSErrorKind.InvalidData, $"UMAP needs at least 3 entities, got {count}.");
        if (options.Neighbors < 2) throw new EmbedPSException("InvalidNeighbors", EmbedPSErrorKind.InvalidArgument, $"-Neighbors must be at least 2, got {options.Neighbors}.");
        if (options.MinDistance > options.Spread || options.MinDistance < 0)
            throw new EmbedPSException("InvalidMinDistance", EmbedPSErrorKind.InvalidArgument, $"-MinDistance ({options.MinDistance}) must be in [0, -Spread ({options.Spread})].");
        if (options.InitialCoordinates is { } init && init.Length != count * 2)
            throw new EmbedPSException("InvalidInitialCoordinates", EmbedPSErrorKind.InvalidArgument, $"Initial coordinates must hold {count} × 2 values.");
    }

    /// <summary>
    /// umap-learn's <c>smooth_knn_dist</c> + <c>compute_membership_strengths</c> + fuzzy union. <paramref name="knn"/> holds the
    /// k − 1 nearest other points; the point itself (distance 0) is the implicit first neighbour, so log2(k) is the target.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SparseAffinity FuzzySimplicialSet(KnnResult knn, int others, UmapOptions options)
    {
        int n = knn.Count, k = others + 1, kk = knn.K;
        double target = Math.Log2(k);
        double meanAll = 0;
        for (int i = 0; i < n; i++) for (int r = 0; r < others; r++) meanAll += knn.Distances[i * kk + r];
        meanAll /= (double)n * k;
        var memberships = new float[n * others];
        var neighbors = new int[n * others];
        var lc = options.LocalConnectivity;
        Parallel.For(0, n, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i) =>
        {
            var d = knn.Distances.AsSpan(i * kk, others);
            // ρ: distance to the ⌊lc⌋-th non-zero neighbour (interpolated for fractional lc).
            int nonZero = 0; double maxNz = 0, rowSum = 0;
            foreach (var v in d) { rowSum += v; if (v > 0) { nonZero++; maxNz = Math.Max(maxNz, v); } }
            double rho = 0;
            if (nonZero >= lc)
            {
                int index = (int)Math.Floor(lc);
                double frac = lc - index;
                Span<double> nz = stackalloc double[nonZero];
                int filled = 0;
                foreach (var v in d) if (v > 0) nz[filled++] = v;
                if (index > 0)
                {
                    rho = nz[index - 1];
                    if (frac > 1e-5) rho += frac * ((index < nonZero ? nz[index] : nz[index - 1]) - nz[index - 1]);
                }
                else rho = frac * nz[0];
            }
            else if (nonZero > 0) rho = maxNz;
            // σ by bisection on Σ exp(−max(0, d − ρ)/σ) = log2(k), 64 steps, tolerance 1e-5.
            double lo = 0, hi = double.PositiveInfinity, mid = 1;
            for (int step = 0; step < 64; step++)
            {
                double sum = 0;
                foreach (var v in d) { double t = v - rho; sum += t > 0 ? Math.Exp(-t / mid) : 1.0; }
                if (Math.Abs(sum - target) < 1e-5) break;
                if (sum > target) { hi = mid; mid = (lo + hi) / 2; }
                else { lo = mid; mid = double.IsPositiveInfinity(hi) ? mid * 2 : (lo + hi) / 2; }
            }
            double meanRow = rowSum / k; // umap-learn's row mean includes the self distance 0
            double sigma = rho > 0 ? Math.Max(mid, 1e-3 * meanRow) : Math.Max(mid, 1e-3 * meanAll);
            for (int r = 0; r < others; r++)
            {
                int j = knn.Indices[i * kk + r];
                neighbors[i * others + r] = j;
                double t = d[r] - rho;
                memberships[i * others + r] = t <= 0 || sigma == 0 ? 1f : (float)Math.Exp(-t / sigma);
            }
        });
        double mix = options.SetOperationMixRatio;
        return SparseAffinity.Symmetrize(n, others, neighbors, memberships,
            (v, w) => (float)(mix * (v + w - v * w) + (1 - mix) * v * w));
    }

    private static float[] Initialize(float[] data, int count, int dimension, UmapOptions options, CancellationToken cancellation)
    {
        float[] init;
        if (options.InitialCoordinates is { } given) init = (float[])given.Clone();
        else
        {
            init = PrincipalComponents.Project(data, count, dimension, 2, cancellation).Scores;
            // noisy_scale_coords: max |coord| → 10, plus N(0, 1e-4²) noise.
            float max = 0;
            foreach (var v in init) max = Math.Max(max, Math.Abs(v));
            float scale = max > 0 ? 10f / max : 1f;
            var rng = new DeterministicRandom(options.Seed, 0x1A17);
            for (int t = 0; t < init.Length; t++) init[t] = init[t] * scale + (float)(rng.NextGaussian() * 1e-4);
        }
        // Every init is mapped per axis to [0, 10] (except an earlier layout being refined, kept at its own scale).
        if (options.InitialCoordinates is not null && options.KeepInitialScale) return init;
        for (int c = 0; c < 2; c++)
        {
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            for (int i = 0; i < count; i++) { lo = Math.Min(lo, init[2 * i + c]); hi = Math.Max(hi, init[2 * i + c]); }
            float range = hi - lo;
            for (int i = 0; i < count; i++) init[2 * i + c] = range > 0 ? 10f * (init[2 * i + c] - lo) / range : 5f;
        }
        return init;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] OptimizeLayout(float[] current, int n, SparseAffinity graph, int epochs, float a, float b, UmapOptions options,
        IStageLog log, CancellationToken cancellation)
    {
        var rows = graph.RowOffsets; var cols = graph.Columns; var weights = graph.Values;
        int edges = cols.Length;
        float wMax = 0;
        foreach (var w in weights) wMax = Math.Max(wMax, w);
        // Prune weak edges as umap-learn: w < max / n_epochs (with 500 or 200 when n_epochs ≤ 10).
        float threshold = wMax / (epochs > 10 ? epochs : DefaultEpochs(n));
        var epochsPerSample = new float[edges];
        var nextSample = new float[edges];
        var epochsPerNegative = new float[edges];
        var nextNegative = new float[edges];
        int kept = 0;
        for (int e = 0; e < edges; e++)
        {
            if (weights[e] < threshold) { epochsPerSample[e] = float.PositiveInfinity; nextSample[e] = float.PositiveInfinity; continue; }
            kept++;
            epochsPerSample[e] = wMax / weights[e];
            nextSample[e] = epochsPerSample[e];
            epochsPerNegative[e] = epochsPerSample[e] / options.NegativeSampleRate;
            nextNegative[e] = epochsPerNegative[e];
        }
        double samples = 0;
        for (int e = 0; e < edges; e++) if (weights[e] >= threshold) samples += Math.Floor(epochs / (double)epochsPerSample[e]);
        log.Verbose($"UMAP: {kept:N0} of {edges:N0} edges kept after pruning at max/{(epochs > 10 ? epochs : DefaultEpochs(n))}; " +
                    $"about {samples:N0} edge samples over {epochs} epochs, each with {options.NegativeSampleRate} negative samples.");
        if (options.Sequential)
        {
            OptimizeSequential(current, n, rows, cols, epochs, a, b, options, epochsPerSample, nextSample, epochsPerNegative, nextNegative, log, cancellation);
            return current;
        }
        int rounds = Math.Max(1, options.RoundsPerEpoch);
        int blockSize = options.BlockSize > 0 ? options.BlockSize : AutomaticBlockSize(n, rounds);
        int blocks = (n + blockSize - 1) / blockSize;
        // Rounds are runs of whole blocks, so a block (and its random stream) never depends on the thread count.
        rounds = Math.Min(rounds, blocks);
        var roundStartBlock = new int[rounds + 1];
        for (int r = 0; r <= rounds; r++) roundStartBlock[r] = (int)((long)blocks * r / rounds);
        int mostVertices = 0, mostEdges = 0;
        for (int r = 0; r < rounds; r++)
        {
            int from = roundStartBlock[r] * blockSize, to = Math.Min(n, roundStartBlock[r + 1] * blockSize);
            mostVertices = Math.Max(mostVertices, to - from);
            mostEdges = Math.Max(mostEdges, rows[to] - rows[from]);
        }
        int workers = Math.Max(1, options.MaxDegreeOfParallelism > 0 ? options.MaxDegreeOfParallelism : Environment.ProcessorCount);
        workers = Math.Min(workers, blocks);
        var copies = new float[workers][];
        copies[0] = current;
        for (int w = 1; w < workers; w++) copies[w] = (float[])current.Clone();
        var sgd = new UmapSgd
        {
            Count = n, A = a, B = b, Gamma = (float)options.RepulsionStrength, Seed = options.Seed, BlockSize = blockSize,
            Edges = UmapSgd.Layout(rows, cols, epochsPerSample, nextSample, epochsPerNegative, nextNegative), RowStart = rows,
            Copies = copies, RoundPositions = new float[2 * mostVertices], Moves = new UmapSgd.TailMove[mostEdges], MovesEnd = new int[2 * blocks],
        };
        log.Verbose($"UMAP: parallel SGD, {rounds} rounds per epoch over {blocks:N0} blocks of {blockSize} vertices, {workers} worker(s).");
        // The learning rate of each epoch: α₀ for the first, then α₀·(1 − (e − 1)/epochs) (umap-learn updates it after an epoch).
        var alphas = new float[epochs];
        double alpha0 = options.LearningRate, alpha = alpha0;
        for (int epoch = 0; epoch < epochs; epoch++) { alphas[epoch] = (float)alpha; alpha = alpha0 * (1.0 - (double)epoch / epochs); }

        // One team of workers (one per core, this thread included) for the whole fit; each round is two phases. (1) The
        // round's blocks, in parts of contiguous blocks (which share no vertices), each run on the positions of the worker
        // that runs it. (2) The round's new positions and tail moves, added to each worker's copy of the positions (part k:
        // copy k; the same sums in the same order in every copy). Any worker may run any part; how the work is cut and
        // shared out does not change the result.
        var runParts = new int[rounds];
        for (int r = 0; r < rounds; r++)
        {
            int roundBlocks = roundStartBlock[r + 1] - roundStartBlock[r];
            int vertices = Math.Min(n, roundStartBlock[r + 1] * blockSize) - roundStartBlock[r] * blockSize;
            runParts[r] = Math.Clamp(workers * (int)Math.Max(1, Math.Round(vertices / (double)(workers * PartVertices))), 1, roundBlocks);
        }
        int PartsOf(long phase) => (phase & 1) == 0 ? runParts[phase / 2 % rounds] : workers;
        void RunPart(int worker, long phase, int part)
        {
            int epoch = (int)(phase / (2 * rounds)), round = (int)(phase / 2 % rounds);
            int first = roundStartBlock[round], last = roundStartBlock[round + 1];
            if ((phase & 1) == 0)
            {
                int parts = runParts[round];
                sgd.RunBlocks(worker, first, first + (last - first) * part / parts, first + (last - first) * (part + 1) / parts, epoch, alphas[epoch]);
                return;
            }
            sgd.Publish(part, first, first * blockSize, Math.Min(n, last * blockSize));
            sgd.ApplyMoves(part, first, first, last);
        }
        void OnPhase(long phase)
        {
            if (phase % (2 * rounds) != 0) return;
            cancellation.ThrowIfCancellationRequested();
            long epoch = phase / (2 * rounds);
            if ((epoch & 7) == 0 && epoch > 0) log.Progress((double)epoch / epochs, $"UMAP epoch {epoch + 1}/{epochs}");
        }
        PhasedWork.Run(workers, 2L * rounds * epochs, PartsOf, RunPart, OnPhase);
        log.Progress(1.0, $"UMAP epoch {epochs}/{epochs}");
        return current;
    }

    /// <summary>umap-learn's <c>optimize_layout_euclidean</c> with a seed: single-threaded, Gauss–Seidel, tail moved too.</summary>
    private static void OptimizeSequential(float[] y, int n, int[] rows, int[] cols, int epochs, float a, float b, UmapOptions options,
        float[] epochsPerSample, float[] nextSample, float[] epochsPerNegative, float[] nextNegative, IStageLog log, CancellationToken cancellation)
    {
        var rng = new DeterministicRandom(options.Seed, 1);
        float gamma = (float)options.RepulsionStrength;
        double alpha0 = options.LearningRate, alpha = alpha0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            float alphaF = (float)alpha;
            for (int i = 0; i < n; i++)
            {
                for (int e = rows[i]; e < rows[i + 1]; e++)
                {
                    if (nextSample[e] > epoch) continue;
                    int j = cols[e];
                    float dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                    float dist = dx * dx + dy * dy;
                    if (dist > 0)
                    {
                        float powB = PowB(dist, b);
                        float coefficient = -2f * a * b * powB / (dist * (1f + a * powB));
                        float gx = Clip(coefficient * dx), gy = Clip(coefficient * dy);
                        y[2 * i] += alphaF * gx; y[2 * i + 1] += alphaF * gy;
                        y[2 * j] -= alphaF * gx; y[2 * j + 1] -= alphaF * gy;
                    }
                    nextSample[e] += epochsPerSample[e];
                    int negatives = (int)((epoch - nextNegative[e]) / epochsPerNegative[e]);
                    for (int s = 0; s < negatives; s++)
                    {
                        int m = rng.NextInt(n);
                        if (m == i) continue;
                        float ex = y[2 * i] - y[2 * m], ey = y[2 * i + 1] - y[2 * m + 1];
                        float d2 = ex * ex + ey * ey;
                        if (d2 <= 0) continue;
                        float coefficient = 2f * gamma * b / ((0.001f + d2) * (1f + a * PowB(d2, b)));
                        y[2 * i] += alphaF * Clip(coefficient * ex);
                        y[2 * i + 1] += alphaF * Clip(coefficient * ey);
                    }
                    nextNegative[e] += negatives * epochsPerNegative[e];
                }
            }
            alpha = alpha0 * (1.0 - (double)epoch / epochs);
            if ((epoch & 7) == 0) log.Progress((double)(epoch + 1) / epochs, $"UMAP epoch {epoch + 1}/{epochs}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float PowB(float x, float b) => FastMath.Pow(x, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Clip(float v) => v > 4f ? 4f : (v < -4f ? -4f : v);
}
