using EmbedPS.Core.Common;
using MathNet.Numerics.LinearAlgebra;

namespace EmbedPS.Core.Mde;

/// <summary>The spectral ("quadratic") initialisation and what it converged to.</summary>
public sealed record SpectralResult(float[] Coordinates, double[] Eigenvalues, double[] Residuals, int Iterations, bool Converged);

/// <summary>
/// PyMDE's quadratic initialisation (pymde.quadratic.spectral): the m eigenvectors of the graph Laplacian L = D − W with the
/// smallest non-zero eigenvalues, where W holds the neighbour edges' weights (1 one-way, 2 mutual; repulsive pairs excluded)
/// and D its row sums; centred and scaled so that (1/n)XᵀX = I (the Standardized constraint).
/// <para>Solved with LOBPCG (Knyazev 2001) instead of PyMDE's ARPACK 'SM' mode without shift-invert (its users' most
/// common complaint: minutes on a few thousand items): block size m + 3, the constant vector deflated explicitly, a Jacobi
/// preconditioner, block Gram–Schmidt done twice for stability, the small Rayleigh–Ritz problems solved with MathNet.
/// Sparse products are parallel over rows; reductions add fixed row chunks in order, so the result does not depend on
/// the thread count.</para>
/// </summary>
public static class SpectralInit
{
    private const int Chunk = 2048;

    /// <summary>The spectral start of the given edges. With <c>rowOrder</c> (renumbered edges: the caller's index of each
    /// row) the random draws are made in the caller's order, so that the result does not depend on the numbering (but for
    /// rounding).</summary>
    public static SpectralResult Compute(int n, int dimension, int[] edgeSource, int[] edgeTarget, float[] edgeWeights, int seed,
        double tolerance = 1e-4, int maxIterations = 1000, IStageLog? log = null, CancellationToken cancellation = default, int[]? rowOrder = null)
    {
        log ??= StageLog.Null;
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension));
        if (n < dimension + 2)
            throw new EmbedPSException("TooFewEntitiesForSpectralInit", EmbedPSErrorKind.InvalidData,
                $"A spectral (quadratic) start in {dimension} dimensions needs at least {dimension + 2} entities; there are {n}. Use -Init Random or a lower -Dimension.");
        var laplacian = Laplacian.Build(n, edgeSource, edgeTarget, edgeWeights);
        int block = Math.Min(dimension + 3, n - 1);
        var options = new ParallelOptions { CancellationToken = cancellation };

        // Random start, one stream per row chunk; project out the constant vector, orthonormalise.
        var X = new double[n * block];
        Parallel.For(0, (n + Chunk - 1) / Chunk, options, c =>
        {
            var random = new DeterministicRandom(seed, 0x5350_0000L + c);
            int end = Math.Min(n, (c + 1) * Chunk);
            for (int i = c * Chunk; i < end; i++) for (int j = 0; j < block; j++) X[i * block + j] = random.NextGaussian();
        });
        if (rowOrder is not null) X = PermuteRows(X, rowOrder, block);
        RemoveMean(X, n, block);
        X = Orthonormalize(X, n, block, out block, null, 0);
        var AX = laplacian.Multiply(X, block, options);
        var (values, vectors) = RayleighRitz(Gram(X, block, AX, block, n), block);
        X = Multiply(X, n, block, vectors, block);
        AX = Multiply(AX, n, block, vectors, block);

        double normEstimate = Math.Max(1e-12, LargestEigenvalueEstimate(laplacian, seed, options, rowOrder));
        double[]? P = null; int pColumns = 0;
        var residualNorms = new double[block];
        var R = new double[n * block];
        var residualBuffer2 = new double[n * block];
        int iteration = 0;
        bool converged = false;
        for (; iteration < maxIterations; iteration++)
        {
            cancellation.ThrowIfCancellationRequested();
            // R = AX − XΛ
            Parallel.For(0, n, options, i =>
            {
                for (int j = 0; j < block; j++) R[i * block + j] = AX[i * block + j] - X[i * block + j] * values[j];
            });
            var columnSquares = Gram(R, block, R, block, n);
            converged = true;
            for (int j = 0; j < block; j++)
            {
                residualNorms[j] = Math.Sqrt(Math.Max(0, columnSquares[j * block + j]));
                if (j < dimension && residualNorms[j] > tolerance * normEstimate) converged = false;
            }
            if ((iteration & 15) == 0) log.Progress(Math.Min(0.99, iteration / (double)maxIterations), $"spectral init iteration {iteration}, residual {residualNorms.Take(dimension).Max():G3}");
            if (converged) break;

            // W = T R with the Jacobi preconditioner T = diag(L)⁻¹, kept orthogonal to the constant vector.
            var W = residualBuffer2;
            Parallel.For(0, n, options, i =>
            {
                double scale = 1 / Math.Max(laplacian.Diagonal[i], 1e-12);
                for (int j = 0; j < block; j++) W[i * block + j] = R[i * block + j] * scale;
            });
            RemoveMean(W, n, block);
            W = Orthonormalize(W, n, block, out int wColumns, X, block);
            double[]? Pq = null; int pqColumns = 0;
            if (P is not null && pColumns > 0)
            {
                Pq = ProjectOut(P, n, pColumns, X, block);
                if (wColumns > 0) Pq = ProjectOut(Pq, n, pColumns, W, wColumns);
                Pq = Orthonormalize(Pq, n, pColumns, out pqColumns, X, block);
            }
            int s = block + wColumns + pqColumns;
            var S = Concatenate(n, (X, block), (W, wColumns), (Pq, pqColumns));
            var AS = Concatenate(n, (AX, block), (laplacian.Multiply(W, wColumns, options), wColumns),
                (pqColumns > 0 ? laplacian.Multiply(Pq!, pqColumns, options) : null, pqColumns));
            var (ritzValues, ritzVectors) = RayleighRitz(Gram(S, s, AS, s, n), s);
            var C = new double[s * block];
            for (int r = 0; r < s; r++) for (int j = 0; j < block; j++) C[r * block + j] = ritzVectors[r * s + j];
            X = Multiply(S, n, s, C, block);
            AX = Multiply(AS, n, s, C, block);
            // P: the part of the update outside the old X (rows block.. of C).
            if (s > block)
            {
                var tail = new double[(s - block) * block];
                Array.Copy(C, block * block, tail, 0, tail.Length);
                P = Multiply(Concatenate(n, (W, wColumns), (Pq, pqColumns)), n, s - block, tail, block);
                pColumns = block;
            }
            values = ritzValues.Take(block).ToArray();
        }

        // Centre, then scale to (1/n)XᵀX = I: the Standardized constraint.
        var coordinates = new float[n * dimension];
        var result = new double[n * dimension];
        for (int i = 0; i < n; i++) for (int j = 0; j < dimension; j++) result[i * dimension + j] = X[i * block + j];
        RemoveMean(result, n, dimension);
        result = PolarOrthonormalize(result, n, dimension);
        double root = Math.Sqrt(n);
        for (int j = 0; j < dimension; j++)
        {
            // A deterministic sign: the entry of largest magnitude is positive.
            int argMax = 0;
            for (int i = 1; i < n; i++) if (Math.Abs(result[i * dimension + j]) > Math.Abs(result[argMax * dimension + j])) argMax = i;
            double sign = result[argMax * dimension + j] < 0 ? -1 : 1;
            for (int i = 0; i < n; i++) coordinates[i * dimension + j] = (float)(sign * root * result[i * dimension + j]);
        }
        log.Verbose($"Spectral init: {iteration} LOBPCG iterations, eigenvalues {string.Join(", ", values.Take(dimension).Select(v => v.ToString("G4")))}, " +
                    $"largest residual {residualNorms.Take(dimension).Max():G3}{(converged ? "" : " (not converged)")}.");
        if (!converged) log.Warning($"Spectral initialisation stopped after {iteration} iterations before reaching its tolerance; the start is approximate (the optimiser corrects it).");
        return new SpectralResult(coordinates, values.Take(dimension).ToArray(), residualNorms.Take(dimension).ToArray(), iteration, converged);
    }

    /// <summary>
    /// ‖L‖ for the stopping rule: 30 power iterations from a seeded random vector, ×1.1 (power iteration approaches λmax from
    /// below), capped by the Gershgorin bound 2·max degree. The Gershgorin bound alone is set by the largest hub and can be
    /// ten times λmax on kNN graphs, which would loosen the tolerance as much.
    /// </summary>
    /// <summary>Rows of a matrix drawn in the caller's order, in the renumbered order: <c>result[i] = x[rowOrder[i]]</c>.</summary>
    private static double[] PermuteRows(double[] x, int[] rowOrder, int columns)
    {
        var result = new double[x.Length];
        for (int i = 0; i < rowOrder.Length; i++) Array.Copy(x, rowOrder[i] * columns, result, i * columns, columns);
        return result;
    }

    private static double LargestEigenvalueEstimate(Laplacian laplacian, int seed, ParallelOptions options, int[]? rowOrder)
    {
        int n = laplacian.N;
        var v = new double[n];
        var random = new DeterministicRandom(seed, 0x504F_5745L);
        for (int i = 0; i < n; i++) v[i] = random.NextGaussian();
        if (rowOrder is not null) v = PermuteRows(v, rowOrder, 1);
        double estimate = 0;
        for (int step = 0; step < 30; step++)
        {
            double norm = Math.Sqrt(Gram(v, 1, v, 1, n)[0]);
            if (norm == 0) break;
            for (int i = 0; i < n; i++) v[i] /= norm;
            var w = laplacian.Multiply(v, 1, options);
            estimate = Gram(v, 1, w, 1, n)[0];
            v = w;
        }
        return Math.Min(2 * laplacian.MaxDegree, 1.1 * estimate);
    }

    /// <summary>Sparse symmetric Laplacian L = D − W in CSR (off-diagonal part) plus its diagonal.</summary>
    internal sealed class Laplacian
    {
        public required int N { get; init; }
        public required int[] Offsets { get; init; }
        public required int[] Columns { get; init; }
        public required double[] Values { get; init; }
        public required double[] Diagonal { get; init; }
        public double MaxDegree => Diagonal.Length == 0 ? 0 : Diagonal.Max();

        public static Laplacian Build(int n, int[] source, int[] target, float[] weights)
        {
            var degree = new int[n];
            var diagonal = new double[n];
            for (int e = 0; e < source.Length; e++)
            {
                if (!(weights[e] > 0) || source[e] == target[e]) continue;
                degree[source[e]]++; degree[target[e]]++;
            }
            var offsets = new int[n + 1];
            for (int i = 0; i < n; i++) offsets[i + 1] = offsets[i] + degree[i];
            var fill = (int[])offsets.Clone();
            var columns = new int[offsets[n]];
            var values = new double[offsets[n]];
            for (int e = 0; e < source.Length; e++)
            {
                double w = weights[e];
                if (!(w > 0) || source[e] == target[e]) continue;
                int a = source[e], b = target[e];
                columns[fill[a]] = b; values[fill[a]++] = -w;
                columns[fill[b]] = a; values[fill[b]++] = -w;
                diagonal[a] += w; diagonal[b] += w;
            }
            return new Laplacian { N = n, Offsets = offsets, Columns = columns, Values = values, Diagonal = diagonal };
        }

        /// <summary>L·Y for a row-major n × c block.</summary>
        public double[] Multiply(double[] Y, int c, ParallelOptions options)
        {
            var result = new double[N * c];
            if (c == 0) return result;
            Parallel.For(0, (N + Chunk - 1) / Chunk, options, b =>
            {
                int end = Math.Min(N, (b + 1) * Chunk);
                for (int i = b * Chunk; i < end; i++)
                {
                    var row = result.AsSpan(i * c, c);
                    double d = Diagonal[i];
                    for (int j = 0; j < c; j++) row[j] = d * Y[i * c + j];
                    for (int e = Offsets[i]; e < Offsets[i + 1]; e++)
                    {
                        double w = Values[e];
                        int o = Columns[e] * c;
                        for (int j = 0; j < c; j++) row[j] += w * Y[o + j];
                    }
                }
            });
            return result;
        }
    }

    /// <summary>AᵀB (a × b) for row-major n × a and n × b blocks; chunk partial sums added in chunk order.</summary>
    internal static double[] Gram(double[] A, int a, double[] B, int b, int n)
    {
        int chunks = (n + Chunk - 1) / Chunk;
        var partial = new double[chunks][];
        Parallel.For(0, chunks, c =>
        {
            var sum = new double[a * b];
            int end = Math.Min(n, (c + 1) * Chunk);
            for (int i = c * Chunk; i < end; i++)
            {
                var rowA = new ReadOnlySpan<double>(A, i * a, a);
                var rowB = new ReadOnlySpan<double>(B, i * b, b);
                for (int p = 0; p < rowA.Length; p++)
                {
                    double x = rowA[p];
                    var target = new Span<double>(sum, p * b, b);
                    for (int q = 0; q < rowB.Length; q++) target[q] += x * rowB[q];
                }
            }
            partial[c] = sum;
        });
        var total = new double[a * b];
        foreach (var part in partial) for (int t = 0; t < total.Length; t++) total[t] += part[t];
        return total;
    }

    /// <summary>Y·C for row-major n × a and a × c.</summary>
    internal static double[] Multiply(double[] Y, int n, int a, double[] C, int c)
    {
        var result = new double[n * c];
        Parallel.For(0, (n + Chunk - 1) / Chunk, b =>
        {
            int end = Math.Min(n, (b + 1) * Chunk);
            for (int i = b * Chunk; i < end; i++)
            {
                var row = new ReadOnlySpan<double>(Y, i * a, a);
                var output = new Span<double>(result, i * c, c);
                for (int p = 0; p < row.Length; p++)
                {
                    double y = row[p];
                    var coefficients = new ReadOnlySpan<double>(C, p * c, c);
                    for (int q = 0; q < output.Length; q++) output[q] += y * coefficients[q];
                }
            }
        });
        return result;
    }

    private static void RemoveMean(double[] Y, int n, int c)
    {
        var ones = new double[n];
        Array.Fill(ones, 1.0);
        var sums = Gram(ones, 1, Y, c, n);
        for (int j = 0; j < c; j++) sums[j] /= n;
        Parallel.For(0, n, i => { for (int j = 0; j < c; j++) Y[i * c + j] -= sums[j]; });
    }

    /// <summary>Y ← Y − B(BᵀY) for orthonormal B, in place (no n-sized temporaries).</summary>
    private static double[] ProjectOut(double[] Y, int n, int c, double[] B, int b)
    {
        var coefficients = Gram(B, b, Y, c, n);
        Parallel.For(0, (n + Chunk - 1) / Chunk, chunk =>
        {
            int end = Math.Min(n, (chunk + 1) * Chunk);
            for (int i = chunk * Chunk; i < end; i++)
            {
                var row = new Span<double>(Y, i * c, c);
                var basis = new ReadOnlySpan<double>(B, i * b, b);
                for (int p = 0; p < basis.Length; p++)
                {
                    double x = basis[p];
                    var coefficientRow = new ReadOnlySpan<double>(coefficients, p * c, c);
                    for (int q = 0; q < row.Length; q++) row[q] -= x * coefficientRow[q];
                }
            }
        });
        return Y;
    }

    /// <summary>
    /// Orthonormal basis of the columns of Y (after projecting out the orthonormal block B, twice): symmetric
    /// orthonormalisation through the eigen-decomposition of the Gram matrix, dropping directions with tiny norm.
    /// </summary>
    private static double[] Orthonormalize(double[] Y, int n, int c, out int kept, double[]? B, int b)
    {
        for (int pass = 0; pass < 2; pass++)
        {
            if (B is not null && b > 0) Y = ProjectOut(Y, n, c, B, b);
            var gram = Matrix<double>.Build.Dense(c, c, (p, q) => 0);
            var g = Gram(Y, c, Y, c, n);
            for (int p = 0; p < c; p++) for (int q = 0; q < c; q++) gram[p, q] = 0.5 * (g[p * c + q] + g[q * c + p]);
            var evd = gram.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
            double largest = 0;
            for (int p = 0; p < c; p++) largest = Math.Max(largest, evd.EigenValues[p].Real);
            var keep = new List<int>();
            for (int p = 0; p < c; p++) if (evd.EigenValues[p].Real > Math.Max(largest * 1e-12, 1e-300)) keep.Add(p);
            // Descending eigenvalue order keeps the strongest directions first.
            keep.Sort((x, y) => evd.EigenValues[y].Real.CompareTo(evd.EigenValues[x].Real));
            var transform = new double[c * keep.Count];
            for (int q = 0; q < keep.Count; q++)
            {
                double scale = 1 / Math.Sqrt(evd.EigenValues[keep[q]].Real);
                for (int p = 0; p < c; p++) transform[p * keep.Count + q] = evd.EigenVectors[p, keep[q]] * scale;
            }
            Y = Multiply(Y, n, c, transform, keep.Count);
            c = keep.Count;
            if (c == 0) break;
        }
        kept = c;
        return Y;
    }

    /// <summary>
    /// Y (YᵀY)^(−1/2): the orthonormal matrix closest to Y (Löwdin), which leaves already orthonormal columns — eigenvectors —
    /// in place instead of rotating them into each other.
    /// </summary>
    private static double[] PolarOrthonormalize(double[] Y, int n, int c)
    {
        var g = Gram(Y, c, Y, c, n);
        var gram = Matrix<double>.Build.Dense(c, c, (p, q) => 0.5 * (g[p * c + q] + g[q * c + p]));
        var evd = gram.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var inverseRoot = Matrix<double>.Build.Dense(c, c);
        for (int p = 0; p < c; p++)
        {
            double value = evd.EigenValues[p].Real;
            if (!(value > 1e-300)) throw new InvalidOperationException("spectral initialisation lost rank.");
            var v = evd.EigenVectors.Column(p);
            inverseRoot += v.OuterProduct(v) / Math.Sqrt(value);
        }
        var transform = new double[c * c];
        for (int p = 0; p < c; p++) for (int q = 0; q < c; q++) transform[p * c + q] = inverseRoot[p, q];
        return Multiply(Y, n, c, transform, c);
    }

    /// <summary>Eigen-decomposition of a small symmetric matrix, ascending eigenvalues; vectors row-major (row = basis index).</summary>
    private static (double[] Values, double[] Vectors) RayleighRitz(double[] h, int s)
    {
        var matrix = Matrix<double>.Build.Dense(s, s, (p, q) => 0.5 * (h[p * s + q] + h[q * s + p]));
        var evd = matrix.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var order = Enumerable.Range(0, s).OrderBy(p => evd.EigenValues[p].Real).ToArray();
        var values = order.Select(p => evd.EigenValues[p].Real).ToArray();
        var vectors = new double[s * s];
        for (int r = 0; r < s; r++) for (int q = 0; q < s; q++) vectors[r * s + q] = evd.EigenVectors[r, order[q]];
        return (values, vectors);
    }

    private static double[] Concatenate(int n, params (double[]? Block, int Columns)[] blocks)
    {
        int total = blocks.Sum(b => b.Block is null ? 0 : b.Columns);
        var result = new double[n * total];
        Parallel.For(0, n, i =>
        {
            int o = 0;
            foreach (var (block, columns) in blocks)
            {
                if (block is null || columns == 0) continue;
                Array.Copy(block, i * columns, result, i * total + o, columns);
                o += columns;
            }
        });
        return result;
    }
}
