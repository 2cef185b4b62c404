using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EmbedPS.Core.Common;
using EmbedPS.Core.Knn;

namespace EmbedPS.Core.Projection;

/// <summary>How t-SNE's repulsive forces are computed.</summary>
public enum TsneRepulsion
{
    /// <summary>
    /// Per iteration, whichever of Barnes–Hut and FFT interpolation costs less for the layout's current span and size
    /// (<see cref="TsneRepulsionComputer.PrefersFft"/>); openTSNE decides once, by size (FFT from 10,000 points).
    /// </summary>
    Auto,
    BarnesHut,
    Fft,
    /// <summary>O(n²); only for tests and tiny inputs.</summary>
    Exact,
}

/// <summary>t-SNE settings; defaults follow openTSNE (momentum 0.5 → 0.8 as scikit-learn / FIt-SNE).</summary>
public sealed record TsneOptions
{
    public double Perplexity { get; init; } = ProjectionSettings.Perplexity.Default;
    /// <summary>Early exaggeration factor (first <see cref="EarlyExaggerationIterations"/> iterations).</summary>
    public double EarlyExaggeration { get; init; } = 12;
    public int EarlyExaggerationIterations { get; init; } = 250;
    /// <summary>Main-phase exaggeration (1 = none).</summary>
    public double Exaggeration { get; init; } = ProjectionSettings.Exaggeration.Default;
    /// <summary>Total iterations including early exaggeration (openTSNE 250 + 500).</summary>
    public int Iterations { get; init; } = ProjectionSettings.Iterations.Default;
    /// <summary>0 → automatic: n / exaggeration of the phase (openTSNE).</summary>
    public double LearningRate { get; init; }
    public double Theta { get; init; } = ProjectionSettings.Theta.Default;
    public double InitialMomentum { get; init; } = 0.5;
    public double FinalMomentum { get; init; } = 0.8;
    public double MaxStepNorm { get; init; } = 5;
    public TsneRepulsion Repulsion { get; init; } = ProjectionSettings.Repulsion.Default;
    public int InterpolationPoints { get; init; } = 3;
    public int MinIntervals { get; init; } = 50;
    public int Seed { get; init; } = ProjectionSettings.Seed.Default;
    /// <summary>Row-major n × 2 start coordinates (rescaled to std 1e-4 like the PCA init).</summary>
    public float[]? InitialCoordinates { get; init; }
}

/// <summary>
/// t-SNE to 2-D after openTSNE (Poličar et al.; <c>affinity.py</c>, <c>tsne.py</c>, <c>_tsne.pyx</c>): perplexity-calibrated
/// Gaussian affinities on the 3·perplexity nearest neighbours, P = (P_cond + P_condᵀ)/2N, PCA initialisation scaled to
/// std 1e-4, early exaggeration then the normal phase with the automatic learning rate n/exaggeration, gains
/// (+0.2 on sign flip, ×0.8 + 0.01 otherwise), momentum, per-point step clipping and re-centring every iteration.
/// Gradients are openTSNE's (without the constant factor 4). Repulsion by Barnes–Hut or FIt-SNE interpolation.
/// </summary>
public static class Tsne
{
    public static float[] Run(float[] data, int count, int dimension, TsneOptions options, IStageLog? log = null, CancellationToken cancellation = default)
        => Run(data, count, dimension, options, log, cancellation, out _);

    public static float[] Run(float[] data, int count, int dimension, TsneOptions options, IStageLog? log, CancellationToken cancellation, out double klDivergence)
    {
        log ??= StageLog.Null;
        if (count < 4) throw new EmbedPSException("TooFewEntities", EmbedPSErrorKind.InvalidData, $"t-SNE needs at least 4 entities, got {count}.");
        if (!(options.Perplexity > 0)) throw new EmbedPSException("InvalidPerplexity", EmbedPSErrorKind.InvalidArgument, $"-Perplexity must be positive, got {options.Perplexity}.");
        var clock = Stopwatch.StartNew();
        double perplexity = options.Perplexity;
        if (3 * perplexity > count - 1)
        {
            perplexity = (count - 1) / 3.0;
            log.Warning($"t-SNE: perplexity {options.Perplexity} is too large for {count} points; using {perplexity:F2}.");
        }
        int k = Math.Min(count - 1, (int)(3 * perplexity));
        var knn = LowDimensionalKnn.Search(data, count, dimension, k, log, cancellation);
        log.Verbose($"t-SNE: {k} nearest neighbours of {count:N0} points ({clock.Elapsed.TotalSeconds:F2} s).");
        var p = Affinities(knn, perplexity);
        log.Verbose($"t-SNE: affinities with {p.NonZeroCount:N0} non-zeros ({clock.Elapsed.TotalSeconds:F2} s).");
        var y = Initialize(data, count, dimension, options, cancellation);
        klDivergence = Optimize(y, p, options, log, cancellation);
        log.Verbose($"t-SNE: done, KL divergence {klDivergence:F4} ({clock.Elapsed.TotalSeconds:F2} s).");
        return y;
    }

    /// <summary>Perplexity calibration per point (openTSNE's <c>compute_gaussian_perplexity</c>) and symmetrisation.</summary>
    public static SparseAffinity Affinities(KnnResult knn, double perplexity)
    {
        int n = knn.Count, k = knn.K;
        var conditional = new float[n * k];
        double targetEntropy = Math.Log(perplexity);
        // Per point: squared distances shifted by the smallest once, then bisection on the precision; only the last step's
        // weights are normalised (the same values as normalising every step).
        Parallel.For(0, n, () => (new double[k], new double[k]), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i, _, buffers) =>
        {
            var (p, shifted) = buffers;
            var d = knn.Distances.AsSpan(i * k, k);
            double minSq = double.MaxValue;
            foreach (var v in d) minSq = Math.Min(minSq, (double)v * v);
            for (int r = 0; r < k; r++) shifted[r] = (double)d[r] * d[r] - minSq; // same P, no underflow
            double tau = 1, lo = double.NegativeInfinity, hi = double.PositiveInfinity, sum = 1;
            for (int step = 0; step < 200; step++)
            {
                double weighted = 0;
                sum = 0;
                for (int r = 0; r < k; r++)
                {
                    p[r] = Math.Exp(-tau * shifted[r] / 2);
                    sum += p[r];
                    weighted += p[r] * shifted[r];
                }
                sum += 2.2e-16;
                double entropy = tau / 2 * weighted / sum + Math.Log(sum);
                double diff = entropy - targetEntropy;
                if (Math.Abs(diff) < 1e-8) break;
                if (diff > 0) { lo = tau; tau = double.IsPositiveInfinity(hi) ? tau * 2 : (tau + hi) / 2; }
                else { hi = tau; tau = double.IsNegativeInfinity(lo) ? tau / 2 : (tau + lo) / 2; }
            }
            for (int r = 0; r < k; r++) conditional[i * k + r] = (float)(p[r] / sum);
            return buffers;
        }, _ => { });
        var symmetric = SparseAffinity.Symmetrize(n, k, knn.Indices, conditional, (v, w) => v + w);
        double total = 0;
        foreach (var v in symmetric.Values) total += v;
        for (int t = 0; t < symmetric.Values.Length; t++) symmetric.Values[t] = (float)(symmetric.Values[t] / total);
        return symmetric;
    }

    private static float[] Initialize(float[] data, int count, int dimension, TsneOptions options, CancellationToken cancellation)
    {
        float[] y = options.InitialCoordinates is { } given
            ? (given.Length == count * 2 ? (float[])given.Clone() : throw new EmbedPSException("InvalidInitialCoordinates", EmbedPSErrorKind.InvalidArgument, $"Initial coordinates must hold {count} × 2 values."))
            : PrincipalComponents.Project(data, count, dimension, 2, cancellation).Scores;
        // openTSNE: one factor for all columns so that std(column 0) = 1e-4, then N(0, (0.01·1e-4)²) jitter.
        double mean = 0, sq = 0;
        for (int i = 0; i < count; i++) mean += y[2 * i];
        mean /= count;
        for (int i = 0; i < count; i++) sq += (y[2 * i] - mean) * (y[2 * i] - mean);
        double std = Math.Sqrt(sq / count);
        double scale = std > 0 ? 1e-4 / std : 1;
        var rng = new DeterministicRandom(options.Seed, 0x75AE);
        for (int t = 0; t < y.Length; t++) y[t] = (float)(y[t] * scale + rng.NextGaussian() * 1e-6);
        return y;
    }

    /// <summary>Gradient descent in two phases; returns the final KL divergence (Z from the last gradient evaluation).</summary>
    public static double Optimize(float[] y, SparseAffinity p, TsneOptions options, IStageLog log, CancellationToken cancellation)
    {
        int n = p.Count;
        var method = options.Repulsion;
        int earlyIterations = Math.Min(options.EarlyExaggerationIterations, options.Iterations / 3);
        if (options.Iterations >= options.EarlyExaggerationIterations * 2) earlyIterations = options.EarlyExaggerationIterations;
        var gradient = new float[2 * n];
        var update = new float[2 * n];
        var gains = new float[2 * n];
        Array.Fill(gains, 1f);
        var repulsion = new TsneRepulsionComputer(n, method, options);
        double z = 1;
        log.Verbose($"t-SNE: {method} repulsion, {earlyIterations} iterations with exaggeration {options.EarlyExaggeration}, then {options.Iterations - earlyIterations} with {options.Exaggeration}.");
        var clock = Stopwatch.StartNew();
        for (int phase = 0; phase < 2; phase++)
        {
            int iterations = phase == 0 ? earlyIterations : options.Iterations - earlyIterations;
            double exaggeration = phase == 0 ? options.EarlyExaggeration : options.Exaggeration;
            double momentum = phase == 0 ? options.InitialMomentum : options.FinalMomentum;
            double learningRate = options.LearningRate > 0 ? options.LearningRate : Math.Max(n / exaggeration, 50);
            log.Verbose($"t-SNE: exaggeration {exaggeration}, learning rate {learningRate:F1}, momentum {momentum} for {iterations} iterations.");
            for (int it = 0; it < iterations; it++)
            {
                cancellation.ThrowIfCancellationRequested();
                z = Gradient(y, p, (float)exaggeration, gradient, repulsion);
                Step(y, gradient, update, gains, (float)momentum, (float)learningRate, (float)options.MaxStepNorm);
                int done = (phase == 0 ? 0 : earlyIterations) + it + 1;
                if ((done & 15) == 0) log.Progress((double)done / options.Iterations, $"t-SNE iteration {done}/{options.Iterations}");
                if (done % 50 == 0) log.Verbose($"t-SNE: iteration {done}, {clock.Elapsed.TotalSeconds:F1} s.");
            }
        }
        z = repulsion.Compute(y, gradient);
        if (method == TsneRepulsion.Auto)
            log.Verbose($"t-SNE: repulsion by FFT interpolation in {repulsion.FftCalls} iterations, by Barnes–Hut in {repulsion.BarnesHutCalls} (the cheaper for the layout's span).");
        return KlDivergence(y, p, z);
    }

    /// <summary>
    /// The gradient openTSNE uses (¼ of ∂KL/∂y): Σ_j e·p_ij·w_ij·(y_i − y_j) − (1/Z) Σ_j w_ij²·(y_i − y_j), w = 1/(1 + d²).
    /// Returns Z.
    /// </summary>
    internal static double Gradient(float[] y, SparseAffinity p, float exaggeration, float[] gradient, TsneRepulsionComputer repulsion)
    {
        double z = repulsion.Compute(y, gradient); // gradient ← −repulsive force / Z
        var rows = p.RowOffsets; var cols = p.Columns; var vals = p.Values;
        Parallel.For(0, (p.Count + 511) / 512, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (block) =>
        {
            int end = Math.Min(p.Count, (block + 1) * 512);
            for (int i = block * 512; i < end; i++)
            {
                var (fx, fy) = Attraction(y, i, rows[i], rows[i + 1], cols, vals);
                gradient[2 * i] += exaggeration * fx;
                gradient[2 * i + 1] += exaggeration * fy;
            }
        });
        return z;
    }

    /// <summary>Σ_e p_e·w_ie·(y_i − y_j) over row i's edges [start, end), w = 1/(1 + d²); eight edges at a time with AVX2 gathers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (float Fx, float Fy) Attraction(float[] y, int i, int start, int end, int[] cols, float[] vals)
    {
        float xi = y[2 * i], yi = y[2 * i + 1], fx = 0, fy = 0;
        int e = start;
        if (Avx2.IsSupported && end - start >= 8)
        {
            fixed (float* py = y, pv = vals)
            fixed (int* pc = cols)
            {
                var vxi = Vector256.Create(xi); var vyi = Vector256.Create(yi); var one = Vector256.Create(1f);
                var accX = Vector256<float>.Zero; var accY = Vector256<float>.Zero;
                for (; e + 8 <= end; e += 8)
                {
                    var twice = Avx2.ShiftLeftLogical(Avx.LoadVector256(pc + e), 1); // index of x_j in y
                    var dx = vxi - Avx2.GatherVector256(py, twice, 4);
                    var dy = vyi - Avx2.GatherVector256(py + 1, twice, 4);
                    var w = Avx.LoadVector256(pv + e) / (one + dx * dx + dy * dy);
                    accX += w * dx; accY += w * dy;
                }
                fx = Vector256.Sum(accX); fy = Vector256.Sum(accY);
            }
        }
        for (; e < end; e++)
        {
            int j = cols[e];
            float dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
            float w = vals[e] / (1f + dx * dx + dy * dy);
            fx += w * dx; fy += w * dy;
        }
        return (fx, fy);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Step(float[] y, float[] gradient, float[] update, float[] gains, float momentum, float learningRate, float maxStepNorm)
    {
        int n = y.Length / 2;
        double sumX = 0, sumY = 0;
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 2; c++)
            {
                int t = 2 * i + c;
                float g = gradient[t];
                // openTSNE: flipped when sign(update) != sign(grad), with sign(0) = 0.
                bool flipped = Math.Sign(update[t]) != Math.Sign(g);
                gains[t] = flipped ? gains[t] + 0.2f : gains[t] * 0.8f + 0.01f;
                update[t] = momentum * update[t] - learningRate * gains[t] * g;
            }
            float ux = update[2 * i], uy = update[2 * i + 1];
            float norm = MathF.Sqrt(ux * ux + uy * uy);
            if (maxStepNorm > 0 && norm > maxStepNorm)
            {
                float s = maxStepNorm / norm;
                update[2 * i] = ux * s; update[2 * i + 1] = uy * s;
            }
            y[2 * i] += update[2 * i]; y[2 * i + 1] += update[2 * i + 1];
            sumX += y[2 * i]; sumY += y[2 * i + 1];
        }
        float mx = (float)(sumX / n), my = (float)(sumY / n);
        for (int i = 0; i < n; i++) { y[2 * i] -= mx; y[2 * i + 1] -= my; }
    }

    /// <summary>KL(P‖Q) = Σ p log(p / w) + log Z (Σ p = 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double KlDivergence(float[] y, SparseAffinity p, double z)
    {
        double sum = 0;
        for (int i = 0; i < p.Count; i++)
            for (int e = p.RowOffsets[i]; e < p.RowOffsets[i + 1]; e++)
            {
                int j = p.Columns[e];
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                double w = 1 / (1 + dx * dx + dy * dy);
                double pv = p.Values[e];
                if (pv > 0) sum += pv * Math.Log(pv / w);
            }
        return sum + Math.Log(z);
    }
}
