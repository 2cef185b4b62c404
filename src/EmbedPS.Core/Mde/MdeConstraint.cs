using SimdVector = System.Numerics.Vector;
using System.Runtime.InteropServices;
using EmbedPS.Core.Common;
using MathNet.Numerics.LinearAlgebra;

namespace EmbedPS.Core.Mde;

/// <summary>
/// A constraint set for the embedding X (n × m, row-major float) with PyMDE's three maps (pymde.constraints):
/// projection onto the set, projection of a gradient onto the tangent space at X, and the random initialisation.
/// Row sums are done in fixed row blocks with double partials added in block order, so results do not depend on threads.
/// </summary>
public sealed class MdeConstraint
{
    private const int RowBlock = 8192;
    private readonly ParallelOptions _options;
    private readonly bool[]? _isAnchor;

    private MdeConstraint(ConstraintKind kind, int count, int dimension, int[]? anchorIndices, float[]? anchorCoordinates, int maxDegreeOfParallelism)
    {
        Kind = kind; Count = count; Dimension = dimension;
        AnchorIndices = anchorIndices ?? Array.Empty<int>();
        AnchorCoordinates = anchorCoordinates ?? Array.Empty<float>();
        _options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism <= 0 ? -1 : maxDegreeOfParallelism };
        if (kind == ConstraintKind.Anchored)
        {
            _isAnchor = new bool[count];
            foreach (var a in AnchorIndices) _isAnchor[a] = true;
        }
    }

    public ConstraintKind Kind { get; }
    public int Count { get; }
    public int Dimension { get; }
    public int[] AnchorIndices { get; }
    public float[] AnchorCoordinates { get; }

    public static MdeConstraint Centered(int count, int dimension, int maxDegreeOfParallelism = -1) =>
        new(ConstraintKind.Centered, count, dimension, null, null, maxDegreeOfParallelism);

    public static MdeConstraint Standardized(int count, int dimension, int maxDegreeOfParallelism = -1)
    {
        if (count <= dimension)
            throw new EmbedPSException("TooFewForStandardized", EmbedPSErrorKind.InvalidArgument,
                $"A standardized embedding in {dimension} dimensions needs more than {dimension} entities; the graph has {count}.");
        return new(ConstraintKind.Standardized, count, dimension, null, null, maxDegreeOfParallelism);
    }

    public static MdeConstraint Anchored(int count, int dimension, int[] anchorIndices, float[] anchorCoordinates, int maxDegreeOfParallelism = -1)
    {
        if (anchorCoordinates.Length != (long)anchorIndices.Length * dimension)
            throw new EmbedPSException("BadAnchorCoordinates", EmbedPSErrorKind.InvalidData,
                $"{anchorIndices.Length} anchors in {dimension} dimensions need {anchorIndices.Length * dimension} coordinates; {anchorCoordinates.Length} were given.");
        var seen = new HashSet<int>();
        foreach (var a in anchorIndices)
        {
            if ((uint)a >= (uint)count) throw new EmbedPSException("AnchorOutOfRange", EmbedPSErrorKind.InvalidData, $"Anchor index {a} is outside [0, {count}).") { Value = a.ToString() };
            if (!seen.Add(a)) throw new EmbedPSException("DuplicateAnchor", EmbedPSErrorKind.InvalidData, $"Entity {a} is anchored twice.") { Value = a.ToString() };
        }
        foreach (var v in anchorCoordinates)
            if (!float.IsFinite(v)) throw new EmbedPSException("BadAnchorCoordinates", EmbedPSErrorKind.InvalidData, $"Anchor coordinates must be finite; found {v}.") { Value = v.ToString() };
        return new(ConstraintKind.Anchored, count, dimension, anchorIndices, anchorCoordinates, maxDegreeOfParallelism);
    }

    /// <summary>Π(X), in place. Centered: subtract column means. Standardized: centre, then √n·U·Vᵀ of the thin SVD
    /// X = UΣVᵀ (the polar factor, computed as X·(XᵀX)^{-1/2}). Anchored: overwrite the anchor rows.</summary>
    public void Project(float[] x)
    {
        switch (Kind)
        {
            case ConstraintKind.Centered:
                Center(x);
                break;
            case ConstraintKind.Standardized:
            {
                Center(x);
                var gram = Gram(x, x);
                var evd = Matrix<double>.Build.DenseOfArray(gram).Evd(Symmetricity.Symmetric);
                int m = Dimension;
                var q = evd.EigenVectors;
                var lambda = evd.EigenValues;
                double largest = 0;
                for (int a = 0; a < m; a++) largest = Math.Max(largest, lambda[a].Real);
                var transform = new double[m, m];
                double sqrtN = Math.Sqrt(Count);
                for (int r = 0; r < m; r++)
                    for (int c = 0; c < m; c++)
                    {
                        double s = 0;
                        for (int a = 0; a < m; a++)
                        {
                            // A rank-deficient X (all points on a line) has no polar factor; clamp to keep it finite.
                            double l = Math.Max(lambda[a].Real, largest * 1e-12 + 1e-30);
                            s += q[r, a] * q[c, a] / Math.Sqrt(l);
                        }
                        transform[r, c] = s * sqrtN;
                    }
                MultiplyRows(x, transform);
                break;
            }
            case ConstraintKind.Anchored:
                for (int t = 0; t < AnchorIndices.Length; t++)
                    Array.Copy(AnchorCoordinates, t * Dimension, x, AnchorIndices[t] * Dimension, Dimension);
                break;
        }
    }

    /// <summary>Projects a gradient G at X onto the tangent space, in place. Standardized: G − (1/n)·X·(GᵀX)
    /// (PyMDE's canonical-metric Stiefel projection scaled by n). Centered: unchanged (edge gradients have zero column sums).
    /// Anchored: anchor rows zeroed.</summary>
    public void ProjectTangent(float[] x, float[] g)
    {
        switch (Kind)
        {
            case ConstraintKind.Standardized:
            {
                var gtx = Gram(g, x);
                AddRowProduct(g, x, Scaled(gtx, -1.0 / Count));
                break;
            }
            case ConstraintKind.Anchored:
                foreach (var a in AnchorIndices) Array.Clear(g, a * Dimension, Dimension);
                break;
        }
    }

    /// <summary>PyMDE's random start: i.i.d. N(0, 1), then centred (Centered), projected (Standardized) or with the anchor rows
    /// overwritten (Anchored). Seeded; rows are filled in blocks, one random stream per block.</summary>
    public float[] RandomInitialization(int seed)
    {
        var x = new float[Count * Dimension];
        FillGaussian(x, seed, stream: 1, scale: 1.0);
        Project(x);
        return x;
    }

    /// <summary>Adds <paramref name="scale"/>·N(0,1) noise, seeded, one stream per row block.</summary>
    public void FillGaussian(float[] x, int seed, long stream, double scale, bool add = false)
    {
        int m = Dimension, blocks = (Count + RowBlock - 1) / RowBlock;
        Parallel.For(0, blocks, _options, b =>
        {
            var random = new DeterministicRandom(seed, stream * 1_000_003L + b);
            int start = b * RowBlock * m, end = Math.Min(Count, (b + 1) * RowBlock) * m;
            for (int t = start; t < end; t++)
            {
                float value = (float)(scale * random.NextGaussian());
                x[t] = add ? x[t] + value : value;
            }
        });
    }

    public bool IsAnchor(int index) => _isAnchor is not null && _isAnchor[index];

    private void Center(float[] x)
    {
        int m = Dimension, blocks = (Count + RowBlock - 1) / RowBlock;
        var partial = new double[blocks * m];
        Parallel.For(0, blocks, _options, b =>
        {
            int start = b * RowBlock, end = Math.Min(Count, start + RowBlock);
            ColumnSums(x, m, start, end, partial.AsSpan(b * m, m));
        });
        var mean = new float[m];
        for (int a = 0; a < m; a++)
        {
            double s = 0;
            for (int b = 0; b < blocks; b++) s += partial[b * m + a];
            mean[a] = (float)(s / Count);
        }
        // The means repeated along a run of W rows (W = the vector width), so that whole vectors can be subtracted.
        int width = System.Numerics.Vector<float>.Count;
        var pattern = new float[width * m];
        for (int t = 0; t < pattern.Length; t++) pattern[t] = mean[t % m];
        Parallel.For(0, blocks, _options, b =>
        {
            int start = b * RowBlock, end = Math.Min(Count, start + RowBlock);
            var rows = MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(x.AsSpan(start * m, (end - start) * m));
            var means = MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(pattern.AsSpan());
            int v = 0;
            for (; v + m <= rows.Length; v += m)
                for (int k = 0; k < m; k++) rows[v + k] -= means[k];
            for (int t = start * m + v * width; t < end * m; t++) x[t] -= mean[t % m];
        });
    }

    /// <summary>Column sums of rows [start, end) added into <paramref name="sums"/>, in double: whole runs of W rows (m vectors)
    /// widened and summed lane-wise, the rest one by one.</summary>
    private static void ColumnSums(float[] x, int m, int start, int end, Span<double> sums)
    {
        int width = System.Numerics.Vector<float>.Count;
        var rows = MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(x.AsSpan(start * m, (end - start) * m));
        Span<System.Numerics.Vector<double>> accumulator = stackalloc System.Numerics.Vector<double>[2 * m];
        accumulator.Clear();
        int v = 0;
        for (; v + m <= rows.Length; v += m)
            for (int k = 0; k < m; k++)
            {
                SimdVector.Widen(rows[v + k], out var low, out var high);
                accumulator[2 * k] += low; accumulator[2 * k + 1] += high;
            }
        // Lane t of the run (t = 0 .. W·m − 1) belongs to axis t mod m.
        int half = System.Numerics.Vector<double>.Count;
        for (int k = 0; k < 2 * m; k++)
            for (int lane = 0; lane < half; lane++) sums[(k * half + lane) % m] += accumulator[k][lane];
        for (int t = start * m + v * width; t < end * m; t++) sums[t % m] += x[t];
    }

    /// <summary>AᵀB (m × m) for row-major n × m A and B, in double.</summary>
    public double[,] Gram(float[] a, float[] b)
    {
        int m = Dimension, blocks = (Count + RowBlock - 1) / RowBlock;
        var partial = new double[blocks * m * m];
        Parallel.For(0, blocks, _options, block =>
        {
            int start = block * RowBlock, end = Math.Min(Count, start + RowBlock), offset = block * m * m;
            for (int i = start; i < end; i++)
                for (int r = 0; r < m; r++)
                {
                    double ar = a[i * m + r];
                    for (int c = 0; c < m; c++) partial[offset + r * m + c] += ar * b[i * m + c];
                }
        });
        var result = new double[m, m];
        for (int block = 0; block < blocks; block++)
            for (int r = 0; r < m; r++) for (int c = 0; c < m; c++) result[r, c] += partial[block * m * m + r * m + c];
        return result;
    }

    private static double[,] Scaled(double[,] a, double scale)
    {
        int m = a.GetLength(0);
        var t = new double[m, m];
        for (int r = 0; r < m; r++) for (int c = 0; c < m; c++) t[r, c] = a[r, c] * scale;
        return t;
    }

    /// <summary>x ← x·T for each row (T is m × m).</summary>
    private void MultiplyRows(float[] x, double[,] transform)
    {
        int m = Dimension, blocks = (Count + RowBlock - 1) / RowBlock;
        Parallel.For(0, blocks, _options, b =>
        {
            Span<double> row = stackalloc double[m];
            int start = b * RowBlock, end = Math.Min(Count, start + RowBlock);
            for (int i = start; i < end; i++)
            {
                for (int a = 0; a < m; a++) row[a] = x[i * m + a];
                for (int c = 0; c < m; c++)
                {
                    double s = 0;
                    for (int a = 0; a < m; a++) s += row[a] * transform[a, c];
                    x[i * m + c] = (float)s;
                }
            }
        });
    }

    /// <summary>g ← g + x·T for each row.</summary>
    private void AddRowProduct(float[] g, float[] x, double[,] transform)
    {
        int m = Dimension, blocks = (Count + RowBlock - 1) / RowBlock;
        Parallel.For(0, blocks, _options, b =>
        {
            int start = b * RowBlock, end = Math.Min(Count, start + RowBlock);
            for (int i = start; i < end; i++)
                for (int c = 0; c < m; c++)
                {
                    double s = g[i * m + c];
                    for (int a = 0; a < m; a++) s += x[i * m + a] * transform[a, c];
                    g[i * m + c] = (float)s;
                }
        });
    }

    public override string ToString() => Kind switch
    {
        ConstraintKind.Anchored => $"anchored ({AnchorIndices.Length:N0} anchors)",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}
