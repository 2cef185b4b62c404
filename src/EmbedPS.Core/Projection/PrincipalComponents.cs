using System.Numerics;
using System.Runtime.InteropServices;
using EmbedPS.Core.Common;
using MathNet.Numerics.LinearAlgebra;

namespace EmbedPS.Core.Projection;

/// <summary>
/// Exact PCA: the d × d covariance of the centred rows (SIMD, parallel over column pairs, double accumulation)
/// and its symmetric eigen-decomposition (MathNet). Components are sorted by variance; each component's sign is
/// fixed so that its largest-magnitude loading is positive (deterministic output).
/// </summary>
public static class PrincipalComponents
{
    /// <summary>Row-major n × m scores (projections on the first m components) and the explained variances.</summary>
    public static (float[] Scores, double[] Variances) Project(float[] data, int count, int dimension, int components, CancellationToken cancellation = default)
    {
        if (count < 2) throw new EmbedPSException("TooFewEntities", EmbedPSErrorKind.InvalidData, $"PCA needs at least 2 entities, got {count}.");
        int m = Math.Min(components, dimension);
        var mean = new double[dimension];
        for (int i = 0; i < count; i++) for (int c = 0; c < dimension; c++) mean[c] += data[(long)i * dimension + c];
        for (int c = 0; c < dimension; c++) mean[c] /= count;

        // Column-major centred copy so that covariance entries are SIMD dot products of contiguous columns.
        var columns = new float[(long)dimension * count];
        Parallel.For(0, dimension, c =>
        {
            float mc = (float)mean[c];
            for (int i = 0; i < count; i++) columns[(long)c * count + i] = data[(long)i * dimension + c] - mc;
        });
        var cov = new double[dimension, dimension];
        Parallel.For(0, dimension, new ParallelOptions { CancellationToken = cancellation }, a =>
        {
            var colA = columns.AsSpan((int)((long)a * count), count);
            for (int b = a; b < dimension; b++)
            {
                double v = BlockedDot(colA, columns.AsSpan((int)((long)b * count), count)) / (count - 1);
                cov[a, b] = v; cov[b, a] = v;
            }
        });
        var evd = Matrix<double>.Build.DenseOfArray(cov).Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(z => z.Real).ToArray();
        var order = Enumerable.Range(0, dimension).OrderByDescending(i => values[i]).ThenBy(i => i).Take(m).ToArray();
        var basis = new double[m, dimension];
        var variances = new double[m];
        for (int r = 0; r < m; r++)
        {
            var v = evd.EigenVectors.Column(order[r]);
            int argmax = 0;
            for (int c = 1; c < dimension; c++) if (Math.Abs(v[c]) > Math.Abs(v[argmax])) argmax = c;
            double sign = v[argmax] < 0 ? -1 : 1;
            for (int c = 0; c < dimension; c++) basis[r, c] = sign * v[c];
            variances[r] = Math.Max(0, values[order[r]]);
        }
        var scores = new float[(long)count * components];
        Parallel.For(0, count, i =>
        {
            for (int r = 0; r < m; r++)
            {
                double s = 0;
                for (int c = 0; c < dimension; c++) s += (data[(long)i * dimension + c] - mean[c]) * basis[r, c];
                scores[(long)i * components + r] = (float)s;
            }
        });
        return (scores, variances);
    }

    /// <summary>Dot product in float SIMD over blocks of 4096, summed in double (keeps 70,000-row sums accurate).</summary>
    private static double BlockedDot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double total = 0;
        for (int start = 0; start < a.Length; start += 4096)
        {
            int len = Math.Min(4096, a.Length - start);
            var sa = a.Slice(start, len); var sb = b.Slice(start, len);
            var va = MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(sa);
            var vb = MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(sb);
            var acc = System.Numerics.Vector<float>.Zero;
            for (int v = 0; v < va.Length; v++) acc += va[v] * vb[v];
            float s = System.Numerics.Vector.Sum(acc);
            for (int i = va.Length * System.Numerics.Vector<float>.Count; i < len; i++) s += sa[i] * sb[i];
            total += s;
        }
        return total;
    }
}
